"""Just enough ELF reading to assemble an initramfs without running anything built for the
target: the shared libraries a binary needs (DT_NEEDED) and a kernel module's `.modinfo`.

Running the target's own tools (ldd, depmod, busybox --list) on the master would tie the
build to the master's C library; reading the files does not."""

from __future__ import annotations

import struct

SHT_DYNAMIC = 6
DT_NULL = 0
DT_NEEDED = 1


class ElfError(ValueError):
    pass


def _sections(data: bytes) -> list[tuple[int, int, int, int, int]]:
    """(name offset, type, file offset, size, link) of each section of a 64-bit LE ELF."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ElfError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, _shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shentsize < 64 or shoff + shnum * shentsize > len(data):
        raise ElfError("no readable section table")
    out = []
    for i in range(shnum):
        base = shoff + i * shentsize
        name, kind = struct.unpack_from("<II", data, base)
        offset, size = struct.unpack_from("<QQ", data, base + 0x18)
        (link,) = struct.unpack_from("<I", data, base + 0x28)
        out.append((name, kind, offset, size, link))
    return out


def _section_name(data: bytes, sections: list[tuple[int, int, int, int, int]], name_off: int) -> str:
    (shstrndx,) = struct.unpack_from("<H", data, 0x3E)
    _, _, str_off, str_size, _ = sections[shstrndx]
    start = str_off + name_off
    end = data.index(b"\0", start, str_off + str_size)
    return data[start:end].decode("ascii", "replace")


def needed_libraries(data: bytes) -> list[str]:
    """The sonames a dynamically linked binary or library asks for, in order."""
    sections = _sections(data)
    found: list[str] = []
    for _name, kind, offset, size, link in sections:
        if kind != SHT_DYNAMIC:
            continue
        _, _, str_off, str_size, _ = sections[link]
        for pos in range(offset, offset + size - 15, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                start = str_off + value
                end = data.index(b"\0", start, str_off + str_size)
                found.append(data[start:end].decode("ascii", "replace"))
    return found


def modinfo(data: bytes) -> dict[str, list[str]]:
    """A kernel module's `.modinfo` fields (`depends`, `alias`, `softdep`, ...): key -> values."""
    sections = _sections(data)
    for name_off, _kind, offset, size, _link in sections:
        if _section_name(data, sections, name_off) != ".modinfo":
            continue
        info: dict[str, list[str]] = {}
        for entry in data[offset : offset + size].split(b"\0"):
            key, sep, value = entry.decode("utf-8", "replace").partition("=")
            if sep:
                info.setdefault(key, []).append(value)
        return info
    return {}
