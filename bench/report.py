"""What the benches share: the machine line, and writing a section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

NOTES_MARK = "<!-- notes -->"


def machine_line(command: str) -> str:
    load = os.getloadavg()
    return (
        f"`{command}` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other work (load average {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f} at the end), Linux {platform.release()}, Python {platform.python_version()}."
    )


def replace_section(path: Path, heading: str, body: str) -> None:
    """Put `body` under `heading` (a `## ` line), replacing what the last run wrote there and
    keeping the hand-written notes that follow the NOTES_MARK line; append the section if new."""
    doc = path.read_text()
    start = doc.find(heading + "\n")
    if start < 0:
        path.write_text(doc.rstrip("\n") + f"\n\n{heading}\n\n{body}\n")
        return
    end = doc.find("\n## ", start + len(heading))
    end = len(doc) if end < 0 else end + 1
    block = doc[start:end]
    mark = block.find(NOTES_MARK)
    notes = "\n\n" + block[mark:].rstrip("\n") if mark >= 0 else ""
    after = "\n" + doc[end:] if end < len(doc) else ""
    path.write_text(doc[:start] + f"{heading}\n\n{body}{notes}\n" + after)


def publish(text: str, write: Path | None, heading: str) -> None:
    """The bench's table on stdout and, with `--write FILE`, as that file's section `heading`."""
    print(text)
    if write:
        replace_section(write, heading, text)
