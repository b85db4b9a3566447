"""Page 2: the environment wizard and the list, against a real master."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from polling import async_wait_until


async def settle(pilot, condition, what: str) -> None:
    async def check() -> bool:
        await pilot.pause()
        return bool(condition())

    await async_wait_until(check, what=what)


async def test_wizard_creates_and_chooses_an_environment(client, make_app) -> None:
    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        assert isinstance(app.focused, Input)
        await pilot.press(*"prod", "enter")
        table = app.screen.query_one("#env-table", DataTable)
        await settle(pilot, lambda: table.row_count == 1, "the new environment in the list")
        assert [r.environment.name for r in await client.environments()] == ["prod"]
        assert app.env_name == "prod"
        assert str(app.screen.query_one("#navbar").render()).endswith(" prod")


async def test_enter_chooses_the_working_environment(client, make_app) -> None:
    await client.create_environment("a")
    await client.create_environment("b", mode="neutron-vlan")
    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)
        await settle(pilot, lambda: table.row_count == 2, "two environments listed")
        table.focus()
        await pilot.press("down", "enter")
        assert app.env_name == "b"


async def test_a_master_error_is_a_notification_not_a_traceback(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", *"prod", "enter")
        await settle(
            pilot,
            lambda: any("already exists" in n.message for n in app._notifications),
            "the master's refusal as a notification",
        )
        assert app.is_running and app.screen.query_one("#wiz-name", Input).value == "prod"


async def test_a_new_environment_appears_live(client, make_app) -> None:
    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)
        await pilot.pause()
        await client.create_environment("from-the-cli")
        await settle(pilot, lambda: table.row_count == 1, "the environment created elsewhere")


async def test_the_only_environment_is_chosen_automatically(master, client, make_app) -> None:
    from fueltui.tui.screens.interfaces import InterfacesScreen
    from fueltui.tui.widgets.niccolumn import NicColumn
    from tui.conftest import discover, place

    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["compute"])
    app = make_app(client, start="interfaces")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: app.env_name == "prod", "prod chosen by itself")
        screen = app.screen
        assert isinstance(screen, InterfacesScreen)
        await settle(pilot, lambda: len(screen.query(NicColumn)) == 4, "the node's NICs, no 'choose' hint")
        assert str(screen.query_one("#navbar").render()).endswith(" prod")


async def test_a_first_environment_made_elsewhere_is_chosen(client, make_app) -> None:
    app = make_app(client, start="nodes")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.env_name is None
        await client.create_environment("from-the-cli")
        await settle(pilot, lambda: app.env_name == "from-the-cli", "the new, only environment chosen")


async def test_deleting_an_environment_says_what_happens_to_its_nodes(master, client, make_app) -> None:
    """Item 16: the dialog and the notice name the nodes and what they keep."""
    from fueltui.tui.screens.confirm import ConfirmScreen
    from tui.conftest import discover, place

    await client.create_environment("prod")
    mac = discover(master, 1)
    await place(client, mac, "prod", ["controller"])
    master.state.store.set_node_status(mac, "ready")
    app = make_app(client, start="environments", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)
        await settle(pilot, lambda: table.row_count == 1, "the environment")
        table.focus()
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        detail = str(app.screen.query_one("#confirm-detail").render())
        assert "node-1" in detail and "roles and NIC assignments are cleared" in detail
        assert "keep running with their installed system" in detail
        await pilot.press("y")
        await settle(pilot, lambda: any("Deleted prod" in n.message for n in app._notifications), "notice")
    assert await client.environments() == []
    assert (await client.node(mac)).node.environment is None


async def test_the_release_list_has_no_stale_loading_entry(client, make_app) -> None:
    """Item 15: once the releases are loaded, "(loading)" is not one of the choices."""
    from textual.widgets import Select

    app = make_app(client, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        select = app.screen.query_one("#wiz-release", Select)
        first = (await client.releases())[0]
        await settle(pilot, lambda: select.value == first.id, "the first release chosen")
        labels = [str(prompt) for prompt, _ in select._options]
        assert not any("loading" in label for label in labels) and first.name in labels
