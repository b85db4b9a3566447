"""Where the operator was: the page and the environment, so a reopened TUI lands back there.

A convenience only: a missing or unreadable file starts fresh, a failed write is ignored.
The master holds everything that matters; this file holds no secrets."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

from fueltui.statedir import write_private


@dataclass
class UiState:
    page: str = "master"
    env: str | None = None


def load(path: Path) -> UiState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        page, env = data.get("page"), data.get("env")
        return UiState(
            page=page if isinstance(page, str) else "master", env=env if isinstance(env, str) else None
        )
    except (OSError, ValueError, AttributeError):
        return UiState()


def save(path: Path, state: UiState) -> None:
    with contextlib.suppress(OSError):  # remembering the page is a convenience, never an error
        write_private(path, json.dumps({"page": state.page, "env": state.env}))
