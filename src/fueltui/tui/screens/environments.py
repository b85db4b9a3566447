"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class EnvironmentsScreen(BaseScreen):
    MODE = "environments"
    TITLE = "Environments"
    HELP = ""
