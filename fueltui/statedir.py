"""Where the master keeps its state, and the names of the files inside it.

Every command resolves the directory the same way so that the CLI, the TUI and the
master always meet at one socket: `FUELTUI_STATE_DIR` wins (main.py sets it from
`--state-dir`), then the lab's master when `FUELTUI_LAB=1`, then `/var/lib/fueltui`
for root, else the user's XDG state directory.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from fueltui.settings import settings

SOCKET_NAME = "master.sock"
TOKEN_NAME = "token"
PIDFILE_NAME = "master.pid"
LOGFILE_NAME = "master.log"
DB_NAME = "fueltui.db"
LOGS_DIR = "logs"
LISTEN_NAME = "listen"  # "HOST:PORT" of the TCP listener, when one runs


def lab_prefix() -> str:
    return settings().lab_prefix


def lab_state_dir() -> Path:
    """The state directory of the lab's master (`fueltui lab up`), one per lab prefix."""
    override = settings().lab_state_dir
    if override is not None:
        return override
    return Path("/run/fueltui-lab") / lab_prefix() / "master"


def state_dir() -> Path:
    chosen = settings()
    if chosen.state_dir is not None:
        return chosen.state_dir
    if chosen.lab:
        return lab_state_dir()
    if os.geteuid() == 0:
        return Path("/var/lib/fueltui")
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "state"
    return base / "fueltui"


class SharedDirectory(ValueError):
    """A state directory that others share (e.g. /tmp): it can never be made private."""


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) 0700, and tighten it when it exists with a looser mode
    (a `--state-dir` made 0755 beforehand, say). A directory of another user is left alone;
    a sticky one (/tmp, /var/tmp) is refused: chmod-ing it would break the host."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.stat()
    if info.st_mode & stat.S_ISVTX:
        raise SharedDirectory(
            f"{path} is a shared directory (sticky bit); give fueltui a directory of its own"
        )
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & 0o700)
    return path


def ensure_state_dir(path: Path | None = None) -> Path:
    """Create the state directory private to its owner (it holds a token and SSH keys)."""
    target = private_dir(path or state_dir())
    private_dir(target / LOGS_DIR)
    return target


def socket_path(base: Path | None = None) -> Path:
    return (base or state_dir()) / SOCKET_NAME


def token_path(base: Path | None = None) -> Path:
    return (base or state_dir()) / TOKEN_NAME


def pidfile_path(base: Path | None = None) -> Path:
    return (base or state_dir()) / PIDFILE_NAME


def logfile_path(base: Path | None = None) -> Path:
    return (base or state_dir()) / LOGFILE_NAME


def db_path(base: Path | None = None) -> Path:
    return (base or state_dir()) / DB_NAME


def logs_dir(base: Path | None = None) -> Path:
    return (base or state_dir()) / LOGS_DIR


def write_atomic(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """The one atomic file write of fueltui: a unique temp file beside `path` with `mode`,
    fsynced, renamed over `path`, the directory fsynced. A crash leaves the old file or the
    new one, never half of one; a failed write leaves no temp file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data.encode() if isinstance(data, str) else data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file atomically with mode 0600."""
    write_atomic(path, data, 0o600)


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_APPEND) -> int:
    """Open (creating) a file only its owner may read; an existing looser file is tightened."""
    fd = os.open(path, flags, 0o600)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd
