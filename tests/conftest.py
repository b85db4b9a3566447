"""Shared pytest set-up. Fixture modules live beside this file, one per part:
`masterfixtures` (a real master on a temporary unix socket) and `labfixtures`
(a real lab of network namespaces with sshd). Each is loaded when it exists."""

from __future__ import annotations

import importlib.util
import os

import pytest

pytest_plugins = [name for name in ("masterfixtures", "labfixtures") if importlib.util.find_spec(name)]


LAST = ("payload", "vm")  # long lab runs go after everything fast


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The three-controller lab (~10 minutes on a quiet 2-core machine) runs last with the
    # payload; FUELTUI_TEST_HA=0 leaves it out, reported as deselected, not passed.
    if os.environ.get("FUELTUI_TEST_HA") == "0":
        ha = [item for item in items if item.get_closest_marker("ha")]
        if ha:
            config.hook.pytest_deselected(items=ha)
            items[:] = [item for item in items if not item.get_closest_marker("ha")]
    # A module's `ORDER` (default 0) orders it among its peers: the HA lab after the payload lab.
    items.sort(
        key=lambda item: (
            any(item.get_closest_marker(m) for m in LAST),
            getattr(getattr(item, "module", None), "ORDER", 0),
        )
    )
