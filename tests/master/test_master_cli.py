"""The resource commands (`fueltui envs`, `apply`, `export`, …) against a real master."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from test_master_api import ANSWERS, MACS, discover

from fueltui.main import main
from masterfixtures import RunningMaster
from polling import wait_until


@pytest.fixture
def run(master: RunningMaster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(master.base))

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--state-dir", str(master.base), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_apply_listings_export_round_trip(run, master: RunningMaster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    discover(master)
    answers = tmp_path / "lab.yaml"
    answers.write_text(ANSWERS)
    code, out, _ = run("apply", str(answers), "--dry-run")
    assert code == 0 and "would apply" in out
    assert run("envs", "--json")[1].strip() == "[]"
    code, out, err = run("apply", str(answers))
    assert code == 0 and "applied" in out and "ctrl-1" in out, err
    code, out, _ = run("envs")
    assert code == 0 and out.splitlines()[0].split() == ["NAME", "STATUS", "MODE", "RELEASE", "NODES", "REV"]
    assert out.splitlines()[1].split()[:5] == ["lab", "new", "neutron-vlan", "flamingo-ubuntu-24.04", "2"]
    code, out, _ = run("nodes", "--env", "lab")
    assert code == 0 and "ctrl-1" in out and "controller" in out and MACS[2] not in out
    code, out, _ = run("nodes", "--json")
    assert [r["node"]["mac"] for r in json.loads(out)] == MACS
    code, out, _ = run("releases")
    assert code == 0 and "flamingo-ubuntu-24.04" in out
    exported = tmp_path / "export.yaml"
    code, _, err = run("export", "lab", "-o", str(exported))
    assert code == 0 and "wrote" in err
    code, out, _ = run("apply", str(exported))
    assert code == 0 and "nothing to change" in out
    code, out, _ = run("export", "lab")
    assert out == exported.read_text()


def test_apply_refusal_and_bad_input(run, master: RunningMaster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    discover(master, count=1)
    answers = tmp_path / "lab.yaml"
    answers.write_text(ANSWERS)
    code, _, err = run("apply", str(answers))
    assert code == 2 and "node-unknown" in err and "nothing was changed" in err
    assert "Traceback" not in err
    code, _, err = run("apply", str(tmp_path / "missing.yaml"))
    assert code == 2 and "cannot read" in err
    code, _, err = run("export", "nope")
    assert code == 1 and "no environment 'nope'" in err
    code, _, err = run("logs")
    assert code == 2


def test_tasks_and_logs(run, master: RunningMaster) -> None:  # type: ignore[no-untyped-def]
    discover(master, count=1)
    code, out, _ = run("tasks")
    assert code == 0 and "no tasks yet" in out
    task_id = "feedc0de0001"
    master.state.tasks.write_log(task_id, MACS[0], "hello from the node")
    code, out, _ = run("logs", MACS[0].upper())
    assert code == 0 and out.strip().endswith("hello from the node")
    name = master.state.store.node(MACS[0]).node.name
    code, out, _ = run("logs", name, "--task", task_id)
    assert code == 0 and "hello from the node" in out
    code, _, err = run("logs", "no-such-node")
    assert code == 1 and "no node named" in err
    code, _, err = run("tasks", "nope")
    assert code == 1 and "no task" in err


def test_logs_follow_prints_new_lines_until_the_master_goes(run, master: RunningMaster, capsys) -> None:  # type: ignore[no-untyped-def]
    discover(master, count=1)
    master.state.tasks.write_log("feedc0de0002", MACS[0], "already there")
    result: list[int] = []
    follower = threading.Thread(target=lambda: result.append(run("logs", MACS[0], "--follow")[0]))
    follower.start()
    printed: list[str] = []

    def shows(text: str) -> bool:
        printed.append(capsys.readouterr().out)
        return text in "".join(printed)

    wait_until(lambda: shows("already there"), what="the existing line")
    wait_until(lambda: len(master.state.events._subscribers) >= 1, what="the follower subscribed")
    master.state.tasks.write_log("feedc0de0002", MACS[0], "new line")
    wait_until(lambda: shows("new line"), what="the new line")
    master.stop()
    follower.join(10)
    assert result == [1]
