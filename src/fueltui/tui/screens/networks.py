"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class NetworksScreen(BaseScreen):
    MODE = "networks"
    TITLE = "Network settings"
    HELP = ""
