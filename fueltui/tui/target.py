"""Where the Master page's Apply may write the master's network files — decided once, loudly.

The files (netplan or networkd, hostname, hosts, resolv.conf) belong to the master's machine.
The TUI writes them only when that is certainly what the operator wants:

- `--root DIR` (not `/`): a staged root, written after a diff;
- `--root /`, or no `--root` while the master is the installed service (systemd) running in
  this TUI's network namespace: the running host, behind a loud confirmation;
- otherwise — and always with `--lab` or a lab master — no file is written: Apply stores the
  boot options on the master, which serves DHCP from them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fueltui.api.host import MasterHost

HOST_ROOT = Path("/")


class TargetError(ValueError):
    """The options given cannot be honoured safely (e.g. `--lab --root /`)."""


def own_netns() -> str | None:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return None


@dataclass(frozen=True)
class FilesTarget:
    root: Path | None  # None: nothing is written, the options are only stored on the master
    why: str  # one line the page shows: where Apply acts and why

    @property
    def is_host(self) -> bool:
        """Apply would rewrite the running machine's own /etc."""
        return self.root is not None and self.root.resolve() == HOST_ROOT


def check_args(root: str | None, lab: bool) -> Path | None:
    """The `--root` the operator gave, refused when it would write the host from the lab."""
    if root is None:
        return None
    path = Path(root)
    if lab and path.resolve() == HOST_ROOT:
        raise TargetError(
            "--lab with --root /: the lab's master lives in its own namespace; "
            "its settings are stored on it, never written into this host's /etc"
        )
    return path


def files_target(root: Path | None, lab: bool, host: MasterHost | None) -> FilesTarget:
    """Where Apply acts, given `--root`, `--lab` and what the master says about itself."""
    if lab or (host is not None and host.lab):
        if root is not None and root.resolve() != HOST_ROOT:
            return FilesTarget(root, f"lab: files staged under {root}; options stored on the lab master")
        return FilesTarget(None, "lab: Apply stores the options on the lab master (no host file changes)")
    if root is not None:
        if root.resolve() == HOST_ROOT:
            return FilesTarget(root, "--root /: Apply rewrites THIS machine's network files")
        return FilesTarget(root, f"Apply writes under {root} (--root)")
    if host is not None and host.service and host.netns is not None and host.netns == own_netns():
        return FilesTarget(HOST_ROOT, "installed master: Apply rewrites THIS machine's network files")
    return FilesTarget(None, "Apply stores the options on the master; files are a preview (--root to write)")
