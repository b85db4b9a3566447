"""The first page paints before pydantic is imported: the Master page's form shows plain values,
and the models, the rules and the previews run right after the first frame — with the same
findings and previews as before (bench/startup.py, docs/benchmarks.md "Start-up").

The import checks run in a fresh interpreter: this test process has imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from textual.widgets import Input, Static

from fueltui.core.bootdefaults import FUEL_DEFAULTS
from fueltui.tui.screens.master_apply import initial_options
from fueltui.tui.screens.master_setup import FIRST_SOURCE, FIRST_VALUES, MasterSetupScreen
from tui.test_environments import settle

ROOT = Path(__file__).resolve().parents[2]

_CHILD = """
import asyncio, json, sys
import fueltui.main
from fueltui.tui.app import FuelApp
from fueltui.tui.screens import master_setup

after_imports = sorted(m for m in ("pydantic", "httpx", "fueltui.core.model") if m in sys.modules)
at_first_check = []
first_check = master_setup.MasterSetupScreen._first_check


def spy(self):
    at_first_check.append("pydantic" in sys.modules)
    first_check(self)


master_setup.MasterSetupScreen._first_check = spy


async def main():
    app = FuelApp(ui_state=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        return str(screen.query_one("#boot-line").render()), screen.options is not None


boot_line, checked = asyncio.run(main())
print(json.dumps({"after_imports": after_imports, "at_first_check": at_first_check,
                  "boot_line": boot_line, "checked": checked}))
"""


def test_the_first_page_imports_no_model_before_its_first_frame(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FUELTUI_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["after_imports"] == []  # the app and its first page's modules
    assert result["at_first_check"] == [False]  # the first frame was painted without them
    assert result["checked"] is True  # and the check ran right after it
    assert "ip=10.20.0.2" in result["boot_line"]


def test_the_first_values_are_the_fuel_defaults() -> None:
    """The form's plain first values are the model's defaults as the fields show them."""
    assert MasterSetupScreen._values_of(FUEL_DEFAULTS) == FIRST_VALUES
    assert initial_options(None) == (FUEL_DEFAULTS, FIRST_SOURCE)


async def test_a_bad_value_still_gets_its_finding_right_away(make_app) -> None:
    app = make_app(start="master")  # no master: the page checks what is typed all the same
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await settle(pilot, lambda: screen.options is not None, "the first check")
        assert screen.query_one("#files-preview", Static).render()  # the preview is there
        field = screen.query_one("#in-ip", Input)
        field.focus()
        field.value = "10.20.0.300"
        await settle(pilot, lambda: bool(screen.field_codes("ip")), "a finding under the IP")
        assert screen.query_one("#err-ip").has_class("-shown")
