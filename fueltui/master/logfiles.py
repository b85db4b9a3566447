"""Per-node and per-task log files, appended line by line and read back by byte offset.

Layout under `<state>/logs/`: `nodes/<mac>.log` (everything about a node, every task),
`tasks/<task-id>.log` (the whole task, each line tagged with its node) and
`tasks/<task-id>/<mac>.log` (one node within one task). Offsets are byte offsets into
the file, so a client resumes exactly where it stopped, even after a reconnect.

Volume policy (docs/benchmarks.md, "Logs at volume"): every node and task log is capped at
`FILE_CAP` bytes; the write that crosses the cap renames the file to `<name>.1` (replacing the
previous `.1`) and the next line starts a new file, so one log never holds more than twice the
cap on disk and the newest lines are always in the file the API reads. A follower whose offset
is past the end (it read the previous generation) goes on from the new file's end. The master's
own log (`<state>/master.log`, its stdout and stderr) is capped the same way at
`MASTER_LOG_CAP`, checked when the master starts and every `MASTER_CHECK_EVERY` appends.
Nothing is kept in memory beyond one write's lines and a bounded number of open descriptors
(`open_budget`).
"""

from __future__ import annotations

import functools
import os
import re
import resource
import sys
import threading
from collections import OrderedDict
from pathlib import Path

from fueltui import statedir
from fueltui.api.schema import LogChunk
from fueltui.core.model import normalize_mac

MAX_CHUNK = 256 * 1024
FILE_CAP = 64 * 1024 * 1024
MASTER_LOG_CAP = 16 * 1024 * 1024
MASTER_CHECK_EVERY = 4096
_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def open_budget() -> int:
    """Log files kept open: an eighth of the open-files limit, 128 to 1 024. A 200-node deploy
    writes ~400 files at once (each node's log and its task log); with 128 open nearly every
    line closed one file and opened another."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(128, min(1024, soft // 8))


class LogFiles:
    def __init__(self, root: Path, cap: int = FILE_CAP, master_log_cap: int = MASTER_LOG_CAP) -> None:
        self.root = root
        self.cap = cap
        self.master_log_cap = master_log_cap
        self._open: OrderedDict[Path, tuple[int, int]] = OrderedDict()  # path → (fd, size)
        self._lock = threading.Lock()
        self._appends = 0
        statedir.private_dir(root / "nodes")  # node output: addresses, configs, errors
        statedir.private_dir(root / "tasks")
        cap_master_log(root.parent / statedir.LOGFILE_NAME, master_log_cap)

    def node_path(self, mac: str) -> Path:
        return self.root / "nodes" / f"{normalize_mac(mac)}.log"

    def task_path(self, task_id: str, mac: str | None = None) -> Path:
        if not _TASK_ID.match(task_id):
            raise ValueError(f"{task_id!r} is not a task id")
        if mac is None:
            return self.root / "tasks" / f"{task_id}.log"
        return self.root / "tasks" / task_id / f"{normalize_mac(mac)}.log"

    def append(self, path: Path, lines: list[str]) -> None:
        data = "".join(line.replace("\r", "") + "\n" for line in lines).encode("utf-8", "replace")
        with self._lock:
            opened = self._open.pop(path, None)
            if opened is None:
                statedir.private_dir(path.parent)
                # O_APPEND: concurrent writers never interleave inside a line.
                fd = statedir.open_private(path)
                opened = (fd, os.fstat(fd).st_size)
            fd, size = opened
            os.write(fd, data)
            size += len(data)
            if size >= self.cap:  # this generation is full: the next line starts a new file
                os.close(fd)
                os.replace(path, path.with_name(path.name + ".1"))
            else:
                self._open[path] = (fd, size)
            while len(self._open) > self._budget:
                os.close(self._open.popitem(last=False)[1][0])
            self._appends += 1
            if self._appends % MASTER_CHECK_EVERY == 0:
                cap_master_log(self.root.parent / statedir.LOGFILE_NAME, self.master_log_cap)

    @functools.cached_property
    def _budget(self) -> int:
        return open_budget()  # on first use: the master raises its limit after this is made

    def close(self) -> None:
        with self._lock:
            while self._open:
                os.close(self._open.popitem()[1][0])


def cap_master_log(path: Path, cap: int) -> bool:
    """Start a new master log when the one this process writes its output to holds `cap` bytes
    or more: the old one becomes `<name>.1`. Only a file that is this process's stderr is
    touched (a master started in a terminal writes nowhere to cap). True when it rotated."""
    try:
        err = os.fstat(2)
        current = path.stat()
    except OSError:
        return False
    if (err.st_dev, err.st_ino) != (current.st_dev, current.st_ino) or current.st_size < cap:
        return False
    os.replace(path, path.with_name(path.name + ".1"))
    fd = statedir.open_private(path)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)
    return True


def read_chunk(path: Path, offset: int = 0, limit: int = MAX_CHUNK, tail: int | None = None) -> LogChunk:
    """Whole lines from `offset` (or the last `tail` bytes) up to about `limit` bytes."""
    limit = max(1, min(limit, MAX_CHUNK))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return LogChunk(entries=[], start=0, end=0, has_more=False)
    skip_partial = False
    if tail is not None:
        offset = max(0, size - tail)
        skip_partial = offset > 0
    offset = min(max(0, offset), size)
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(limit)
    start = offset
    if skip_partial:
        cut = data.find(b"\n")
        data = data[cut + 1 :] if cut >= 0 else b""
        start = offset + (cut + 1 if cut >= 0 else 0)
    cut = data.rfind(b"\n")
    if cut >= 0:
        data = data[: cut + 1]
    elif len(data) < limit:
        data = b""  # no complete line yet; a line longer than a chunk comes in pieces
    end = start + len(data)
    entries = data.decode("utf-8", "replace").splitlines()
    return LogChunk(entries=entries, start=start, end=end, has_more=end < size)
