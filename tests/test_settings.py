"""One settings object for the FUELTUI_* variables: typed, read when asked, and the only
place in the package that reads them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fueltui
from fueltui import statedir
from fueltui.settings import Settings, settings

PACKAGE = Path(fueltui.__file__).parent


def test_the_variables_are_typed_with_defaults() -> None:
    empty = Settings.from_environment({})
    assert (empty.lab, empty.lab_prefix, empty.theme, empty.state_dir) == (False, "ft", "ansi-dark", None)
    assert empty.verify_dhcp_timeout == 4.0 and empty.master_plugins == ()
    chosen = Settings.from_environment(
        {
            "FUELTUI_LAB": "1",
            "FUELTUI_STATE_DIR": "/tmp/x",
            "FUELTUI_MASTER_PLUGINS": " a.b , ,c ",
            "FUELTUI_VERIFY_DHCP_TIMEOUT": "soon",  # a typo: the default, not a crash
            "FUELTUI_POLL_INTERVAL": "2.5",
        }
    )
    assert chosen.lab and chosen.state_dir == Path("/tmp/x") and chosen.master_plugins == ("a.b", "c")
    assert chosen.verify_dhcp_timeout == 4.0 and chosen.poll_interval == 2.5


def test_read_when_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(tmp_path))
    assert settings().state_dir == tmp_path and statedir.state_dir() == tmp_path
    monkeypatch.delenv("FUELTUI_STATE_DIR")
    monkeypatch.setenv("FUELTUI_LAB", "1")
    monkeypatch.setenv("FUELTUI_LAB_STATE_DIR", str(tmp_path / "lab"))
    assert statedir.state_dir() == tmp_path / "lab"


def test_no_module_but_settings_reads_a_fueltui_variable() -> None:
    # a read names the variable in a call or a subscript that is not assigned to (main.py sets
    # FUELTUI_STATE_DIR and FUELTUI_LAB for itself and the master it starts)
    reads = re.compile(r"""(environ\.get|getenv)\(\s*["']FUELTUI_|environ\[["']FUELTUI_\w+["']\](?!\s*=)""")
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "settings.py" and reads.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
