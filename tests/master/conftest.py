"""Task kinds the master tests register are removed again, so other parts' kinds stay theirs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fueltui.master import tasks


@pytest.fixture(autouse=True)
def _restore_task_kinds() -> Iterator[None]:
    saved = dict(tasks._HANDLERS)
    yield
    tasks._HANDLERS.clear()
    tasks._HANDLERS.update(saved)
