"""Turning what an operator typed into model values; a shape mistake becomes a finding.

Only shapes are judged here (is it a number, is a range two ends); what the values *mean*
is for the core's rules.
"""

from __future__ import annotations

import re

from fueltui.core.model import Finding


class ShapeError(ValueError):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def split_list(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def parse_ranges(text: str, path: str) -> list[tuple[str, str]]:
    """`a-b, c-d` → [(a, b), (c, d)]."""
    ranges: list[tuple[str, str]] = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        ends = [e.strip() for e in part.split("-")]
        if len(ends) != 2 or not all(ends):
            raise ShapeError(
                Finding(code="range-invalid", path=path, message=f"{part!r}: write a range as first-last")
            )
        ranges.append((ends[0], ends[1]))
    return ranges


def format_ranges(ranges: list[tuple[str, str]] | None) -> str:
    return ", ".join(f"{a}-{b}" for a, b in ranges or [])


def parse_int(text: str, path: str, *, optional: bool = True) -> int | None:
    text = text.strip()
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        raise ShapeError(
            Finding(code="value-invalid", path=path, message=f"{text!r} is not a whole number")
        ) from None


def parse_int_range(text: str, path: str) -> tuple[int, int] | None:
    text = text.strip()
    if not text:
        return None
    ends = [e.strip() for e in text.split("-")]
    if len(ends) != 2:
        raise ShapeError(
            Finding(code="range-invalid", path=path, message=f"{text!r}: write the range as first-last")
        )
    first, last = (parse_int(e, path, optional=False) for e in ends)
    assert first is not None and last is not None
    return (first, last)
