"""Per-node and per-task log files, appended line by line and read back by byte offset.

Layout under `<state>/logs/`: `nodes/<mac>.log` (everything about a node, every task),
`tasks/<task-id>.log` (the whole task, each line tagged with its node) and
`tasks/<task-id>/<mac>.log` (one node within one task). Offsets are byte offsets into
the file, so a client resumes exactly where it stopped, even after a reconnect.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from fueltui import statedir
from fueltui.api.schema import LogChunk
from fueltui.core.model import normalize_mac

MAX_CHUNK = 256 * 1024
_TASK_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class LogFiles:
    MAX_OPEN = 128

    def __init__(self, root: Path) -> None:
        self.root = root
        self._open: OrderedDict[Path, int] = OrderedDict()  # recently written files stay open
        self._lock = threading.Lock()
        statedir.private_dir(root / "nodes")  # node output: addresses, configs, errors
        statedir.private_dir(root / "tasks")

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
            fd = self._open.pop(path, None)
            if fd is None:
                statedir.private_dir(path.parent)
                # O_APPEND: concurrent writers never interleave inside a line.
                fd = statedir.open_private(path)
            self._open[path] = fd
            while len(self._open) > self.MAX_OPEN:
                os.close(self._open.popitem(last=False)[1])
            os.write(fd, data)

    def close(self) -> None:
        with self._lock:
            while self._open:
                os.close(self._open.popitem()[1])


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
