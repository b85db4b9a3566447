"""The app shell: page keys, the command palette, help, notifications, 80×24 without a master."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.widgets import Footer, Markdown

from fueltui.tui.app import PAGE_SCREENS
from fueltui.tui.screens.help import HelpScreen
from fueltui.tui.widgets.navbar import PAGES
from tui.test_environments import settle


def palette_offers(app, words: str) -> bool:
    """The command palette is open and its highlighted command is about what was typed (not
    merely "some time passed after typing")."""
    screen = app.screen
    if not isinstance(screen, CommandPalette):
        return False
    commands = screen.query_one(CommandList)
    if commands.highlighted is None:
        return False
    return words.lower() in str(commands.get_option_at_index(commands.highlighted).prompt).lower()


async def test_number_keys_reach_every_page(client, make_app) -> None:
    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        for mode, key, _ in PAGES:
            if mode == "master":
                continue  # its form holds the focus; reached by the palette below
            await pilot.press(key)
            await settle(pilot, lambda m=mode: app.current_mode == m, f"page {mode}")
            assert isinstance(app.screen, PAGE_SCREENS[mode])
            assert app.screen.query(Footer)


async def test_function_keys_leave_a_form(client, make_app) -> None:
    app = make_app(client, start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#in-hostname").focus()
        await pilot.press("4")
        assert app.current_mode == "master"  # a digit is typed into the field
        await pilot.press("f5")
        await settle(pilot, lambda: app.current_mode == "nodes", "the nodes page via F5")


async def test_digits_belong_to_the_field_and_esc_leaves_it(client, make_app) -> None:
    """Item 13: a page key pressed in a field is typed there (and nowhere else); the footer
    then offers F2–F9 and Esc; after Esc the digit changes the page again."""
    app = make_app(client, start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        field = screen.query_one("#in-pool_end")
        await settle(pilot, lambda: screen.host is not None, "the master's answer")
        field.value = "10.20.0.25"
        field.focus()
        await pilot.press("end", "4")
        assert field.value == "10.20.0.254" and app.current_mode == "master"
        shown = {key: b.binding.description for key, b in screen.active_bindings.items() if b.binding.show}
        assert shown.get("f2") == "Pages" and shown.get("escape") == "Leave field"
        await pilot.press("escape")
        assert app.focused is None
        keys = {key for key, b in screen.active_bindings.items() if b.binding.show}
        assert "f2" not in keys and "escape" not in keys  # nothing to leave: no hint
        await pilot.press("4")
        await settle(pilot, lambda: app.current_mode == "nodes", "the nodes page via 4")
        assert field.value == "10.20.0.254"


async def test_the_palette_offers_the_pages_actions(client, make_app) -> None:
    """Item 17: Apply, Verify, Deploy, Stop, Retry… are commands of the palette too."""
    await client.create_environment("prod")
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for action in ("Deploy: Deploy Changes", "Deploy: Stop", "Deploy: Retry", "Notifications"):
            assert action in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Deploy: Retry")
        await settle(pilot, lambda: palette_offers(app, "Deploy: Retry"), "the palette's match")
        await pilot.press("enter")
        await settle(
            pilot, lambda: any("no deploy to retry" in n.message for n in app._notifications), "the retry"
        )
        await pilot.press("f7")
        await settle(pilot, lambda: app.current_mode == "verify", "the verify page")
        assert "Verify networks: Verify" in [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("f2")
        await settle(pilot, lambda: app.current_mode == "master", "the master page")
        assert "Master set-up: Apply" in [c.title for c in app.get_system_commands(app.screen)]


async def test_the_command_palette_reaches_a_page(client, make_app) -> None:
    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"Go to Master")
        await settle(pilot, lambda: palette_offers(app, "Go to Master"), "the palette's match")
        await pilot.press("enter")
        await settle(pilot, lambda: app.current_mode == "master", "the master page via the palette")


async def test_help_lists_the_page_keys(client, make_app) -> None:
    app = make_app(client, start="nodes")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        body = app.screen.query_one(Markdown).source
        assert "Space toggles" in body and "`space`" in body and "`ctrl+p`" in body and "F5" in body
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, HelpScreen), "help closed")


async def test_without_a_master_pages_say_so_instead_of_crashing(make_app) -> None:
    app = make_app(None, start="nodes")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space", "a", "2", "n", *"x", "enter")
        await settle(pilot, lambda: any("Not connected" in n.message for n in app._notifications), "a notice")
        assert app.is_running


async def test_a_failed_connection_is_a_notification(make_app) -> None:
    from fueltui.client.errors import MasterUnavailable
    from fueltui.tui.app import FuelApp

    async def refuse() -> object:
        raise MasterUnavailable("no master answers at /nowhere/master.sock")

    app = FuelApp(connect=refuse)  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: any("Cannot reach" in n.message for n in app._notifications), "notice")
        assert app.is_running


async def test_a_reopened_tui_lands_where_it_was(client, tmp_path) -> None:
    from fueltui.tui.app import FuelApp

    await client.create_environment("prod")
    state = tmp_path / "ui" / "tui.json"

    def build() -> FuelApp:
        return FuelApp(client, root=tmp_path / "root", ui_state=state)

    first = build()
    async with first.run_test(size=(80, 24)) as pilot:
        first.choose_environment("prod")
        await pilot.press("f8")  # deploy
        await settle(pilot, lambda: first.current_mode == "deploy", "the deploy page")
    again = build()
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: again.current_mode == "deploy", "back on the deploy page")
        assert again.env_name == "prod"
    state.write_text("{not json")
    fresh = build()
    async with fresh.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: fresh.current_mode == "master", "a fresh start")


async def test_the_bar_names_the_environment_at_80_columns(client, make_app) -> None:
    """Item 14: at 80 columns the page labels made the environment fall off the bar."""
    await client.create_environment("production-east")
    app = make_app(client, start="nodes", env_name="production-east")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        bar = app.screen.query_one("#navbar")
        assert "env: production-east" in bar.render().plain
        assert "[4 Nodes]" in bar.render().plain
    app = make_app(client, start="nodes", env_name="production-east")
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        assert " 5 NICs " in app.screen.query_one("#navbar").render().plain  # room for every label


async def test_notifications_leave_the_role_summary_readable(master, client, make_app) -> None:
    """Item 14: at 80×24 a toast covered the role summary an action had just changed."""
    from textual.widgets._toast import Toast

    from tui.conftest import discover, place

    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod")
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        summary = app.screen.query_one("#role-summary")
        await settle(pilot, lambda: "ontroller" in str(summary.render()), "the role summary")
        app.notify("Something happened on the master.\nA second line.", timeout=30)
        await settle(pilot, lambda: bool(app.screen.query(Toast)), "the toast")
        await pilot.pause()
        toast = app.screen.query(Toast).first()
        assert not toast.region.overlaps(summary.region), (toast.region, summary.region)
        assert toast.region.y >= 1  # the bar with the environment stays visible
