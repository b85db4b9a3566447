"""A reproducible initramfs archive (cpio "newc"), written from an in-memory tree.

Every entry is owned by root with one fixed mtime and numbered in path order, so the same
tree always gives the same bytes; the kernel needs nothing more from the format."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from typing import BinaryIO

TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class Entry:
    mode: int  # full st_mode: type bits and permissions
    data: bytes = b""  # file contents, or the target of a symlink
    rdev: tuple[int, int] = (0, 0)  # device numbers of a character/block device


class Tree:
    """Paths (without a leading slash) to entries; parents are created as 0755 directories."""

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    def _parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            parent = "/".join(parts[:i])
            existing = self.entries.get(parent)
            if existing is None:
                self.entries[parent] = Entry(stat.S_IFDIR | 0o755)
            elif not stat.S_ISDIR(existing.mode):
                raise ValueError(f"{parent} is not a directory (needed for {path})")

    def dir(self, path: str, perm: int = 0o755) -> None:
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = Entry(stat.S_IFDIR | perm)

    def file(self, path: str, data: bytes | str, perm: int = 0o644) -> None:
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = Entry(stat.S_IFREG | perm, data.encode() if isinstance(data, str) else data)

    def symlink(self, path: str, target: str) -> None:
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = Entry(stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path: str, major: int, minor: int, perm: int = 0o600) -> None:
        path = path.strip("/")
        self._parents(path)
        self.entries[path] = Entry(stat.S_IFCHR | perm, b"", (major, minor))

    def __contains__(self, path: str) -> bool:
        return path.strip("/") in self.entries


def _header(ino: int, entry: Entry, name: str, mtime: int) -> bytes:
    nlink = 2 if stat.S_ISDIR(entry.mode) else 1
    size = 0 if stat.S_ISDIR(entry.mode) or stat.S_ISCHR(entry.mode) else len(entry.data)
    fields = (ino, entry.mode, 0, 0, nlink, mtime, size, 0, 0, entry.rdev[0], entry.rdev[1], len(name) + 1, 0)
    return b"070701" + b"".join(f"{f:08x}".encode() for f in fields)


def _pad(out: BinaryIO, length: int) -> None:
    out.write(b"\0" * (-length % 4))


def write_newc(tree: Tree, out: BinaryIO, mtime: int = 0) -> None:
    for ino, name in enumerate(sorted(tree.entries), start=1):
        entry = tree.entries[name]
        header = _header(ino, entry, name, mtime)
        out.write(header + name.encode() + b"\0")
        _pad(out, len(header) + len(name) + 1)
        if stat.S_ISREG(entry.mode) or stat.S_ISLNK(entry.mode):
            out.write(entry.data)
            _pad(out, len(entry.data))
    trailer = _header(0, Entry(0), TRAILER, 0)
    out.write(trailer + TRAILER.encode() + b"\0")
    _pad(out, len(trailer) + len(TRAILER) + 1)
