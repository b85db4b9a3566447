"""`fueltui changes`, `fueltui deploy` with nothing pending, the lifecycle states in
`fueltui nodes`, and `fueltui notifications`, against a real master."""

from __future__ import annotations

import json

import pytest
from test_lifecycle_api import MACS, discover, mark_deployed

from fueltui.core.environment import new_environment
from fueltui.main import main
from fueltui.master.tasks import TaskContext
from masterfixtures import RunningMaster
from polling import wait_until


@pytest.fixture
def run(master: RunningMaster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(master.base))

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--state-dir", str(master.base), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def assign(master: RunningMaster, mac: str, name: str, roles: list[str]) -> None:
    store = master.state.store
    record = store.node(mac)
    update = {"name": name, "environment": "prod", "roles": roles}
    store.update_node(record.node.model_copy(update=update), record.revision)


def test_changes_and_deploy_with_nothing_pending(run, master: RunningMaster) -> None:
    code, out, err = run("changes", "nope")
    assert code == 1 and "no environment 'nope'" in err
    store = master.state.store
    store.create_environment(new_environment("prod", store.releases()[0], "neutron-gre"))
    code, out, err = run("changes", "prod")
    assert (code, out) == (0, "prod: nothing to deploy\n"), err
    code, out, err = run("deploy", "prod", "--skip-verify")
    assert code == 0, err
    assert out.startswith("nothing to deploy: environment 'prod' has no pending changes")
    assert store.tasks("prod") == []  # no task was created

    discover(master, count=2)
    assign(master, MACS[0], "ctl", ["controller"])
    assign(master, MACS[1], "cmp", ["compute"])
    code, out, _ = run("changes", "prod")
    assert out.splitlines() == [
        "prod: 2 pending changes (fueltui deploy prod)",
        "  add      cmp  (not deployed yet)",
        "  add      ctl  (not deployed yet)",
    ]
    code, out, _ = run("nodes", "--env", "prod")
    assert code == 0 and out.count("pending addition") == 2
    mark_deployed(master, [MACS[0], MACS[1]])
    record = store.node(MACS[1])
    store.update_node(record.node.model_copy(update={"pending_deletion": True}), record.revision)
    code, out, _ = run("nodes", "--env", "prod")
    assert "pending deletion" in out and "ready" in out
    code, out, _ = run("changes", "prod", "--json")
    plan = json.loads(out)
    assert plan["count"] == 2 and [(n["name"], n["action"]) for n in plan["nodes"]] == [
        ("cmp", "remove"),
        ("ctl", "redeploy"),  # its peer leaves: its configuration changes
    ]
    seen: list[dict[str, object]] = []

    async def deploy(ctx: TaskContext) -> dict[str, object]:
        seen.append(dict(ctx.params))
        return {}

    master.state.tasks.register("deploy", deploy)
    code, out, err = run("deploy", "prod", "--skip-verify")
    assert code == 0 and out.startswith("deploying prod: task "), err
    wait_until(lambda: bool(seen), what="the deploy ran")
    assert seen == [{"nodes": [MACS[0]], "skip_verify": True, "resume": True}]


def test_notifications_listed_and_marked_read(run, master: RunningMaster) -> None:
    code, out, _ = run("notifications")
    assert (code, out) == (0, "no unread notifications\n")
    discover(master, count=2)
    store = master.state.store
    store.set_node_online(MACS[1], False)
    code, out, _ = run("notifications")
    lines = out.splitlines()
    assert lines[0].split() == ["TIME", "LEVEL", "NEW", "MESSAGE"]
    assert "warning" in lines[1] and lines[1].endswith("went offline")
    assert lines[-1] == "3 unread"
    code, out, _ = run("notifications", "--read")
    assert out.splitlines()[-1] == "0 unread; 3 marked read"
    assert run("notifications")[1] == "no unread notifications\n"
    code, out, _ = run("notifications", "--all", "--json")
    listing = json.loads(out)
    assert listing["unread"] == 0 and len(listing["notifications"]) == 3
    assert all(n["read"] for n in listing["notifications"])


def test_node_remove_marks_a_deployed_node_pending_and_unassigns_new(run, master: RunningMaster) -> None:
    store = master.state.store
    store.create_environment(new_environment("prod", store.releases()[0], "neutron-gre"))
    discover(master, count=3)
    assign(master, MACS[0], "ctl", ["controller"])
    assign(master, MACS[1], "cmp", ["compute"])
    mark_deployed(master, [MACS[0], MACS[1]])
    assign(master, MACS[2], "cmp2", ["compute"])
    code, out, err = run("node", "remove", "cmp")
    assert code == 0 and out == "cmp: pending deletion from prod; `fueltui deploy prod` removes it\n", err
    node = store.node(MACS[1]).node
    assert node.pending_deletion and node.environment == "prod"
    code, out, err = run("node", "remove", MACS[2])
    assert (code, out) == (0, "cmp2: no longer in prod\n"), err
    assert store.node(MACS[2]).node.environment is None
    code, out, err = run("node", "remove", "cmp2")
    assert code != 0 and "cmp2 is in no environment" in err
    code, out, err = run("node", "remove", "nosuch")
    assert code != 0 and "no node named 'nosuch'" in err
