"""`fueltui.core.rules` imports its names on first use: one rule module costs only itself.

The import checks run in a fresh interpreter: this test process has imported everything.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fueltui.core.rules as rules

ROOT = Path(__file__).resolve().parents[2]
# What a lazy package must not pull in for one rule module.
HEAVY = ["fueltui.core.answers", "yaml", "fueltui.core.ipalloc", "fueltui.core.rules.environment"]


def modules_after(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement`."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "statement",
    [
        "import fueltui.core.rules.names",
        "from fueltui.core.rules import names",  # what discovery's facts does
        "from fueltui.core.rules import check_boot_options",  # what the TUI's first page does
    ],
)
def test_one_rule_module_does_not_import_every_rule(statement: str) -> None:
    loaded = modules_after(statement)
    assert "fueltui.core.rules" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    others = {m for m in loaded if m.startswith("fueltui.core.rules.")}
    assert others <= {"fueltui.core.rules.names", "fueltui.core.rules.bootopts"}


def test_a_whole_environment_check_still_imports_what_it_needs() -> None:
    loaded = modules_after("from fueltui.core.rules import check_answers")
    assert set(HEAVY) <= loaded


def test_every_public_name_is_the_defining_modules_object() -> None:
    homes = {
        "environment": ["check_answers", "check_environment", "check_mode", "errors", "node_from_answers"],
        "bootopts": ["check_boot_options"],
        "interfaces": ["check_drop", "check_interfaces", "check_nodes"],
        "names": ["check_environment_name", "check_nic_name"],
        "roles": ["check_roles", "role_blockers", "role_summary"],
        "settings": ["check_locked", "check_settings"],
    }
    for home, names in homes.items():
        module = importlib.import_module(f"fueltui.core.rules.{home}")
        for name in names:
            assert getattr(rules, name) is getattr(module, name), name
    for name in rules.__all__:
        assert callable(getattr(rules, name)), name
    assert set(rules.__all__) <= set(dir(rules))


def test_an_unknown_name_is_an_attribute_error_and_a_submodule_still_imports() -> None:
    with pytest.raises(AttributeError, match="no_such_rule"):
        rules.no_such_rule  # noqa: B018 - the look-up itself is the test
    with pytest.raises(ImportError):
        from fueltui.core.rules import no_such_rule  # noqa: F401
    from fueltui.core.rules import codes

    assert codes.__name__ == "fueltui.core.rules.codes"
