"""A bond on a real kernel: a QEMU VM in the bootstrap (whose kernel has the bonding driver,
unlike the namespace lab's) reports `can_bond`, and the network script, run over the
master's SSH as deploy runs it, makes the bond, re-makes it for another mode, and removes it
when unbonded — the kernel's /proc/net/bonding says so at each step. One VM under emulation."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from vmlab import one_vm_lab

from fueltui.api.schema import NodeRecord
from fueltui.client.api import MasterClient
from fueltui.core.environment import new_environment
from fueltui.core.model import Bond, BondMode, Node
from fueltui.core.nodeconfig import build_node_configs, render_network_script
from fueltui.core.releases import default_release
from fueltui.lab import vms as lab_vms
from fueltui.lab.lab import Lab
from polling import async_wait_until

pytestmark = [pytest.mark.vm, pytest.mark.lab, pytest.mark.timeout(900)]
ROOT = Path(__file__).resolve().parents[2]

RUNNER = """
import asyncio, json, sys
from pathlib import Path
from fueltui.ssh.fanout import Fanout

async def main() -> None:
    state, host, script, *args = sys.argv[1:]
    async with Fanout.from_state_dir(Path(state)) as fanout:
        # shipped as a file, as deploy ships it (the bootstrap's sshd takes short commands)
        await fanout.put_file(host, "/tmp/fueltui-network.sh", Path(script).read_bytes(), 0o700)
        done = await fanout.run(host, ["sh", "/tmp/fueltui-network.sh", *args], timeout=120)
    print(json.dumps({"rc": done.exit_status, "out": done.stdout + done.stderr}))

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def vm_lab() -> Iterator[Lab]:
    yield from one_vm_lab()


async def _discovered(lab: Lab, mac: str) -> NodeRecord | None:
    async with await MasterClient.connect(lab.master_state_dir, autostart=False) as client:
        for record in await client.nodes():
            if record.node.mac == mac and record.node.online and record.node.facts.nics:
                return record
    return None


def _script(node: Node, bond: Bond | None) -> str:
    release = default_release()
    env = new_environment("lab", release, "neutron-gre")
    cfgs = build_node_configs(
        env, release, [node], {node.mac: {"management": "192.168.0.2/24"}}, apply_vlans=False
    )
    return render_network_script(cfgs[node.mac])


def _layout(node: Node, slaves: list[str], bond: Bond | None) -> Node:
    pxe = node.pxe_nic
    assert pxe is not None
    carrier = bond.name if bond else slaves[0]
    return node.model_copy(
        update={
            "environment": "lab",
            "interfaces": {pxe.name: ["fuelweb_admin"], carrier: ["management"]},
            "bonds": [bond] if bond else [],
        }
    )


def test_a_bond_is_made_changed_and_removed_on_a_real_kernel(vm_lab: Lab, tmp_path: Path) -> None:
    import asyncio

    (vm,) = lab_vms.load(vm_lab.names).vms
    record = asyncio.run(
        async_wait_until(lambda: _discovered(vm_lab, vm.admin_mac), 300, "the VM discovered")
    )
    node = record.node
    assert node.facts.can_bond is True  # the bootstrap's kernel has the bonding driver
    assert node.ip is not None
    slaves = sorted(n.name for n in node.facts.nics if not n.pxe)[:2]
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    os.environ["PYTHONPATH"] = str(ROOT)  # the runner imports this checkout, in the master's namespace

    def on_vm(script: str, *args: str) -> tuple[int, str]:
        path = tmp_path / "network.sh"
        path.write_text(script)
        argv = [sys.executable, str(runner), str(vm_lab.master_state_dir), node.ip or "", str(path), *args]
        answer = json.loads(vm_lab.master_exec(argv).strip().splitlines()[-1])
        return answer["rc"], answer["out"]

    def shell(command: str) -> str:
        return on_vm(f"#!/bin/sh\n{command}\n")[1]

    lacp = Bond(name="bond0", mode=BondMode.lacp, slaves=slaves, lacp_rate="fast", mtu=1400)
    backup = Bond(name="bond0", slaves=slaves)
    bonded = _script(_layout(node, slaves, lacp), lacp)
    rc, out = on_vm(bonded, "--check")
    assert rc == 1 and "bond bond0" in out and "is missing" in out, out
    rc, out = on_vm(bonded)
    assert rc == 0, out
    state = shell("cat /proc/net/bonding/bond0; ip -o -4 addr show dev bond0; ip -o link show dev bond0")
    assert "Bonding Mode: IEEE 802.3ad Dynamic link aggregation" in state, state
    assert "LACP rate: fast" in state
    assert all(f"Slave Interface: {s}" in state for s in slaves), state
    assert "192.168.0.2/24" in state and "mtu 1400" in state
    assert on_vm(bonded, "--check")[0] == 0

    changed = _script(_layout(node, slaves, backup), backup)
    rc, out = on_vm(changed, "--check")
    assert rc == 1 and "mode is 802.3ad, wanted active-backup" in out, out
    rc, out = on_vm(changed)
    assert rc == 0 and "removed bond bond0 to change its options" in out, out
    state = shell("cat /proc/net/bonding/bond0")
    assert "Bonding Mode: fault-tolerance (active-backup)" in state, state
    assert on_vm(changed, "--check")[0] == 0

    plain = _script(_layout(node, slaves, None), None)
    rc, out = on_vm(plain)
    assert rc == 0 and "removed bond bond0 (no longer configured)" in out, out
    state = shell(f"ls /sys/class/net; ip -o -4 addr show dev {slaves[0]}")
    assert "bond0" not in state.split() and "192.168.0.2/24" in state, state
    assert on_vm(plain, "--check")[0] == 0
