"""Where the mirror lives, and the names inside it.

Root: `FUELTUI_MIRROR_DIR`, else `/var/cache/fueltui/mirror` for root, else the user's
cache directory. One folder per OS (`debian-13-amd64/`) holds the repository
(`repo/dists`, `repo/pool`, the public key `repo/fueltui-mirror.asc`); `images/NAME/` holds
the OS image's root tree (the namespace lab's lower layer, and what provisioning writes).
"""

from __future__ import annotations

import os
from pathlib import Path

from fueltui.core.payload.data import HTTP_PORT, mirror_url
from fueltui.settings import settings

__all__ = ["HTTP_PORT", "KEY_FILE", "image_dir", "image_ready", "mirror_root", "mirror_url", "repo_dir"]

KEY_FILE = "fueltui-mirror.asc"


def mirror_root() -> Path:
    override = settings().mirror_dir
    if override is not None:
        return override
    if os.geteuid() == 0:
        return Path("/var/cache/fueltui/mirror")
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fueltui" / "mirror"


def repo_dir(os_name: str, root: Path | None = None) -> Path:
    return (root or mirror_root()) / os_name / "repo"


def image_dir(os_name: str, root: Path | None = None) -> Path:
    return (root or mirror_root()) / "images" / os_name


def image_ready(os_name: str, root: Path | None = None) -> bool:
    return (image_dir(os_name, root) / "etc" / "fueltui-image").exists()
