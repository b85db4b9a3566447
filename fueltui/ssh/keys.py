"""The master's SSH identity: one ed25519 key, made on first start, kept in the state dir.

Nodes trust this key only (it goes into the bootstrap image's authorized_keys), so the
private half is written 0600 and never leaves the state directory.
"""

from __future__ import annotations

from pathlib import Path

from fueltui.ssh.asyncssh_import import asyncssh
from fueltui.statedir import write_atomic

KEY_NAME = "id_ed25519"


def key_path(state_dir: Path) -> Path:
    return state_dir / "ssh" / KEY_NAME


def public_key_path(state_dir: Path) -> Path:
    return state_dir / "ssh" / f"{KEY_NAME}.pub"


def ensure_master_key(state_dir: Path, comment: str = "fueltui-master") -> Path:
    """Return the private key's path, generating the key pair if there is none yet."""
    private = key_path(state_dir)
    public = public_key_path(state_dir)
    if private.exists():
        if not public.exists():
            key = asyncssh.read_private_key(str(private))
            write_atomic(public, key.export_public_key("openssh"), 0o644)
        return private
    private.parent.mkdir(parents=True, exist_ok=True)
    private.parent.chmod(0o700)
    key = asyncssh.generate_private_key("ssh-ed25519", comment=comment)
    write_atomic(private, key.export_private_key("openssh"), 0o600)
    write_atomic(public, key.export_public_key("openssh"), 0o644)
    return private


def public_key_text(state_dir: Path) -> str:
    """The one-line OpenSSH public key, generating the pair when needed."""
    ensure_master_key(state_dir)
    return public_key_path(state_dir).read_text().strip()
