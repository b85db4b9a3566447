"""Page 2: the environment wizard and the list."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from polling import async_wait_until
from tui.fakemaster import FakeApiError


async def test_wizard_creates_and_chooses_an_environment(fake, make_app) -> None:
    app = make_app(fake, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        assert isinstance(app.focused, Input)
        await pilot.press(*"prod", "enter")

        async def listed() -> bool:
            await pilot.pause()
            return app.screen.query_one("#env-table", DataTable).row_count == 1

        await async_wait_until(listed, what="the new environment in the list")
        assert "prod" in fake.envs
        assert app.env_name == "prod"
        assert "env: prod" in str(app.screen.query_one("#navbar").render())


async def test_enter_chooses_the_working_environment(fake, make_app) -> None:
    await fake.create_environment("a", None, None)
    await fake.create_environment("b", None, None)
    app = make_app(fake, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)

        async def loaded() -> bool:
            await pilot.pause()
            return table.row_count == 2

        await async_wait_until(loaded, what="two environments listed")
        table.focus()
        await pilot.press("down", "enter")
        assert app.env_name == "b"


async def test_a_master_error_is_a_notification_not_a_traceback(fake, make_app) -> None:
    app = make_app(fake, start="environments")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        fake.fail_next = FakeApiError(409, "exists", "environment 'x' already exists")
        await pilot.press("n", "x", "enter")

        async def notified() -> bool:
            await pilot.pause()
            return any("already exists" in n.message for n in app._notifications)

        await async_wait_until(notified, what="the error notification")
        assert app.is_running
