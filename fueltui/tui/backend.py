"""What the TUI needs from the master: the one client, `MasterClient`, by the name screens use.

It was a hand-copied Protocol once, and drifted (a write's revision became optional on one side
only); now the TUI is typed against the client itself, so the two cannot differ.
"""

from __future__ import annotations

from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError

MasterAPI = MasterClient


def describe_error(exc: BaseException) -> str:
    """One readable sentence for a failed call, with the rule findings if the master sent any."""
    if not isinstance(exc, ApiError):
        return str(exc) or type(exc).__name__
    lines = [exc.message or type(exc).__name__]
    lines += [f"• {finding.code}: {finding.message}" for finding in exc.findings[:5]]
    return "\n".join(lines)
