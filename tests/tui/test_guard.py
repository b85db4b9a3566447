"""The app-wide guard: an exception in any handler is a notification, never a traceback, and
the page that raised it keeps working."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from fueltui.tui.app import GUARD_BUDGET, FuelApp
from fueltui.tui.screens.master_setup import MasterSetupScreen
from tui.test_environments import settle


def bare_app(root: Path) -> FuelApp:
    return FuelApp(root=root)


def errors(app: FuelApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Unexpected error"]


async def test_an_action_that_raises_is_a_notification(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: MasterSetupScreen) -> None:
        raise RuntimeError("flavour exploded")

    monkeypatch.setattr(MasterSetupScreen, "action_flavor", boom)
    app = bare_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await settle(pilot, lambda: len(errors(app)) == 1, "the error as a notification")
        assert "RuntimeError: flavour exploded" in errors(app)[0]
        await pilot.press("ctrl+t")  # the page still answers keys
        await settle(pilot, lambda: len(errors(app)) == 2, "a second notification")
        assert app.is_running and isinstance(app.screen, MasterSetupScreen)
    assert app.return_code in (None, 0)


async def test_a_message_handler_that_raises_leaves_the_page_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = bare_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await settle(pilot, lambda: screen.options is not None, "the page's first check")
        original = MasterSetupScreen.revalidate

        def broken(self: MasterSetupScreen) -> None:
            raise ValueError("rules crashed")

        monkeypatch.setattr(MasterSetupScreen, "revalidate", broken)
        field = screen.query_one("#in-hostname", Input)
        field.focus()
        await pilot.press("x")  # Input.Changed → the page's handler raises
        await settle(pilot, lambda: len(errors(app)) == 1, "the handler's error as a notification")
        monkeypatch.setattr(MasterSetupScreen, "revalidate", original)
        await pilot.press("y")  # the page's message loop still runs: typing validates again
        await settle(
            pilot,
            lambda: screen.options is not None and screen.options.hostname.endswith("xy"),
            "revalidation",
        )
        # a timer callback (outside any page) is guarded too
        app.set_timer(0.01, lambda: 1 / 0)
        await settle(pilot, lambda: any("ZeroDivisionError" in m for m in errors(app)), "the timer's error")
        assert app.is_running


async def test_a_crash_loop_still_ends_the_app(tmp_path: Path) -> None:
    app = bare_app(tmp_path)
    with pytest.raises(RuntimeError, match="again"):
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(GUARD_BUDGET + 1):
                app._handle_exception(RuntimeError("again"))
            await pilot.pause()
    assert app.return_code == 1
