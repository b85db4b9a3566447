"""The resource commands (`fueltui envs`, `apply`, `export`, …) against a real master."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
import yaml
from test_master_api import ANSWERS, MACS, discover

from answersbase import BASE, changed
from fueltui.client.api import MasterClient
from fueltui.main import main
from fueltui.master.tasks import TaskContext
from masterfixtures import RunningMaster
from polling import async_wait_until, wait_until


@pytest.fixture
def run(master: RunningMaster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(master.base))

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--state-dir", str(master.base), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_apply_listings_export_round_trip(run, master: RunningMaster, tmp_path: Path) -> None:
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
    assert out.splitlines()[1].split()[:5] == ["lab", "new", "neutron-vlan", "epoxy-debian-13", "2"]
    code, out, _ = run("nodes", "--env", "lab")
    assert code == 0 and "ctrl-1" in out and "controller" in out and MACS[2] not in out
    code, out, _ = run("nodes", "--json")
    assert [r["node"]["mac"] for r in json.loads(out)] == MACS
    code, out, _ = run("releases")
    assert code == 0 and "epoxy-debian-13" in out
    exported = tmp_path / "export.yaml"
    code, _, err = run("export", "lab", "-o", str(exported))
    assert code == 0 and "wrote" in err
    code, out, _ = run("apply", str(exported))
    assert code == 0 and "nothing to change" in out
    code, out, _ = run("export", "lab")
    assert out == exported.read_text()


def test_apply_refusal_and_bad_input(run, master: RunningMaster, tmp_path: Path) -> None:
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


def test_tasks_and_logs(run, master: RunningMaster) -> None:
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
    assert run("tasks", "--stop")[0] == 2


def test_task_listing_details_and_refused_resume(run, master: RunningMaster) -> None:
    discover(master, count=1)

    async def handler(ctx: TaskContext) -> dict[str, object]:
        await ctx.set_node(MACS[0], status="ready", progress=100, task="done-step", message="fine")
        return {}

    master.state.tasks.register("cli-test", handler)

    async def start() -> str:
        async with await MasterClient.connect(master.base, autostart=False) as client:
            await client.create_environment("prod")
            task = await client.start_task("cli-test", "prod")

            async def finished() -> bool:
                return (await client.task(task.id)).status.finished

            await async_wait_until(finished, what="task finished")
            return task.id

    task_id = asyncio.run(start())
    code, out, _ = run("tasks", "--env", "prod")
    assert code == 0 and task_id in out and "cli-test" in out and "done" in out
    code, out, _ = run("tasks", task_id)
    assert code == 0 and f"task {task_id}  cli-test  env prod  done  100%" in out and "done-step" in out
    name = next(line for line in out.splitlines() if "done-step" in line).split()[0]
    assert name != MACS[0] and not name.count(":")  # the node's name, not its MAC (issue 13, item 14)
    code, out, _ = run("tasks", task_id, "--json")
    assert json.loads(out)["nodes"][MACS[0]]["message"] == "fine"
    code, _, err = run("tasks", task_id, "--resume")
    assert code == 1 and "nothing to resume" in err


def test_logs_follow_prints_new_lines_until_the_master_goes(run, master: RunningMaster, capsys) -> None:
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


HOSTILE = {
    "environment.name": "prod;touch x",
    "nodes[0].nics[1].name": "eth1;touch x",
    "master.interface": "eth0\nAddress=10.9.9.9/8",
    "environment.networks.public.ip_ranges": [["172.16.0.0", "172.16.0.126"]],
}


@pytest.mark.parametrize("path", list(HOSTILE))
def test_check_and_apply_judge_alike(run, tmp_path: Path, path: str) -> None:
    """One rule set: what `apply` refuses, `check` reports; what `check` passes, `apply` takes."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(changed({path: HOSTILE[path]}), sort_keys=False))
    checked, _, _ = run("check", str(bad))
    applied, _, err = run("apply", str(bad))
    assert (checked, applied) == (2, 2), err
    assert run("envs", "--json")[1].strip() == "[]"  # nothing was written
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(BASE, sort_keys=False))
    assert run("check", str(good))[0] == 0
    code, _, err = run("apply", str(good))
    assert code == 0, err


NODE_SAYS = "netconfig \x1b]0;pwned\x07 \x1b]52;c;dG91Y2ggeA==\x07 \x1b[2J \x9b31m \u202eevil"


def _raw_controls(text: str) -> list[str]:
    return [ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F or ch == "\u202e"]


def test_node_output_reaches_the_terminal_sanitised(run, master: RunningMaster, capsys) -> None:
    discover(master, count=1)
    master.state.tasks.write_log("feedc0de0003", MACS[0], NODE_SAYS)
    code, out, _ = run("logs", MACS[0])
    assert code == 0 and "netconfig" in out and "evil" in out
    assert _raw_controls(out) == []

    async def deploy(ctx: TaskContext) -> dict[str, object]:
        await ctx.log(MACS[0], NODE_SAYS)
        await ctx.set_node(MACS[0], status="error", progress=50, task="netconfig", message=NODE_SAYS)
        return {"ready": False}

    master.state.tasks.register("deploy", deploy)

    async def assign() -> None:
        async with await MasterClient.connect(master.base, autostart=False) as client:
            await client.create_environment("prod")
            await client.update_node(MACS[0], (await client.node(MACS[0])).revision, environment="prod")

    asyncio.run(assign())
    code, out, err = run("deploy", "prod", "--follow", "--skip-verify", "--force")  # no roles
    assert code == 1, err
    assert out.count("netconfig") >= 2 and "evil" in out  # the log line and the node's message
    assert _raw_controls(out + err) == []
