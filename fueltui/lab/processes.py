"""Finding and ending the processes a lab started, and nothing else."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _ancestors() -> set[int]:
    result, pid = set(), os.getpid()
    while pid > 1:
        result.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return result


def names_path(arg: str, root: str) -> bool:
    """Does one argument name `root` or a path under it? ("/run/x/ft" must not match "/run/x/ftdev")."""
    root = root.rstrip("/")
    return arg == root or arg.endswith("=" + root) or root + "/" in arg


def mentioning(root: str) -> list[int]:
    """Processes whose command line names the lab root or a path under it: everything a lab
    started carries its root in its arguments, which makes a lost state file recoverable."""
    own = _ancestors()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in own:
            continue
        if any(names_path(arg, root) for arg in cmdline(int(entry.name))):
            found.append(int(entry.name))
    return found


def _signal_and_wait(pids: Iterable[int], sig: signal.Signals, wait: float) -> list[int]:
    """Send `sig` to every pid (never PID 1 or ourselves); wait up to `wait` s for them to go.
    Returns the targets, some of which may still be alive."""
    targets = [p for p in set(pids) if p > 1 and p != os.getpid()]
    for pid in targets:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and any(alive(p) for p in targets):
        time.sleep(0.02)  # polling interval while processes exit
    return targets


def end(pids: Iterable[int], grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL whatever is still there after `grace` seconds."""
    kill(_signal_and_wait(pids, signal.SIGTERM, grace))


def kill(pids: Iterable[int], wait: float = 5.0) -> None:
    _signal_and_wait(pids, signal.SIGKILL, wait)
