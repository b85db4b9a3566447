#!/usr/bin/env python3
"""Network verification probe, shipped to each node as a file and run there with python3.

Standard library only: nodes run whatever Python their bootstrap image has.

    probe_agent.py listen --id VID --node NODE [--nics eth0,eth1] --stop-file PATH [--timeout S] [--up]
                          [--go-file PATH | --control-stdin] [--send eth0=0,101 ...]
                          [--expect-file PATH --grace S]
    probe_agent.py send   --id VID --node NODE --nic eth0=0,101 --nic eth1=0 [--repeat N] [--interval S]
    probe_agent.py stop   --stop-file PATH

`listen` binds a raw AF_PACKET socket on each NIC, prints `READY {...}` once every socket is
bound, `HEARD nic vlan sender sender_nic` the first time it hears a peer on a NIC and VLAN
(without an expectation file: the master reads only the RESULT),
and `RESULT {...}` when the stop file appears (or the timeout passes). Given a go file, it
sends its own probes (`SENT {...}`) when that file appears, then ends by itself once it has
heard every probe of its expectation file, or the grace period is over. With
`--control-stdin` the master says the same on stdin: a `GO` line to send, `STOP` to end now;
stdin's end (the master's session is gone) ends it too. `send` broadcasts
probe frames on each NIC: VLAN 0 untagged, any other 802.1Q-tagged. A frame carries the
verification id, the sender node and its NIC. A tag may reach a listener inside the frame
or, stripped by the kernel, in PACKET_AUXDATA: both are read.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_P_PROBE = 0x88B5  # IEEE "local experimental" ethertype: never a real protocol
MAGIC = b"FTVP1"
BROADCAST = b"\xff" * 6
MIN_FRAME = 60

SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10
AUXDATA = struct.Struct("IIIHHHH")  # struct tpacket_auxdata

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
SIOCGIFHWADDR = 0x8927
IFF_UP = 0x1


# --------------------------------------------------------------------------- frames


def build_frame(src_mac: bytes, vlan: int, payload: dict[str, object]) -> bytes:
    """A broadcast probe frame; tagged with an 802.1Q header unless `vlan` is 0."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    header = BROADCAST + src_mac
    if vlan:
        header += struct.pack("!HH", ETH_P_8021Q, vlan & 0x0FFF)
    frame = header + struct.pack("!H", ETH_P_PROBE) + MAGIC + struct.pack("!H", len(body)) + body
    return frame.ljust(MIN_FRAME, b"\0")


def parse_frame(data: bytes, aux_vlan: int | None = None) -> tuple[int, dict[str, object]] | None:
    """(VLAN, payload) of a probe frame, or None for anything else.

    `aux_vlan` is the tag the kernel stripped into PACKET_AUXDATA, if any; a tag still in
    the frame counts when there is none (then the frame is as it was on the wire).
    """
    if len(data) < 14:
        return None
    (ethertype,) = struct.unpack_from("!H", data, 12)
    offset = 14
    vlan = aux_vlan or 0
    if ethertype in (ETH_P_8021Q, ETH_P_8021AD):
        if len(data) < 18:
            return None
        (tci, ethertype) = struct.unpack_from("!HH", data, 14)
        offset = 18
        if aux_vlan is None:
            vlan = tci & 0x0FFF
    if ethertype != ETH_P_PROBE or data[offset : offset + len(MAGIC)] != MAGIC:
        return None
    offset += len(MAGIC)
    if len(data) < offset + 2:
        return None
    (size,) = struct.unpack_from("!H", data, offset)
    body = data[offset + 2 : offset + 2 + size]
    try:
        payload = json.loads(body.decode())
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    return vlan, payload


def aux_vlan_of(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, value in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= AUXDATA.size:
            status, _len, _snap, _mac, _net, tci, _tpid = AUXDATA.unpack_from(value)
            if status & TP_STATUS_VLAN_VALID:
                return int(tci) & 0x0FFF
    return None


# --------------------------------------------------------------------------- NICs


def _ifreq(nic: str, request: int, data: bytes = b"") -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        buf = struct.pack("16s", nic.encode()[:15]) + data.ljust(24, b"\0")
        return fcntl.ioctl(sock.fileno(), request, buf)


def nic_mac(nic: str) -> bytes:
    return _ifreq(nic, SIOCGIFHWADDR)[18:24]


def bring_up(nic: str) -> bool:
    """Set the NIC up; True when it was down (so it is put back down afterwards)."""
    (flags,) = struct.unpack_from("H", _ifreq(nic, SIOCGIFFLAGS), 16)
    if flags & IFF_UP:
        return False
    _ifreq(nic, SIOCSIFFLAGS, struct.pack("H", flags | IFF_UP))
    return True


def put_down(nic: str) -> None:
    (flags,) = struct.unpack_from("H", _ifreq(nic, SIOCGIFFLAGS), 16)
    _ifreq(nic, SIOCSIFFLAGS, struct.pack("H", flags & ~IFF_UP))


def emit(*words: object) -> None:
    print(*words, flush=True)


# --------------------------------------------------------------------------- listen


def load_expectations(path: str | None) -> set[tuple[str, int, str, str]]:
    """(NIC, VLAN, peer, peer NIC) from a JSON file `{nic: {vlan: [[peer, peer_nic], ...]}}`."""
    if not path:
        return set()
    with open(path) as handle:
        data = json.load(handle)
    return {
        (str(nic), int(vlan), str(peer), str(peer_nic))
        for nic, per_vlan in data.items()
        for vlan, peers in per_vlan.items()
        for peer, peer_nic in peers
    }


def listen(args: argparse.Namespace) -> int:
    """Listen until the stop file appears or the timeout passes; with a go file, send this
    node's probes when it appears, then stop once every expected probe was heard or the
    grace period after sending is over (no stop round trip needed)."""
    # Without --nics, listen where this node sends (NIC names may hold a comma; specs can't split them).
    nics = [n for n in args.nics.split(",") if n] if args.nics else [nic for nic, _ in args.send]
    errors: dict[str, str] = {}
    raised: list[str] = []
    sockets: dict[int, tuple[str, socket.socket]] = {}
    heard: dict[str, dict[int, set[tuple[str, str]]]] = {nic: {} for nic in nics}
    outstanding = load_expectations(args.expect_file)
    expecting = bool(args.expect_file)
    try:
        for nic in nics:
            try:
                if args.up and bring_up(nic):
                    raised.append(nic)
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
                _large_receive_buffer(sock)
                sock.bind((nic, ETH_P_ALL))
                sock.setblocking(False)
                sockets[sock.fileno()] = (nic, sock)
            except OSError as exc:
                errors[nic] = exc.strerror or str(exc)
        emit("READY", json.dumps({"errors": errors}))
        started = time.monotonic()
        sent_at: float | None = None
        last_new = 0.0  # when a peer's probe was last heard for the first time
        control = Control(sys.stdin.fileno()) if args.control_stdin else None
        watched = list(sockets) + ([control.fd] if control is not None else [])
        while time.monotonic() < started + args.timeout and not os.path.exists(args.stop_file):
            if control is not None and control.stop:
                break
            now = time.monotonic()
            if (args.go_file or control is not None) and sent_at is None:
                if (control is not None and control.go) or (args.go_file and os.path.exists(args.go_file)):
                    # Sending from the listener spares the node a second Python start-up.
                    report = send_probes(args.id, args.node, args.send, args.repeat, args.interval)
                    emit("SENT", json.dumps(report, sort_keys=True))
                    sent_at = time.monotonic()
                elif now > started + args.go_timeout:
                    errors["*"] = f"no signal to send within {args.go_timeout:g} s"
                    break
            # The grace runs from this node's send or the last new peer heard, whichever is
            # later: on a busy master the go signals of 200 nodes spread over seconds.
            if sent_at is not None and (
                (expecting and not outstanding) or now > max(sent_at, last_new) + args.grace
            ):
                break
            # Frames wake it at once; the timeout only paces the file checks (200 listeners
            # polling at 50 Hz were a load of their own on a shared host).
            ready, _, _ = select.select(watched, [], [], 0.1)
            for fd in ready:
                if control is not None and fd == control.fd:
                    if not control.read():
                        watched.remove(fd)
                    continue
                nic, sock = sockets[fd]
                if _drain(sock, nic, args, heard[nic], outstanding):
                    last_new = time.monotonic()
        for nic, sock in sockets.values():
            _drain(sock, nic, args, heard[nic], outstanding)
    finally:
        for _, sock in sockets.values():
            sock.close()
        for nic in raised:
            try:
                put_down(nic)
            except OSError as exc:
                errors.setdefault(nic, f"could not be put back down: {exc.strerror}")
        for path in (args.stop_file, args.go_file, args.expect_file):
            if path:
                _remove(path)
    result = {
        nic: {str(vlan): sorted([list(p) for p in peers]) for vlan, peers in sorted(per_vlan.items())}
        for nic, per_vlan in heard.items()
    }
    emit("RESULT", json.dumps({"heard": result, "errors": errors}, sort_keys=True))
    return 0


def _drain(
    sock: socket.socket,
    nic: str,
    args: argparse.Namespace,
    heard: dict[int, set[tuple[str, str]]],
    outstanding: set[tuple[str, int, str, str]],
) -> bool:
    """Read what is queued; True when a peer was heard for the first time."""
    new = False
    while True:
        try:
            data, ancdata, _flags, address = sock.recvmsg(65535, socket.CMSG_SPACE(AUXDATA.size))
        except (BlockingIOError, InterruptedError):
            return new
        if len(address) > 2 and address[2] == PACKET_OUTGOING:
            continue
        parsed = parse_frame(data, aux_vlan_of(ancdata))
        if parsed is None:
            continue
        vlan, payload = parsed
        sender, sender_nic = payload.get("node"), payload.get("nic")
        if payload.get("id") != args.id or not isinstance(sender, str) or not isinstance(sender_nic, str):
            continue
        if sender == args.node:
            continue
        peers = heard.setdefault(vlan, set())
        if (sender, sender_nic) not in peers:
            peers.add((sender, sender_nic))
            outstanding.discard((nic, vlan, sender, sender_nic))
            if not args.expect_file:  # the master reads RESULT only: 200 nodes × ~1 000 lines saved
                emit("HEARD", nic, vlan, sender, sender_nic)
            new = True


class Control:
    """The master's word on stdin: `GO` (send now) and `STOP` (end now), one per line; the end
    of stdin means the master's session is gone, so stop as well."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.go = False
        self.stop = False
        self._partial = b""

    def read(self) -> bool:
        """Take what arrived; False at the end of stdin."""
        data = os.read(self.fd, 4096)
        if not data:
            self.stop = True
            return False
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            word = line.strip()
            if word == b"GO":
                self.go = True
            elif word == b"STOP":
                self.stop = True
        return True


def _large_receive_buffer(sock: socket.socket) -> None:
    """Room for every peer's burst: 200 nodes' probes arrive within a second, while a listener
    on a busy node may not run for longer than that (the default buffer held ~270 frames)."""
    for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):  # FORCE: root only
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, 8 << 20)
            return
        except OSError:
            continue


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# --------------------------------------------------------------------------- send


def parse_nic_spec(spec: str) -> tuple[str, list[int]]:
    """`eth1=0,101` -> ("eth1", [0, 101]); a NIC alone sends untagged."""
    nic, _, vlans = spec.rpartition("=") if "=" in spec else (spec, "", "")
    numbers = sorted({int(v) for v in vlans.split(",") if v.strip()} or {0})
    if not nic or any(v < 0 or v > 4094 for v in numbers):
        raise argparse.ArgumentTypeError(f"bad NIC spec {spec!r} (expected NIC=VLAN,VLAN)")
    return nic, numbers


def send_probes(
    vid: str, node: str, specs: list[tuple[str, list[int]]], repeat: int, interval: float
) -> dict[str, object]:
    """Broadcast the probe frames of every NIC spec, `repeat` rounds; what was sent, what failed."""
    errors: dict[str, str] = {}
    frames: list[tuple[str, socket.socket, bytes]] = []
    sockets: list[socket.socket] = []
    try:
        for nic, vlans in specs:
            try:
                mac = nic_mac(nic)
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: send only
                sockets.append(sock)
                sock.bind((nic, 0))
            except OSError as exc:
                errors[nic] = exc.strerror or str(exc)
                continue
            for vlan in vlans:
                payload = {"id": vid, "node": node, "nic": nic, "vlan": vlan}
                frames.append((nic, sock, build_frame(mac, vlan, payload)))
        sent = 0
        for round_ in range(repeat):
            if round_:
                time.sleep(interval)  # spacing between rounds so one lost burst is not fatal
            for nic, sock, frame in frames:
                try:
                    sock.send(frame)
                    sent += 1
                except OSError as exc:
                    errors.setdefault(nic, exc.strerror or str(exc))
    finally:
        for sock in sockets:
            sock.close()
    return {"frames": sent, "errors": errors}


def send(args: argparse.Namespace) -> int:
    report = send_probes(args.id, args.node, args.nic, args.repeat, args.interval)
    emit("SENT", json.dumps(report, sort_keys=True))
    return 0


def stop(args: argparse.Namespace) -> int:
    with open(args.stop_file, "a"):
        pass
    return 0


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="probe_agent.py", description="fueltui network verification probe")
    sub = parser.add_subparsers(dest="command", required=True)
    p_listen = sub.add_parser("listen")
    p_listen.add_argument("--id", required=True)
    p_listen.add_argument("--node", required=True)
    p_listen.add_argument("--nics", help="comma-separated NIC names (default: the NICs of --send)")
    p_listen.add_argument("--stop-file", required=True)
    p_listen.add_argument("--timeout", type=float, default=120.0)
    p_listen.add_argument("--up", action="store_true", help="bring down NICs up while listening")
    p_listen.add_argument("--go-file", help="when this file appears, send the --send probes")
    p_listen.add_argument(
        "--control-stdin", action="store_true", help="GO/STOP lines on stdin; its end stops the listener"
    )
    p_listen.add_argument("--send", action="append", type=parse_nic_spec, default=[], help="NIC=VLAN,VLAN")
    p_listen.add_argument("--repeat", type=int, default=3)
    p_listen.add_argument("--interval", type=float, default=0.05)
    p_listen.add_argument("--expect-file", help="JSON {nic: {vlan: [[peer, peer_nic]]}}: stop once all heard")
    p_listen.add_argument("--grace", type=float, default=2.0, help="seconds to wait for probes after sending")
    p_listen.add_argument("--go-timeout", type=float, default=30.0, help="give up when no go file comes")
    p_listen.set_defaults(func=listen)
    p_send = sub.add_parser("send")
    p_send.add_argument("--id", required=True)
    p_send.add_argument("--node", required=True)
    p_send.add_argument("--nic", action="append", type=parse_nic_spec, default=[], help="NIC=VLAN,VLAN")
    p_send.add_argument("--repeat", type=int, default=3)
    p_send.add_argument("--interval", type=float, default=0.05)
    p_send.set_defaults(func=send)
    p_stop = sub.add_parser("stop")
    p_stop.add_argument("--stop-file", required=True)
    p_stop.set_defaults(func=stop)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
