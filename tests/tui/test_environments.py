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
        assert "env: prod" in str(app.screen.query_one("#navbar").render())


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
