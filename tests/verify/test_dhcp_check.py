"""The DHCP check: offers parsed on paper, then a real rogue dnsmasq named on a bridge."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import Closet, sh

from fueltui.master.verify.dhcp_check import (
    DHCP_MAGIC,
    DhcpServer,
    build_discover,
    foreign_servers,
    parse_offer,
)
from polling import wait_until

MAC = bytes.fromhex("525400aa0001")
ROGUE_MAC = bytes.fromhex("525400bb0002")


def offer_frame(xid: int, server: str, offered: str, msg_type: int = 2) -> bytes:
    bootp = bytearray(240)
    bootp[0] = 2
    struct.pack_into("!I", bootp, 4, xid)
    bootp[16:20] = socket.inet_aton(offered)
    bootp[236:240] = DHCP_MAGIC
    options = bytes([53, 1, msg_type, 54, 4]) + socket.inet_aton(server) + b"\xff"
    payload = bytes(bootp) + options
    udp = struct.pack("!HHHH", 67, 68, 8 + len(payload), 0) + payload
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(server), b"\xff" * 4
    )
    return b"\xff" * 6 + ROGUE_MAC + b"\x08\x00" + ip + udp


def test_discover_is_a_broadcast_bootp_request() -> None:
    frame = build_discover(MAC, 0x1234ABCD)
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == MAC and frame[12:14] == b"\x08\x00"
    ip = frame[14:34]
    assert ip[16:20] == b"\xff" * 4
    assert sum(struct.unpack("!10H", ip)) % 0xFFFF == 0  # header checksum holds
    bootp = frame[42:]
    assert bootp[0] == 1 and struct.unpack_from("!I", bootp, 4)[0] == 0x1234ABCD
    assert struct.unpack_from("!H", bootp, 10)[0] == 0x8000
    assert bootp[28:34] == MAC and bootp[236:240] == DHCP_MAGIC and bootp[240:243] == bytes([53, 1, 1])


def test_offer_names_server_and_mac() -> None:
    server = parse_offer(offer_frame(7, "10.20.0.3", "10.20.0.50"), 7)
    assert server == DhcpServer(address="10.20.0.3", mac="52:54:00:bb:00:02", offered="10.20.0.50")
    assert parse_offer(offer_frame(8, "10.20.0.3", "10.20.0.50"), 7) is None  # someone else's xid
    assert parse_offer(offer_frame(7, "10.20.0.3", "10.20.0.50", msg_type=5), 7) is None  # an ACK
    assert parse_offer(b"\x00" * 20, 7) is None


def test_own_server_is_not_foreign() -> None:
    own = DhcpServer("10.20.0.2", "52:54:00:aa:00:01")
    rogue = DhcpServer("10.20.0.3", "52:54:00:bb:00:02")
    assert foreign_servers([own, rogue], {"10.20.0.2"}, set()) == [rogue]
    assert foreign_servers([own, rogue], set(), {"52:54:00:aa:00:01"}) == [rogue]


class Dnsmasq:
    def __init__(self, ns: str, iface: str, first: str, last: str, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "dnsmasq",
                "--keep-in-foreground",
                "--conf-file=/dev/null",
                "--port=0",
                f"--interface={iface}",
                "--bind-interfaces",
                "--except-interface=lo",
                f"--dhcp-range={first},{last},255.255.255.0,1h",
                f"--dhcp-leasefile={workdir / 'leases'}",
                f"--pid-file={workdir / 'pid'}",
                "--user=root",
                "--group=root",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)


@pytest.fixture
def closet() -> Iterator[Closet]:
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    box = Closet("d")
    try:
        yield box
    finally:
        box.close()


def run_check(ns: str, timeout: float = 1.0) -> tuple[int, list[dict[str, str]]]:
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ns,
            sys.executable,
            "-m",
            "fueltui.master.verify.dhcp_check",
            "--iface",
            "eth0",
            "--timeout",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.lab
def test_a_rogue_dnsmasq_on_the_admin_bridge_is_named_and_ours_is_not(closet: Closet, tmp_path: Path) -> None:
    master = closet.node("master", {"eth0": "bradmin"})
    rogue = closet.node("rogue", {"eth0": "bradmin"})
    sh("ip", "-n", master, "addr", "add", "10.20.0.2/24", "dev", "eth0")
    sh("ip", "-n", rogue, "addr", "add", "10.20.0.3/24", "dev", "eth0")
    rogue_mac = json.loads(sh("ip", "-n", rogue, "-j", "link", "show", "eth0").stdout)[0]["address"]
    ours = Dnsmasq(master, "eth0", "10.20.0.129", "10.20.0.254", tmp_path / "ours")
    servers: list[Dnsmasq] = [ours]
    try:
        assert run_check(master) == (0, [])  # our own server alone: nothing foreign
        servers.append(Dnsmasq(rogue, "eth0", "10.20.0.50", "10.20.0.60", tmp_path / "rogue"))

        # A default dnsmasq pings an address before offering it: the check waits long enough.
        def rogue_seen() -> tuple[int, list[dict[str, str]]] | None:
            seen = run_check(master, 4.0)
            return seen if seen[1] else None

        code, found = wait_until(rogue_seen, what="the rogue DHCP server")
    finally:
        for server in servers:
            server.stop()
    assert code == 1
    assert found == [{"address": "10.20.0.3", "mac": rogue_mac, "offered": found[0]["offered"]}]
    assert found[0]["offered"].startswith("10.20.0.")
    assert 50 <= int(found[0]["offered"].rsplit(".", 1)[1]) <= 60
