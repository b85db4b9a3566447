"""Text from nodes made safe for a terminal: what a node writes must not drive the screen.

Node output is free text from machines we do not fully trust. Printed raw, an escape sequence
can set the window title, write the clipboard (OSC 52), hide lines or move the cursor. Every
client (the CLI's `logs` and `deploy --follow`, and the TUI) shows node text through
`safe_line`: control characters — C0 but tab, ESC, DEL, C1 — and bidirectional overrides
become a visible '�', so nothing is hidden and nothing is interpreted.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
# C0 controls but tab, DEL, C1 controls, and the bidi embedding/override/isolate marks
# (which can make a line read differently from what it holds: "Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_line(text: str, tabsize: int = 8) -> str:
    """One line for a terminal: tabs expanded, every control character replaced."""
    return _UNSAFE.sub(REPLACEMENT, text.expandtabs(tabsize))


def safe_lines(lines: list[str]) -> list[str]:
    return [safe_line(line) for line in lines]
