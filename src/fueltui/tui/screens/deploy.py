"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class DeployScreen(BaseScreen):
    MODE = "deploy"
    TITLE = "Deploy"
    HELP = ""
