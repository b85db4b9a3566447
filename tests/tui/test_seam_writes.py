"""The TUI's writes at the seam: each carries the revision its page read, and a refused one
is shown as refused — it never looks like success."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from fueltui.core.kernelline import parse_boot_line
from fueltui.tui.app import FuelApp
from fueltui.tui.screens.confirm import ConfirmScreen
from tui.conftest import CMDLINE
from tui.test_environments import settle
from tui.test_master_setup import loaded, set_field


async def test_a_stale_boot_options_write_from_the_master_page_is_refused(client) -> None:
    await client.set_boot_options(parse_boot_line(CMDLINE), 0)
    app = FuelApp(client, root=None, lab=True, start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        read = screen.stored_revision
        assert read == 1
        # someone else stores other options after the page read them
        theirs = parse_boot_line(CMDLINE).model_copy(update={"hostname": "theirs.example.org"})
        await client.set_boot_options(theirs, read)
        await set_field(pilot, screen, "hostname", "mine.example.org")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        await pilot.press("y")
        await settle(
            pilot, lambda: any("changed" in n.message.lower() for n in app._notifications), "the refusal"
        )
        assert screen.has_unsaved()  # what the operator typed is still there to re-apply
        assert screen.query_one("#in-hostname", Input).value == "mine.example.org"
    stored = await client.boot_options()
    assert stored.options is not None and stored.options.hostname == "theirs.example.org"


async def _delete_from_the_page(pilot, app: FuelApp) -> None:
    table = app.screen.query_one("#env-table", DataTable)
    await settle(pilot, lambda: table.row_count == 1, "the environment")
    table.focus()
    await pilot.press("d")
    await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
    await pilot.press("y")


async def test_a_refused_delete_keeps_the_working_environment(client, make_app, scripted) -> None:
    """The master refuses the delete (a task runs): the page says why, and neither says it
    deleted the environment nor stops working on it."""
    await client.create_environment("prod")
    await client.deploy("prod", skip_verify=True, force=True)  # the scripted deploy runs until finished
    app = make_app(client, start="environments", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await _delete_from_the_page(pilot, app)
        await settle(pilot, lambda: any(n.title == "Master" for n in app._notifications), "the refusal")
        refusal = next(n for n in app._notifications if n.title == "Master")
        assert "runs task" in refusal.message
        assert app.env_name == "prod"
        assert not any("Deleted" in n.message for n in app._notifications)
        assert app.guarded_errors == []  # an expected refusal, not an "unexpected error"
    assert [r.environment.name for r in await client.environments()] == ["prod"]


async def test_a_delete_of_what_changed_since_the_page_read_it_is_refused(client, make_app) -> None:
    """The delete carries the revision the operator was asked about: a change made while the
    question was on screen is not thrown away unseen."""
    record = await client.create_environment("prod")
    app = make_app(client, start="environments", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)
        await settle(pilot, lambda: table.row_count == 1, "the environment")
        table.focus()
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        changed = record.environment.model_copy(deep=True)
        changed.settings.ceilometer = not changed.settings.ceilometer
        await client.update_environment(record.model_copy(update={"environment": changed}))  # revision 2
        await pilot.press("y")
        await settle(pilot, lambda: any(n.title == "Master" for n in app._notifications), "the refusal")
        assert app.env_name == "prod"
        assert not any("Deleted" in n.message for n in app._notifications)
    assert [r.environment.name for r in await client.environments()] == ["prod"]
