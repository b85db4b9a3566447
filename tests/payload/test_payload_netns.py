"""The payload's address move onto an Open vSwitch bridge, run for real in a network namespace
of its own (a Linux bridge stands in for br-ex: the move is plain `ip`)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from fueltui.core.payload.shell import PREAMBLE
from fueltui.core.payload.system import _move_addresses

pytestmark = pytest.mark.lab


@pytest.fixture
def netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("needs root (a network namespace)")
    name = f"ftmv{uuid.uuid4().hex[:8]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def sh(ns: str, script: str) -> str:
    proc = subprocess.run(
        ["ip", "netns", "exec", ns, "sh", "-e"], input=script, text=True, capture_output=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_vip_and_the_default_route_move_with_the_address(netns: str) -> None:
    sh(
        netns,
        "ip link set lo up\n"
        "ip link add eth2 type veth peer name eth2p && ip link set eth2 up && ip link set eth2p up\n"
        "ip addr add 172.16.0.4/24 dev eth2\n"
        "ip addr add 172.16.0.2/24 dev eth2  # the public VIP: a secondary of the same subnet\n"
        "ip route add default via 172.16.0.1 dev eth2\n"
        "ip link add br-ex type bridge\n",
    )
    out = sh(netns, PREAMBLE + "\n".join(_move_addresses("eth2", "br-ex")) + "\n")
    assert "moved 172.16.0.2/24 from eth2 to br-ex" in out
    on_bridge = sh(netns, "ip -4 -o addr show dev br-ex")
    assert "172.16.0.4/24" in on_bridge and "172.16.0.2/24" in on_bridge
    assert "inet " not in sh(netns, "ip -4 -o addr show dev eth2")
    assert "default via 172.16.0.1 dev br-ex" in sh(netns, "ip route show default")
    again = sh(netns, PREAMBLE + "\n".join(_move_addresses("eth2", "br-ex")) + "\n")
    assert "moved" not in again  # nothing left to move: a second run changes nothing
