"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class InterfacesScreen(BaseScreen):
    MODE = "interfaces"
    TITLE = "Interfaces"
    HELP = ""
