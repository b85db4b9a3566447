"""Reset environment without VMs: what each node gets, the wipe script's refusals, the armed
re-pin of a host key, and the API/CLI end to end on a real master (nodes offline, so nothing
is reached: the deploy state is cleared and every node says why it was not touched)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fueltui.client.api import MasterClient
from fueltui.client.errors import ConflictError
from fueltui.core.model import Disk, Node, NodeFacts, NodeStatus
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.pxe import rekey
from fueltui.master.pxe.reset import ResetAction, reset_action, target_disks, wipe_script
from masterfixtures import RunningMaster
from polling import async_wait_until

MAC = "52:54:01:00:00:01"
BOOTSTRAP = "fueltui bootstrap (Debian trixie)"
DEBIAN_13 = "Debian GNU/Linux 13 (trixie)"


def node(n: int, os_name: str | None) -> Node:
    return Node(mac=f"52:54:01:00:00:{n:02x}", name=f"node-{n}", facts=NodeFacts(os=os_name))


def online(n: int, os_name: str | None) -> Node:
    return node(n, os_name).model_copy(update={"online": True, "ip": f"10.20.0.{n + 10}"})


def test_each_node_gets_what_it_runs() -> None:
    assert reset_action(online(1, DEBIAN_13), provisioned_by_us=True) == ResetAction.reinstall
    # The namespace lab's nodes share the host's disks: never wiped, never rebooted.
    lab = online(2, "Debian GNU/Linux 12 (bookworm)")
    assert reset_action(lab, provisioned_by_us=False) == ResetAction.state_only
    assert reset_action(online(3, BOOTSTRAP), provisioned_by_us=False) == ResetAction.wipe
    assert reset_action(node(4, DEBIAN_13), provisioned_by_us=True) == ResetAction.unreachable  # offline


def test_the_wipe_script_quotes_nothing_it_cannot_trust() -> None:
    script = wipe_script(["vda", "nvme0n1"])
    assert "wipefs -a -f /dev/vda " in script and "of=/dev/nvme0n1 bs=1M count=1" in script
    assert script.rstrip().endswith("echo wiped") and "sysrq" not in script  # the caller reboots
    failing = subprocess.run(["sh", "-c", wipe_script(["nosuchdisk0"])], capture_output=True, text=True)
    assert failing.returncode == 3 and "wiped" not in failing.stdout  # a disk that is not there stops it
    listed = node(5, DEBIAN_13).model_copy(
        update={
            "facts": NodeFacts(
                os=DEBIAN_13,
                disks=[
                    Disk(name="fd0", size_bytes=4096),
                    Disk(name="vda", size_bytes=2**34),
                    Disk(name="sr0", size_bytes=0),
                ],
            )
        }
    )
    assert target_disks(listed) == ["vda"]  # an installed OS lists QEMU's floppy drive too
    for bad in (["vda; reboot"], ["../sda"], []):
        with pytest.raises(ValueError, match="refusing to wipe"):
            wipe_script(bad)


def test_an_armed_rekey_is_taken_once_and_only_from_the_bootstrap(tmp_path: Path) -> None:
    bootstrap, installed = NodeFacts(os=BOOTSTRAP), NodeFacts(os=DEBIAN_13)
    assert not rekey.take(tmp_path, MAC, bootstrap)  # nothing armed: a changed key stays refused
    rekey.expect(tmp_path, MAC.upper())
    assert rekey.armed(tmp_path, MAC)
    assert not rekey.take(tmp_path, MAC, installed)  # an installed OS never gets a new key this way
    assert rekey.take(tmp_path, MAC, bootstrap)
    assert not rekey.take(tmp_path, MAC, bootstrap)  # once
    rekey.expect(tmp_path, MAC, window=-1)
    assert not rekey.take(tmp_path, MAC, bootstrap)  # past its deadline
    assert oct((tmp_path / rekey.FILE).stat().st_mode & 0o777) == "0o600"


async def _env_with_deployed_nodes(master: RunningMaster, client: MasterClient) -> list[str]:
    store = master.state.store
    await client.create_environment("lab", mode="nova-network")
    macs = []
    for n in (1, 2):
        mac = f"52:54:00:00:00:{n:02x}"
        facts = NodeFacts(os=DEBIAN_13, disks=[Disk(name="vda", size_bytes=16 * 2**30)])
        store.upsert_discovered(mac, f"10.20.0.{n + 10}", facts)
        record = await client.node(mac)
        await client.update_node(mac, record.revision, environment="lab", roles=["compute"])
        store.set_node_status(mac, NodeStatus.ready.value)
        store.set_node_online(mac, False)
        macs.append(mac)
    ResumeState.for_environment(master.base, "lab").record(macs[0], "hosts", "sig")
    return macs


async def test_reset_clears_the_deploy_state_and_refuses_a_stale_view(
    master: RunningMaster, client: MasterClient
) -> None:
    macs = await _env_with_deployed_nodes(master, client)
    env = await client.environment("lab")
    with pytest.raises(ConflictError, match="changed since it was read"):
        await client.reset_environment("lab", env.revision + 1)
    task = await client.reset_environment("lab", env.revision)
    assert task.kind == "reset"

    async def finished() -> object:
        t = await client.task(task.id)
        return t if t.status.finished else None

    done = await async_wait_until(finished, 120, "the reset to finish")
    assert done.status == "done", done.message  # type: ignore[attr-defined]
    for mac in macs:
        assert (await client.node(mac)).node.status == NodeStatus.discover
        assert "nothing reached it" in done.result["nodes"][mac]["message"]  # type: ignore[attr-defined]
        assert (await client.node(mac)).node.roles == ["compute"]  # pending addition again
    assert not ResumeState.for_environment(master.base, "lab").path.exists()
    assert (await client.environment("lab")).environment.status == "new"


def _cli(master: RunningMaster, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUELTUI_STATE_DIR": str(master.base), "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-m", "fueltui", *args], env=env, capture_output=True, text=True, timeout=300
    )


async def test_the_cli_asks_for_yes_then_resets(master: RunningMaster, client: MasterClient) -> None:
    macs = await _env_with_deployed_nodes(master, client)
    refused = _cli(master, "reset", "lab")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert (await client.node(macs[0])).node.status == NodeStatus.ready  # nothing changed
    unknown = _cli(master, "reset", "nope", "--yes")
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    done = _cli(master, "reset", "lab", "--yes", "--wait")
    assert done.returncode == 0, done.stderr
    assert "reset done" in done.stdout and "nothing reached it" in done.stdout
    assert (await client.node(macs[1])).node.status == NodeStatus.discover
