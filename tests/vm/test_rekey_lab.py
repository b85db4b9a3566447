"""The re-pin Reset arms, on a real node and the real discovery service (a namespace node
that says it runs the bootstrap, so no VM is needed): the armed node's new key is taken once,
without a refusal; an installed OS's new key is refused even when armed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fueltui.lab.lab import lab_boot_options
from fueltui.master.discovery.service import DiscoveryService
from fueltui.master.pxe import rekey
from fueltui.master.store import Store
from labfixtures import LabHandle
from polling import async_wait_until

pytestmark = pytest.mark.lab

BOOTSTRAP_OS = 'PRETTY_NAME="fueltui bootstrap (Debian trixie)"\nID=fueltui-bootstrap\n'
NODE_KEY = "/etc/fueltui-node/ssh_host_ed25519_key.pub"


def _pub(lab: LabHandle) -> str:
    return " ".join(lab.lab.node_exec(1, ["cat", NODE_KEY]).split()[:2])


async def test_an_armed_rekey_is_taken_from_the_bootstrap_only(
    make_lab: Callable[..., LabHandle], tmp_path: Path
) -> None:
    lab = make_lab(nodes=1, master=False, dhcp=False)
    store = Store(tmp_path / "fueltui.db")
    store.set_boot_options(lab_boot_options(), 0)
    state = lab.master_state_dir
    with lab.in_master_ns():
        service = DiscoveryService(store, state, poll_interval=0.3, offline_after=30)
        await service.start()
        try:

            async def discovered() -> str | None:
                return next((r.node.mac for r in store.nodes() if r.node.online), None)

            mac = await async_wait_until(discovered, timeout=30, what="node discovered")
            keys = service.fanout.host_keys

            # The node now answers as the bootstrap (its own overlay root: the host's file is untouched).
            lab.lab.node_exec(
                1, ["sh", "-c", "rm -f /etc/os-release && cat > /etc/os-release"], input=BOOTSTRAP_OS
            )

            async def in_bootstrap() -> bool:
                return (store.node(mac).node.facts.os or "").startswith("fueltui bootstrap")

            await async_wait_until(in_bootstrap, timeout=15, what="facts say bootstrap")
            rekey.expect(state, mac)
            lab.lab.replace_host_key(1)
            new_key = _pub(lab)

            async def repinned() -> bool:
                return keys.pinned(f"node:{mac}") == new_key

            await async_wait_until(repinned, timeout=15, what="the new bootstrap key pinned")
            assert not store.node(mac).node.untrusted
            assert not rekey.armed(state, mac)  # taken once
            assert (await service.fanout.run(lab.admin_ip(1) or "", ["true"])).ok

            # Back on an installed OS: an armed re-pin does not apply, the change is refused.
            lab.lab.node_exec(1, ["ln", "-sf", "../usr/lib/os-release", "/etc/os-release"])

            async def on_os() -> bool:
                return not (store.node(mac).node.facts.os or "").startswith("fueltui bootstrap")

            await async_wait_until(on_os, timeout=15, what="facts say an installed OS")
            rekey.expect(state, mac)
            lab.lab.replace_host_key(1)

            async def untrusted() -> bool:
                return store.node(mac).node.untrusted

            await async_wait_until(untrusted, timeout=15, what="the installed OS's new key refused")
            assert keys.pinned(f"node:{mac}") == new_key and rekey.armed(state, mac)
        finally:
            await service.stop()
            store.close()
