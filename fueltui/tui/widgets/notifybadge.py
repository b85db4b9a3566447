"""The unread-notifications badge at the end of the nav bar: `✉3`, nothing when all are read.

Short on purpose: it must fit next to the page keys and the environment at 80 columns."""

from __future__ import annotations

from rich.text import Text

MAX_SHOWN = 99


def badge_text(unread: int) -> Text:
    text = Text(no_wrap=True)
    if unread > 0:
        text.append("  ")
        text.append(f"✉{min(unread, MAX_SHOWN)}{'+' if unread > MAX_SHOWN else ''}", style="bold reverse")
    return text
