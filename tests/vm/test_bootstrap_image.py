"""The discovery image itself: built from Debian's packages, cached until an input changes,
the master's key in it and no way in without that key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fueltui.bootstrap.build import build, read_manifest

pytestmark = [pytest.mark.vm, pytest.mark.timeout(600)]
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0PnvBnz0j1f1t3a6GyJ0kX1s0sQbqO2h9Gk5mTqA1a master-a"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3w3bq3p7t0l2Zx8y9Qm0r5s6t7u8v9w0x1y2z3A4B5 master-b"


def _unpack(initrd: Path, dest: Path) -> Path:
    dest.mkdir()
    raw = subprocess.run(["zstd", "-dc", str(initrd)], capture_output=True, check=True).stdout
    subprocess.run(["cpio", "-id", "--quiet"], input=raw, cwd=dest, check=True)
    return dest


def test_image_is_cached_rebuilt_on_a_new_key_and_holds_only_that_key(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = build(state, KEY_A)
    assert first.kernel_bytes > 1_000_000 and first.initrd_bytes > 1_000_000
    again = build(state, KEY_A)
    assert again.cached and again.digest == first.digest
    initrd = first.initrd.read_bytes()
    forced = build(state, KEY_A, force=True)
    assert not forced.cached and forced.initrd.read_bytes() == initrd  # reproducible: the same bytes
    changed = build(state, KEY_B)
    assert not changed.cached and changed.digest != first.digest
    manifest = read_manifest(state)
    assert manifest is not None and manifest["public_key"] == KEY_B
    modules = manifest["modules"]
    assert isinstance(modules, list) and "virtio_net" in modules and "ext4" in modules

    root = _unpack(changed.initrd, tmp_path / "root")
    assert (root / "root/.ssh/authorized_keys").read_text() == KEY_B + "\n"
    assert (root / "root/.ssh/authorized_keys").stat().st_mode & 0o077 == 0
    # No password can match (`*`), and no host key is shipped: each node makes its own.
    assert [line.split(":")[1] for line in (root / "etc/shadow").read_text().splitlines()] == ["*"]
    assert not list(root.glob("etc/dropbear/*")) and not list(root.rglob("*host*key*"))
    assert "-s -g" in (root / "etc/inittab").read_text()  # dropbear: no password logins at all
    assert "ID=fueltui-bootstrap" in (root / "etc/os-release").read_text()
    for tool in ("sbin/ip", "bin/lsblk", "sbin/sfdisk", "sbin/mke2fs", "usr/sbin/dropbear", "bin/busybox"):
        assert (root / tool).is_file(), tool
    assert (root / "init").stat().st_mode & 0o111
