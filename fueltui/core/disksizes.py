"""Disk sizes as operators type and read them. Sizes are MiB throughout Configure Disks."""

from __future__ import annotations

import re

# Units are binary whatever their spelling: disks are planned in MiB.
UNITS = {
    "": 1,
    "m": 1,
    "mb": 1,
    "mib": 1,
    "g": 1024,
    "gb": 1024,
    "gib": 1024,
    "t": 2**20,
    "tb": 2**20,
    "tib": 2**20,
}
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
MAX_MIB = 2**40  # an exbibyte: no disk is larger, anything beyond is a typo
SIZE_HINT = "give MiB (10240) or a number with M, G or T (10G, 1.5T)"


def parse_size(value: object) -> int:
    """MiB from what an operator types: 10240, "10240", "512M", "10G", "1.5 TiB"."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not a size: {SIZE_HINT}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value}: a size cannot be negative")
        mib = float(value)
    else:
        match = SIZE.match(value.lower())
        if match is None or match.group(2) not in UNITS:
            shown = value if len(value) <= 20 else value[:17] + "..."
            raise ValueError(f"{shown!r} is not a size: {SIZE_HINT}")
        mib = float(match.group(1)) * UNITS[match.group(2)]
    if mib > MAX_MIB:
        raise ValueError(f"{value!r} is larger than any disk")
    if mib != int(mib):
        raise ValueError(f"{value!r} is not a whole number of MiB")
    return int(mib)


def format_mib(mib: int) -> str:
    """A size exactly, as `parse_size` reads it back: whole GiB as "10G", the rest in MiB."""
    return f"{mib // 1024}G" if mib and mib % 1024 == 0 else f"{mib}M"


def human_mib(mib: int) -> str:
    """A size short enough for a table cell: "512M", "9.5G", "96G", "1.9T" (rounded)."""
    if abs(mib) < 1024:
        return f"{mib}M"
    gib = mib / 1024
    if abs(gib) >= 1024:
        return f"{gib / 1024:.1f}T"
    return f"{gib:.0f}G" if abs(gib) >= 100 or gib == int(gib) else f"{gib:.1f}G"
