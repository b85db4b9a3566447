"""Where the operator was: the page and the environment, so a reopened TUI lands back there.

A convenience only: a missing or unreadable file starts fresh, a failed write is ignored.
The master holds everything that matters; this file holds no secrets."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tui.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"page": state.page, "env": state.env}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        pass
