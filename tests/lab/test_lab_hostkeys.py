"""Pinned host keys and the master's key files, without a lab."""

from __future__ import annotations

import json
from pathlib import Path

import asyncssh

from fueltui.ssh.hostkeys import HostKeyStore
from fueltui.ssh.keys import ensure_master_key, key_path, public_key_text


def _key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519").convert_to_public()


def test_first_contact_pins_and_a_changed_key_waits_for_acceptance(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts.json"
    store = HostKeyStore(path)
    first, second = _key(), _key()
    assert store.check("10.20.0.130", first)
    store.flush()
    assert json.loads(path.read_text())["10.20.0.130"].startswith("ssh-ed25519 ")
    assert path.stat().st_mode & 0o777 == 0o600

    reopened = HostKeyStore(path)
    assert reopened.check("10.20.0.130", first)
    assert not reopened.check("10.20.0.130", second)
    pending = reopened.pending()["10.20.0.130"]
    assert pending.pinned != pending.offered and pending.offered.startswith("SHA256:")
    assert not reopened.check("10.20.0.130", second)  # still refused until accepted

    assert reopened.accept("10.20.0.130")
    assert reopened.check("10.20.0.130", second) and not reopened.check("10.20.0.130", first)
    assert not reopened.accept("10.20.0.131")
    assert HostKeyStore(path).check("10.20.0.130", second)  # the acceptance was saved


def test_two_stores_on_one_file_see_each_others_pins(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts.json"
    a, b = HostKeyStore(path), HostKeyStore(path)
    key = _key()
    assert a.check("n1", key)
    a.flush()
    assert not b.check("n1", _key())


def test_the_master_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    private = ensure_master_key(tmp_path)
    assert private == key_path(tmp_path) and private.stat().st_mode & 0o777 == 0o600
    text = public_key_text(tmp_path)
    assert text.startswith("ssh-ed25519 ")
    assert ensure_master_key(tmp_path) == private and public_key_text(tmp_path) == text
