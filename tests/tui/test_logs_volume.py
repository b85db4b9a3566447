"""The Logs page on a log far bigger than it shows: the newest lines, read from the end."""

from __future__ import annotations

from textual.widgets import OptionList

from fueltui.tui.screens import logs
from fueltui.tui.screens.logs import LogsScreen
from tui.conftest import discover
from tui.test_environments import settle


async def test_a_big_log_opens_at_its_end_with_every_line_in_order(master, client, make_app) -> None:
    mac = discover(master, 1)
    path = master.state.logs.node_path(mac)
    total = logs.MAX_LINES + 25_000  # ~4 MB: many chunks before the part the page keeps
    # lines of varied length so chunk edges fall inside lines; one non-ASCII to count bytes right
    master.state.logs.append(
        path, [f"line {n:06d} {'é' if n % 7 == 0 else ''}{'x' * (n % 97)}" for n in range(total)]
    )
    app = make_app(client, start="logs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        listing = screen.query_one("#log-sources", OptionList)
        await settle(pilot, lambda: listing.option_count >= 2, "the node listed")
        listing.focus()
        listing.highlighted = next(
            i for i in range(listing.option_count) if listing.get_option_at_index(i).id == f"node:{mac}"
        )
        await settle(pilot, lambda: len(screen.shown_lines()) >= logs.MAX_LINES, "the log's end")
        numbers = [int(line.split()[1]) for line in screen.lines]
        assert numbers == list(range(total - logs.MAX_LINES, total))  # the newest, none lost or twice
