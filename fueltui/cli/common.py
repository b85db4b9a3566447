"""What the headless commands share: reaching the master, printing tables, JSON and findings.

Exit codes: the one table in `fueltui.cli.exitcodes`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TextIO

from pydantic import BaseModel

from fueltui.cli.exitcodes import EXIT_FAILED, EXIT_NO_MASTER, EXIT_OK, EXIT_REFUSED
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, MasterUnavailable
from fueltui.core.model import Finding
from fueltui.core.terminaltext import safe_line

__all__ = ["EXIT_ERROR", "EXIT_FAILED", "EXIT_NO_MASTER", "EXIT_OK", "EXIT_REFUSED"]

EXIT_ERROR = EXIT_FAILED


def fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"fueltui: {message}", file=sys.stderr)
    return code


def with_client(work: Callable[[MasterClient], Awaitable[int]], autostart: bool = True) -> int:
    """Connect (starting a master if none runs), run `work`, turn API errors into messages."""

    async def main() -> int:
        client = await MasterClient.connect(autostart=autostart)
        try:
            return await work(client)
        finally:
            await client.close()

    try:
        return asyncio.run(main())
    except MasterUnavailable as exc:
        return fail(exc.message, EXIT_NO_MASTER)
    except ApiError as exc:
        if exc.findings:
            print_findings(exc.findings, sys.stderr)
        return fail(exc.message, EXIT_REFUSED if exc.findings or exc.status == 422 else EXIT_ERROR)


def to_jsonable(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: object) -> None:
    print(json.dumps(to_jsonable(value), indent=2, sort_keys=False))


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], out: TextIO | None = None) -> None:
    """Plain columns, padded to the widest cell; the last column is not padded."""
    stream = out or sys.stdout
    # Cells may hold what nodes said (names, messages): never raw control characters.
    cells = [[str(h) for h in headers]] + [
        ["" if c is None else safe_line(str(c)) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        padded = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        print("  ".join(padded).rstrip(), file=stream)


def print_findings(findings: Sequence[Finding], out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    for finding in findings:
        print(
            safe_line(f"{finding.severity.value:<7} {finding.path}: {finding.message} [{finding.code}]"),
            file=stream,
        )


def human_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"
