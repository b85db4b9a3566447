"""What the TUI needs from the master: the one client, `MasterClient`, by the name screens use.

It was a hand-copied Protocol once, and drifted (a write's revision became optional on one side
only); now the TUI is typed against the client itself, so the two cannot differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fueltui.client.errors import ApiError

if TYPE_CHECKING:
    from fueltui.client.api import MasterClient

    MasterAPI = MasterClient


def __getattr__(name: str) -> object:
    # The client (httpx, anyio, an SSL context) is imported when first used, not before the
    # first frame: screens name `MasterAPI` only in annotations (bench/startup.py).
    if name == "MasterAPI":
        from fueltui.client.api import MasterClient

        return MasterClient
    raise AttributeError(name)


def describe_error(exc: BaseException) -> str:
    """One readable sentence for a failed call, with the rule findings if the master sent any."""
    if not isinstance(exc, ApiError):
        return str(exc) or type(exc).__name__
    lines = [exc.message or type(exc).__name__]
    lines += [f"• {finding.code}: {finding.message}" for finding in exc.findings[:5]]
    return "\n".join(lines)
