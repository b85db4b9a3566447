"""Pinned node host keys: trust on first contact, refuse a changed key loudly.

The pins live in `<state>/ssh/known_hosts.json` ({name: "ssh-ed25519 AAAA..."}), written
atomically. A key that differs from the pin is remembered as *pending* so the operator
can look at its fingerprint and accept it; until then nothing runs on that node.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

from fueltui.ssh.asyncssh_import import asyncssh
from fueltui.statedir import write_atomic


class HostKeyChanged(Exception):
    """The node offered a host key other than the pinned one: it may be an impostor."""

    def __init__(self, host: str, pinned: str, offered: str) -> None:
        self.host = host
        self.pinned_fingerprint = pinned
        self.offered_fingerprint = offered
        super().__init__(
            f"host key of {host} changed (pinned {pinned}, offered {offered}); refusing to connect. "
            f"If the node was reinstalled, accept its new key: fueltui discover --accept {host}"
        )


@dataclass(frozen=True)
class PendingKey:
    host: str
    pinned: str
    offered: str
    offered_key: str


def fingerprint(key_text: str) -> str:
    key = asyncssh.import_public_key(key_text)
    result: str = key.get_fingerprint("sha256")
    return result


def _key_text(key: asyncssh.SSHKey) -> str:
    data: bytes = key.export_public_key("openssh")
    parts = data.decode().split()
    return " ".join(parts[:2])


class HostKeyStore:
    """Thread-safe pin store backed by one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._pins: dict[str, str] = {}
        self._pending: dict[str, PendingKey] = {}
        self._mtime: int | None = None
        self._dirty = False
        self._load()

    def _load(self) -> None:
        # Re-read when another process (or another store on the same file) changed it.
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return
        if mtime == self._mtime:
            return
        unsaved = dict(self._pins) if self._dirty else {}
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise RuntimeError(f"{self.path}: cannot read pinned host keys: {exc}") from exc
        if not isinstance(raw, dict):
            raise RuntimeError(f"{self.path}: expected a JSON object of pinned host keys")
        self._pins = {str(k): str(v) for k, v in raw.items()}
        for name, key in unsaved.items():
            self._pins.setdefault(name, key)
        self._mtime = mtime

    @property
    def unsaved(self) -> bool:
        """check() made pins that flush() has not written yet."""
        return self._dirty

    def flush(self) -> None:
        """Write pins made by check() since the last write."""
        with self._lock:
            if self._dirty:
                self._save()

    def _save(self) -> None:
        data = json.dumps(self._pins, indent=1, sort_keys=True).encode() + b"\n"
        write_atomic(self.path, data, 0o600)
        self._mtime = self.path.stat().st_mtime_ns
        self._dirty = False

    def pinned(self, host: str) -> str | None:
        with self._lock:
            self._load()
            return self._pins.get(host)

    def pending(self) -> dict[str, PendingKey]:
        with self._lock:
            return dict(self._pending)

    def check(self, host: str, key: asyncssh.SSHKey) -> bool:
        """True when `key` may be used for `host`; pins it on first contact."""
        text = _key_text(key)
        with self._lock:
            self._load()
            pinned = self._pins.get(host)
            if pinned is None:
                # Saved by flush(), which the fan-out awaits (off the event loop) before it
                # uses the connection: 50 first contacts make one write, not 50 fsyncs.
                self._pins[host] = text
                self._dirty = True
                return True
            if pinned == text:
                self._pending.pop(host, None)
                return True
            self._pending[host] = PendingKey(host, fingerprint(pinned), fingerprint(text), text)
            return False

    def check_text(self, name: str, key_text: str) -> str | None:
        """Pin `key_text` under `name` on first sight; return the other pinned key if it differs."""
        text = " ".join(key_text.split()[:2])
        with self._lock:
            self._load()
            pinned = self._pins.get(name)
            if pinned is None:
                self._pins[name] = text
                self._save()
                return None
            return None if pinned == text else pinned

    def refuse(self, host: str, pinned: str, offered: str) -> PendingKey:
        """Record that `host` offered `offered` where `pinned` was expected (accept() pins it)."""
        pending = PendingKey(host, fingerprint(pinned), fingerprint(offered), " ".join(offered.split()[:2]))
        with self._lock:
            self._pending[host] = pending
        return pending

    def pin(self, name: str, key_text: str) -> None:
        with self._lock:
            self._load()
            self._pins[name] = " ".join(key_text.split()[:2])
            self._save()

    def accept(self, host: str) -> bool:
        """Pin the key last offered by `host` (after a refusal). False if none is pending."""
        with self._lock:
            pending = self._pending.pop(host, None)
            if pending is None:
                return False
            self._load()
            self._pins[host] = pending.offered_key
            self._save()
            return True

    def forget(self, host: str) -> None:
        """Drop the pin so the next contact pins afresh (a node known to be reinstalled)."""
        with self._lock:
            self._load()
            self._pending.pop(host, None)
            if self._pins.pop(host, None) is not None:
                self._save()


class ProvisionalKeys(HostKeyStore):
    """Accepts whatever key a host offers and pins nothing: for learning *who* answers at an
    address (its admin MAC) before judging its key by that identity. Nothing but the facts
    round trip may run over a connection checked this way."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pins = {}
        self._pending = {}
        self._offered: dict[str, str] = {}
        self._mtime = None
        self._dirty = False

    def _load(self) -> None:
        return

    def _save(self) -> None:
        return

    def check(self, host: str, key: asyncssh.SSHKey) -> bool:
        with self._lock:
            self._offered[host] = _key_text(key)
        return True

    def offered(self, host: str) -> str | None:
        with self._lock:
            return self._offered.get(host)
