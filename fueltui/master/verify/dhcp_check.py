"""Is anyone else handing out addresses on the admin network?

From the master's admin interface, broadcast a DHCPDISCOVER and list every server that
offers an address, except fueltui's own dnsmasq (known by the interface's own addresses
and MAC). Raw AF_PACKET sockets on both sides: the discover needs no address and no port
68 of our own, and each answer shows the Ethernet address of the server that sent it.

Run as a program (`python -m fueltui.master.verify.dhcp_check --iface eth0`) it prints the
foreign servers as JSON; the tests run it that way inside network namespaces.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import secrets
import select
import socket
import struct
import sys
import time
from dataclasses import asdict, dataclass

from fueltui.master.verify.probe_agent import nic_mac

ETH_P_IP = 0x0800
DHCP_MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER = 1, 2


@dataclass(frozen=True)
class DhcpServer:
    address: str  # its server identifier, else the source address of its offer
    mac: str  # Ethernet source of its offer
    offered: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


def format_mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(int(word) for word in struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def build_discover(mac: bytes, xid: int) -> bytes:
    """An Ethernet broadcast DHCPDISCOVER from 0.0.0.0:68 asking for a broadcast answer."""
    bootp = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,  # BOOTREQUEST
        1,  # Ethernet
        6,
        0,
        xid,
        0,
        0x8000,  # broadcast flag: answer to ff:ff:ff:ff:ff:ff, we hold no address
        b"\0" * 4,
        b"\0" * 4,
        b"\0" * 4,
        b"\0" * 4,
        mac.ljust(16, b"\0"),
        b"",
        b"",
    )
    options = DHCP_MAGIC + bytes([53, 1, DISCOVER, 55, 3, 1, 3, 54, 255])
    payload = (bootp + options).ljust(300, b"\0")
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    ip_header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0, b"\0" * 4, b"\xff" * 4
    )
    ip_header = ip_header[:10] + struct.pack("!H", _checksum(ip_header)) + ip_header[12:]
    return b"\xff" * 6 + mac + struct.pack("!H", ETH_P_IP) + ip_header + udp


def parse_offer(frame: bytes, xid: int) -> DhcpServer | None:
    """The server behind a DHCPOFFER answering our `xid`, or None for any other frame."""
    if len(frame) < 14 + 20 or struct.unpack_from("!H", frame, 12)[0] != ETH_P_IP:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP or len(ip) < ihl + 8 + 240:
        return None
    _sport, dport = struct.unpack_from("!HH", ip, ihl)
    if dport != 68:
        return None
    bootp = ip[ihl + 8 :]
    if bootp[0] != 2 or struct.unpack_from("!I", bootp, 4)[0] != xid or bootp[236:240] != DHCP_MAGIC:
        return None
    options = _options(bootp[240:])
    if options.get(53) != bytes([OFFER]):
        return None
    server_id = options.get(54)
    address = (
        socket.inet_ntoa(server_id) if server_id and len(server_id) == 4 else socket.inet_ntoa(ip[12:16])
    )
    offered = socket.inet_ntoa(bootp[16:20])
    return DhcpServer(address=address, mac=format_mac(frame[6:12]), offered=offered)


def _options(data: bytes) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    i = 0
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        size = data[i + 1]
        found.setdefault(code, data[i + 2 : i + 2 + size])
        i += 2 + size
    return found


def own_addresses(iface: str) -> set[str]:
    """The IPv4 addresses on the interface: fueltui's own dnsmasq answers from one of them."""
    import netifaces  # the master's dependency, imported late to keep the module light

    entries = netifaces.ifaddresses(iface).get(netifaces.AF_INET, [])
    return {str(ipaddress.ip_address(e["addr"])) for e in entries if "addr" in e}


def discover_servers(iface: str, timeout: float = 3.0, attempts: int = 2) -> list[DhcpServer]:
    """Every server that offered within `timeout` seconds (blocking: run it in a thread)."""
    mac = nic_mac(iface)
    xid = secrets.randbits(32)
    found: dict[tuple[str, str], DhcpServer] = {}
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP)) as sock:
        sock.bind((iface, ETH_P_IP))
        frame = build_discover(mac, xid)
        start = time.monotonic()
        deadline = start + timeout
        resend = [start + timeout * k / attempts for k in range(attempts)]
        while True:
            now = time.monotonic()
            if resend and now >= resend[0]:
                resend.pop(0)
                sock.send(frame)
            if now >= deadline:
                break
            wake = min([deadline, *resend[:1]])
            ready, _, _ = select.select([sock], [], [], max(0.0, wake - now))
            if ready:
                offer = parse_offer(sock.recv(65535), xid)
                if offer is not None:
                    found.setdefault((offer.address, offer.mac), offer)
    return sorted(found.values(), key=lambda s: (s.address, s.mac))


def foreign_servers(servers: list[DhcpServer], own_ips: set[str], own_macs: set[str]) -> list[DhcpServer]:
    return [s for s in servers if s.address not in own_ips and s.mac not in own_macs]


def check_dhcp(iface: str, timeout: float = 3.0) -> list[DhcpServer]:
    """The DHCP servers on `iface`'s network other than our own (blocking)."""
    servers = discover_servers(iface, timeout)
    return foreign_servers(servers, own_addresses(iface), {format_mac(nic_mac(iface))})


async def check_dhcp_async(iface: str, timeout: float = 3.0) -> list[DhcpServer]:
    return await asyncio.to_thread(check_dhcp, iface, timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="list foreign DHCP servers on an interface's network")
    parser.add_argument("--iface", required=True)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    try:
        servers = check_dhcp(args.iface, args.timeout)
    except OSError as exc:
        print(f"dhcp check on {args.iface}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(json.dumps([s.as_dict() for s in servers]))
    return 1 if servers else 0


if __name__ == "__main__":
    sys.exit(main())
