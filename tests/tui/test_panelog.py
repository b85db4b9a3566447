"""A pane's log grows without re-laying the screen (`PaneLog`): it must still end scrolled to its
last line, show its scrollbar once it overflows, and show the new lines on screen."""

from __future__ import annotations

from textual.app import App, ComposeResult

from fueltui.tui.widgets.nodepane import NodeLines, NodePane, PaneLog


class OnePane(App[None]):
    def __init__(self, state: NodeLines) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield NodePane("52:54:00:aa:00:01", "node-1", self.state)


async def test_a_growing_pane_log_scrolls_and_shows_its_last_line() -> None:
    state = NodeLines()
    state.add(["first line"])
    app = OnePane(state)
    async with app.run_test(size=(60, 16)) as pilot:
        pane = app.query_one(NodePane)
        await pilot.pause()
        log = pane.query_one(PaneLog)
        for batch in range(5):
            state.add([f"line {batch}-{i}" for i in range(20)])
            pane.catch_up()
            await pilot.pause()
        assert log.line_count == 101
        # measured as written (no thread worker per write): the widest folded line
        assert log.virtual_size.width == max(len(line) for line in log.lines)
        assert log.show_vertical_scrollbar  # appeared once the log overflowed
        assert log.scroll_y == log.max_scroll_y > 0
        assert log.vertical_scrollbar.window_virtual_size == 101
        # the last line is in the visible window
        assert log.scroll_y + log.scrollable_content_region.height >= log.line_count
        assert "line 4-19" in app.export_screenshot().replace("&#160;", " ")
