"""Node text on a terminal: no escape sequence, control character or bidi override survives."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from fueltui.core.terminaltext import REPLACEMENT, safe_line

HOSTILE = [
    "\x1b]0;pwned\x07",  # window title
    "\x1b]52;c;dG91Y2ggL3RtcC94Cg==\x07",  # clipboard write (OSC 52)
    "\x1b[2J\x1b[H",  # clear screen, cursor home
    "\x9b31m",  # C1 CSI
    "ok\rERROR hidden",  # carriage return hides the start
    "abc\u202eevil",  # right-to-left override
    "nul\x00del\x7f",
]


def test_hostile_sequences_become_visible_and_inert() -> None:
    for text in HOSTILE:
        shown = safe_line(text)
        assert REPLACEMENT in shown
        assert not any(unicodedata.category(ch) == "Cc" for ch in shown), repr(shown)
        assert "\u202e" not in shown


def test_ordinary_text_is_unchanged_and_tabs_expand() -> None:
    line = "2026-11-30T12:00:00Z [node-1] netconfig: eth1.101 up — 10.0.0.5/24 ✓"
    assert safe_line(line) == line
    assert safe_line("a\tb") == "a       b"


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    assert not any(unicodedata.category(ch) == "Cc" for ch in safe_line(text))
