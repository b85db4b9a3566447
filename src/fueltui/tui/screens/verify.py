"""Placeholder."""

from __future__ import annotations

from fueltui.tui.screens.base import BaseScreen


class VerifyScreen(BaseScreen):
    MODE = "verify"
    TITLE = "Verify networks"
    HELP = ""
