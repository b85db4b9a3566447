"""Waiting in tests: poll a condition until a deadline, never sleep blindly.

Every test that waits for something to happen uses these, so a slow machine makes a test
slower, not flaky, and a broken one fails with the condition's name instead of hanging.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL_INTERVAL = 0.05


def wait_until(condition: Callable[[], T | None], timeout: float = 10.0, what: str = "condition") -> T:
    """Call `condition` until it returns something truthy; return that value (so a condition
    answering `X | None` gives an `X`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(POLL_INTERVAL)  # polling interval, not synchronisation


async def async_wait_until(
    condition: Callable[[], Awaitable[T | None]], timeout: float = 10.0, what: str = "condition"
) -> T:
    """The asyncio twin of `wait_until` for conditions that must be awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        await asyncio.sleep(POLL_INTERVAL)  # polling interval, not synchronisation
