"""Small wrappers over iproute2 and namespaces used by the lab and its tests."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
from collections.abc import Iterator, Sequence

from fueltui.lab.names import LabError

CLONE_NEWNET = 0x40000000


def run(argv: Sequence[str], *, input: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(list(argv), input=input, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} failed: {proc.stderr.strip() or proc.returncode}")
    return proc.stdout


def ip_batch(commands: Sequence[str], netns: str | None = None) -> None:
    if not commands:
        return
    argv = ["ip"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    run(argv, input="\n".join(commands) + "\n")


def list_netns() -> list[str]:
    out = run(["ip", "-j", "netns", "list"], check=False).strip()
    if not out:
        return []
    return [entry["name"] for entry in json.loads(out)]


def netns_pids(name: str) -> list[int]:
    out = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in out.split()]


def links(netns: str) -> list[dict[str, object]]:
    out = run(["ip", "-n", netns, "-j", "link", "show"])
    data: list[dict[str, object]] = json.loads(out)
    return data


def addresses(netns: str) -> list[dict[str, object]]:
    out = run(["ip", "-n", netns, "-j", "addr", "show"])
    data: list[dict[str, object]] = json.loads(out)
    return data


def ipv4_of(netns: str, ifname: str) -> str | None:
    for entry in addresses(netns):
        infos = entry.get("addr_info")
        if entry.get("ifname") != ifname or not isinstance(infos, list):
            continue
        for info in infos:
            if isinstance(info, dict) and info.get("family") == "inet":
                return str(info["local"])
    return None


@contextlib.contextmanager
def entered_netns(name: str) -> Iterator[None]:
    """Move the calling thread into a named network namespace, and back afterwards.

    Sockets opened inside stay in that namespace. Used by tests and the benchmark to
    talk to lab addresses without ever sending a packet from the host's namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise LabError(f"cannot enter network namespace {name}: {os.strerror(ctypes.get_errno())}")
        try:
            yield
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                raise LabError("cannot return to the host's network namespace")
    finally:
        os.close(target)
        os.close(own)
