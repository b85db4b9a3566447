"""Host keys the master expects to change because it asked for the change: a node Reset
sends back to the bootstrap comes up with the bootstrap's fresh host key.

Why a re-pin the master arms, and not a key per node served with its boot: the boot files
travel over TFTP and plain HTTP on the admin network, unauthenticated. A private key served
there would be anyone's to fetch, and whoever held it could pose as the node to the master,
which hands a node in the bootstrap its future OS host key when provisioning it. An armed
re-pin hands out nothing: it lets the master take the next key offered for that node, once,
only within a deadline, and only from a host that answers as that node's admin MAC running
the bootstrap — no weaker than the first discovery of a new machine, and closed again as soon
as the node is back. Any other key change is still refused loudly (see docs/provisioning.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from fueltui.core.bootscript import BOOTSTRAP_OS_PREFIX
from fueltui.core.model import NodeFacts, normalize_mac
from fueltui.statedir import write_private

log = logging.getLogger(__name__)

FILE = Path("ssh") / "expected-rekeys.json"
WINDOW = 1200.0  # a reset node's reboot into the bootstrap: seconds, minutes on slow firmware
_lock = threading.Lock()


def _path(state_dir: Path) -> Path:
    return state_dir / FILE


def _load(state_dir: Path) -> dict[str, float]:
    try:
        raw = json.loads(_path(state_dir).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)}


def _save(state_dir: Path, armed: dict[str, float]) -> None:
    path = _path(state_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_private(path, json.dumps(armed, indent=1, sort_keys=True))


def expect(state_dir: Path, mac: str, window: float = WINDOW) -> None:
    """Arm: the next key node `mac` offers from the bootstrap within `window` s is pinned."""
    with _lock:
        now = time.time()
        armed = {m: t for m, t in _load(state_dir).items() if t > now}
        armed[normalize_mac(mac)] = now + window
        _save(state_dir, armed)


def disarm(state_dir: Path, mac: str) -> None:
    with _lock:
        armed = _load(state_dir)
        if armed.pop(normalize_mac(mac), None) is not None:
            _save(state_dir, armed)


def armed(state_dir: Path, mac: str) -> bool:
    return _load(state_dir).get(normalize_mac(mac), 0.0) > time.time()


def take(state_dir: Path, mac: str, facts: NodeFacts) -> bool:
    """True (and disarmed: it works once) when node `mac` may show a new key now: it was
    armed, the deadline has not passed, and the host answering as that node runs the bootstrap."""
    key = normalize_mac(mac)
    with _lock:
        armed = _load(state_dir)
        deadline = armed.get(key)
        if deadline is None or deadline < time.time():
            return False
        if not (facts.os or "").startswith(BOOTSTRAP_OS_PREFIX):
            return False  # the installed OS keeps the key provisioning pinned: never re-pin it
        del armed[key]
        _save(state_dir, armed)
    log.info("node %s is back in the bootstrap after a reset: its new host key is pinned", key)
    return True
