"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class LogsScreen(BaseScreen):
    MODE = "logs"
    TITLE = "Logs"
    HELP = ""
