"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class NodesScreen(BaseScreen):
    MODE = "nodes"
    TITLE = "Nodes and roles"
    HELP = ""
