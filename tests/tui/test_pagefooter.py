"""The pages' footer shows its keys in the page's first frame and is composed again only when
the keys it shows change (bench/startup.py, docs/benchmarks.md "Start-up")."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input

from fueltui.tui.screens.master_setup import MasterSetupScreen
from fueltui.tui.widgets.pagefooter import PageFooter
from tui.test_environments import settle


def descriptions(footer: PageFooter) -> list[str]:
    return [str(getattr(key, "description", "")) for key in footer.children]


async def test_the_keys_are_in_the_first_frame(make_app, monkeypatch) -> None:
    painted: list[list[str]] = []
    display = App._display

    def first_display(app, screen, renderable) -> None:
        if renderable is not None and not painted:
            painted.append(descriptions(screen.query_one(PageFooter)))
        display(app, screen, renderable)

    monkeypatch.setattr(App, "_display", first_display)
    app = make_app(start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert painted and "Quit" in painted[0] and "Apply" in painted[0]


async def test_the_footer_follows_the_focus_and_recomposes_only_on_a_change(make_app) -> None:
    app = make_app(start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        footer = screen.query_one(PageFooter)
        await settle(pilot, lambda: bool(footer.children), "the footer's keys")
        assert "Leave field" not in descriptions(footer)
        screen.query_one("#in-ip", Input).focus()
        await settle(pilot, lambda: "Leave field" in descriptions(footer), "Esc shown while typing")
        keys = list(footer.children)
        screen.query_one("#in-netmask", Input).focus()  # another field: the same keys
        await pilot.pause()
        await pilot.pause()
        assert list(footer.children) == keys  # the same widgets: not composed again
        await pilot.press("escape")
        await settle(pilot, lambda: "Leave field" not in descriptions(footer), "Esc gone after leaving")
