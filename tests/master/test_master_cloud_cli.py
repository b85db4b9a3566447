"""`fueltui health|openrc|cloud|mirror` against a real master: bad input is a clear refusal
with the right exit code, never a traceback, and an environment without a cloud says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_master_cli import run  # noqa: F401 - the CLI-against-a-real-master fixture

from fueltui.client.api import MasterClient
from fueltui.main import main
from masterfixtures import RunningMaster


def test_no_such_environment_is_refused(run) -> None:  # noqa: F811
    for command in (("health", "nope"), ("openrc", "nope"), ("cloud", "nope"), ("health", "nope", "--wait")):
        code, out, err = run(*command)
        assert code == 2, (command, out, err)
        assert "nope" in err and "Traceback" not in err + out


def test_an_environment_without_a_cloud_hands_nothing_over(run, master: RunningMaster) -> None:  # noqa: F811
    async def create() -> None:
        async with await MasterClient.connect(master.base, autostart=False) as client:
            await client.create_environment("demo")

    asyncio.run(create())
    code, out, err = run("openrc", "demo")
    assert code == 2 and "no cloud yet" in err and "OS_PASSWORD" not in out
    code, out, err = run("cloud", "demo", "--json")
    assert code == 2 and '"ok": false' in out


def test_mirror_sync_names_an_unknown_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("FUELTUI_MIRROR_DIR", str(tmp_path / "mirror"))
    assert main(["mirror", "sync", "--release", "nope"]) == 1
    err = capsys.readouterr().err
    assert "no release 'nope'" in err and "epoxy-debian-13" in err
    assert not (tmp_path / "mirror").exists()  # nothing was written
