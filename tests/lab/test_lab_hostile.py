"""A node that lies about itself: hostile hostname and NIC names execute nothing, on the
node or on the master, and come back as warnings instead of values."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from labfixtures import LabHandle
from polling import async_wait_until

pytestmark = pytest.mark.lab

HOSTILE_HOSTNAME = "$(touch /tmp/x)\n'\"`touch /tmp/y`"
HOSTILE_NICS = {"eth2": "a'b\"c", "eth3": "$(touch${IFS}x)"}


async def test_hostile_hostname_and_nic_names_execute_nothing(make_lab: Callable[..., LabHandle]) -> None:
    host_markers = [Path("/tmp/x"), Path("/tmp/y"), Path.cwd() / "x"]
    before = {p: p.exists() for p in host_markers}
    lab = make_lab(nodes=1, master_env={"FUELTUI_POLL_INTERVAL": "0.5"})
    lab.lab.set_hostname(1, HOSTILE_HOSTNAME)
    for old, new in HOSTILE_NICS.items():
        lab.lab.node_exec(1, ["ip", "link", "set", old, "down"])
        lab.lab.node_exec(1, ["ip", "link", "set", old, "name", new])
        lab.lab.node_exec(1, ["ip", "link", "set", new, "up"])
    client = await lab.client()
    try:

        async def warned() -> list[str]:
            node = (await client.node(lab.nodes[0].admin_mac)).node
            return node.facts.warnings if len(node.facts.warnings) >= 3 else []

        warnings = await async_wait_until(warned, timeout=20, what="the re-poll to reject the hostile values")
        node = (await client.node(lab.nodes[0].admin_mac)).node
    finally:
        await client.close()
    assert node.facts.hostname is None
    assert node.name == "bootstrap-1"  # the name given at first discovery stays
    assert [n.name for n in node.facts.nics] == ["eth0", "eth1"]
    assert any("hostname" in w for w in warnings)
    assert sum("NIC name" in w for w in warnings) == 2
    on_node = lab.lab.node_exec(1, ["sh", "-c", "ls /tmp/x /tmp/y /root/x /x 2>/dev/null || true"])
    assert on_node == ""
    assert {p: p.exists() for p in host_markers} == before
    assert not (lab.master_state_dir / "x").exists()
    assert os.path.exists(lab.master_state_dir / "fueltui.db")
