"""`fueltui verify`: a real master on a temporary socket, the real agent in our namespaces."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import environment, node
from netns import Closet
from netnsfanout import NetnsFanout

from fueltui import statedir
from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.cli.verify import exit_code, render
from fueltui.core.model import BootOptions, DhcpPool
from fueltui.main import main
from fueltui.master.server import MasterServer, ThreadedMaster
from fueltui.master.store import Store
from fueltui.master.verify import task as verify_task

WIRING = {"eth0": "bradmin", "eth1": "brmgmt", "eth2": "brstorage", "eth3": "brpublic"}


async def no_foreign_dhcp(interface: str, timeout: float) -> list[object]:
    return []


def record(status: TaskStatus, **result: object) -> TaskRecord:
    from datetime import UTC, datetime

    return TaskRecord(
        id="t1", kind="verify", env="demo", status=status, result=result, created=datetime.now(UTC)
    )


def test_render_names_every_miss_and_the_rogue_dhcp_server() -> None:
    missing = [
        {"node": "node-2", "node_mac": "m", "nic": "eth1", "mac": "52:54:00:00:02:01",
         "network": "management", "vlan": 101, "missing": ["node-1", "node-3"]},
        {"node": "node-2", "node_mac": "m", "nic": "eth3", "mac": None, "network": "public", "vlan": 0,
         "missing": ["node-1"]},
    ]  # fmt: skip
    rogue = [{"address": "10.20.0.3", "mac": "52:54:00:bb:00:02", "offered": "10.20.0.50"}]
    done = record(
        TaskStatus.done, ok=False, missing=missing, dhcp=rogue, skipped={"node-4": "offline"}, seconds=1.5
    )
    text = render(done)
    assert "2 NIC/network pair(s)" in text
    assert "node-2  eth1  52:54:00:00:02:01  management  VLAN 101  node-1, node-3" in text
    assert "public      untagged  node-1" in text
    assert "foreign DHCP server 10.20.0.3 (52:54:00:bb:00:02)" in text
    assert "not verified: node-4 (offline)" in text
    assert exit_code(done) == 1
    good = record(TaskStatus.done, ok=True, missing=[], dhcp=rogue)
    assert exit_code(good) == 0 and "every NIC heard" in render(good) and "10.20.0.3" in render(good)
    failed = record(TaskStatus.error)
    assert exit_code(failed) == 1  # one table: 1 is "it ran and failed"


@pytest.fixture
def lab_master(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Closet]]:
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    base = tmp_path / "state"
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(base))  # main() sets it; restored after the test
    monkeypatch.setenv("FUELTUI_NO_DISCOVERY", "1")
    monkeypatch.setattr(verify_task, "fanout_factory", lambda _state: NetnsFanout(tmp_path / "nodes"))
    monkeypatch.setattr(
        verify_task, "check_dhcp_async", no_foreign_dhcp
    )  # bradmin is in no namespace of ours
    closet = Closet("c")
    master: ThreadedMaster | None = None
    try:
        nodes = []
        for i in (1, 2, 3):
            n = node(i)
            ns = closet.node(f"n{i}", WIRING, {nic.name: nic.mac for nic in n.facts.nics})
            nodes.append(n.model_copy(update={"ip": ns}))
        statedir.ensure_state_dir(base)
        store = Store(statedir.db_path(base))
        store.write_many(environment(), None, [], new_nodes=nodes)
        admin = BootOptions(
            interface="bradmin", ip="10.20.0.2", netmask="24", hostname="fuel.test",
            dhcp_pool=DhcpPool(start="10.20.0.129", end="10.20.0.254"),
        )  # fmt: skip
        store.set_boot_options(admin, store.boot_options().revision)
        store.close()
        master = ThreadedMaster(MasterServer(base, discovery=False))
        master.start()
        yield base, closet
    finally:
        if master is not None:
            master.stop()
        closet.close()


@pytest.mark.lab
def test_cli_exit_codes_follow_what_was_heard(
    lab_master: tuple[Path, Closet], capsys: pytest.CaptureFixture[str]
) -> None:
    base, closet = lab_master
    assert main(["--state-dir", str(base), "verify", "demo", "--wait"]) == 0
    assert "every NIC heard every peer" in capsys.readouterr().out
    closet.unplug("n1", "eth3")
    assert main(["--state-dir", str(base), "verify", "demo", "--wait", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["errors"] == {}
    assert [(m["node"], m["nic"], m["network"], m["missing"]) for m in out["missing"]] == [
        ("node-1", "eth3", "public", ["node-2", "node-3"])
    ]
    assert main(["--state-dir", str(base), "verify", "nosuch", "--wait"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert main(["--state-dir", str(base), "verify", "demo"]) == 0
    assert "started: task" in capsys.readouterr().out
