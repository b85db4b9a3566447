"""The app opens straight in its start page: no blank default screen is mounted, resumed and
switched away from before the first frame (bench/startup.py, docs/benchmarks.md "Start-up")."""

from __future__ import annotations

import pytest

from fueltui.tui.app import PAGE_SCREENS
from tui.test_environments import settle


@pytest.mark.parametrize("start", ["master", "environments", "settings"])
async def test_the_only_screen_mounted_at_start_is_the_start_page(make_app, start: str) -> None:
    app = make_app(start=start)  # no master: the page paints and waits for one
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, PAGE_SCREENS[start]), f"the {start} page")
        assert app.current_mode == start
        # Every mode the app has built is a page's (Textual's blank "_default" never was).
        assert set(app._screen_stacks) == {start}
        assert [type(screen) for screen in app.screen_stack] == [PAGE_SCREENS[start]]
        assert app.screen.query("Footer")


async def test_a_page_key_still_switches_away_from_the_start_page(make_app) -> None:
    app = make_app(start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.current_mode == "environments", "the environments page")
        await pilot.press("3")
        await settle(pilot, lambda: app.current_mode == "networks", "the networks page")
        assert isinstance(app.screen, PAGE_SCREENS["networks"])
        await pilot.press("2")
        await settle(pilot, lambda: app.current_mode == "environments", "back on environments")
        assert set(app._screen_stacks) == {"environments", "networks"}
