"""The TUI's writes at the seam: each carries the revision its page read, and a refused one
is shown as refused — it never looks like success."""

from __future__ import annotations

from textual.widgets import Input

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
