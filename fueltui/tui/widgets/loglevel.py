"""A log line's level, guessed from its words (node logs are free text)."""

from __future__ import annotations

LEVELS = ("all", "warning", "error")

_ERROR_WORDS = ("ERROR", "FAILED", "FATAL", "TRACEBACK", "CRITICAL", "✗")
_WARNING_WORDS = ("WARN", "DEPRECAT")


def line_level(line: str) -> str:
    upper = line.upper()
    if any(word in upper for word in _ERROR_WORDS):
        return "error"
    if any(word in upper for word in _WARNING_WORDS):
        return "warning"
    return "info"


def keep(line: str, level: str, search: str) -> bool:
    """Whether a line passes the level filter (at least `level`) and contains `search`."""
    if search and search.lower() not in line.lower():
        return False
    if level == "all":
        return True
    found = line_level(line)
    return found == "error" or (level == "warning" and found == "warning")
