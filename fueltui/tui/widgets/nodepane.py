"""One node's live deployment pane: status line, progress bar, and a capped log.

`Log` (not `RichLog`): a line costs little and `max_lines` caps memory; the whole log stays on
the master and the logs page reads it from there."""

from __future__ import annotations

from collections import deque

from rich.cells import cell_len, chop_cells
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Log, ProgressBar, Static

PANE_LINES = 300  # per pane on screen; history beyond this is on the master

STATUS_MARKS = {
    "pending": "·",
    "running": "▶",
    "provisioning": "▶",
    "deploying": "▶",
    "done": "✓",
    "ready": "✓",
    "error": "✗",
    "stopped": "■",
    "interrupted": "■",
    "skipped": "-",
}


CONTINUED = "  ↳ "  # marks the rest of a line too long for the pane


def status_mark(status: str) -> str:
    return STATUS_MARKS.get(status, "?")


def wrap_lines(lines: list[str], width: int) -> list[str]:
    """Lines folded to the pane's width: the end of a long line (an error's reason, a path)
    is what the operator needs, and a pane has no horizontal scroll to reach it."""
    if width <= len(CONTINUED):
        return lines
    out: list[str] = []
    for line in lines:
        if cell_len(line) <= width:
            out.append(line)
            continue
        first, *rest = chop_cells(line, width)
        out.append(first)
        out.extend(CONTINUED + part for part in chop_cells("".join(rest), width - len(CONTINUED)))
    return out


class NodeLines:
    """The recent lines of one node, kept whether or not its pane is on screen."""

    def __init__(self, cap: int = PANE_LINES) -> None:
        self.lines: deque[str] = deque(maxlen=cap)
        self.status = "pending"
        self.progress = 0
        self.task: str | None = None
        self.message = ""
        self.total = 0  # lines ever added; a pane compares it with what it has written

    def add(self, lines: list[str]) -> None:
        self.lines.extend(lines)
        self.total += len(lines)


class PaneLog(Log):
    """A pane's log whose growth repaints the log alone.

    Textual lays out the whole screen when a widget's virtual size changes (`Widget.virtual_size`
    is a layout reactive), and a growing log changes it with every write: with a pane per node
    each batch of lines re-laid the screen (bench/tui.py, bench/log_flood.py). The log's own
    size is fixed by its pane, so only its scrollbar needs to follow; when the scrollbar appears
    or goes (the log's width changes), `show_vertical_scrollbar` asks for the layout itself."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        if self.is_mounted and self.container_size:
            self._scroll_update(size)

    def _update_size(self, updates: int, lines: list[str]) -> None:  # type: ignore[override]
        # `Log` measures new lines in a thread worker per write (a thread and three worker
        # messages each time); a pane's lines are folded to its width, so measuring them here
        # costs little.
        if lines:
            widest = max(cell_len(self._process_line(line)) for line in lines)
            if widest > self._width:
                self._width = widest
                self.virtual_size = Size(self._width, self.line_count)


class NodePane(Vertical):
    DEFAULT_CSS = """
    NodePane { height: 1fr; min-height: 6; border: round $primary; }
    NodePane.-error { border: heavy $error; }
    NodePane.-focused { border: double $accent; }
    NodePane > .pane-head { height: 1; }
    NodePane > .pane-reason { height: auto; max-height: 3; color: $error; display: none; }
    NodePane.-error > .pane-reason { display: block; }
    NodePane > ProgressBar { height: 1; }
    NodePane > Log { height: 1fr; scrollbar-size-horizontal: 0; }
    """

    def __init__(self, mac: str, name: str, state: NodeLines) -> None:
        super().__init__(classes="node-pane")
        self.mac = mac
        self.node_name = name
        self.lines_state = state
        self._filled = False
        self._written = 0
        self._composed = False  # a pane is found by queries before its children exist
        self._wrap_width = 0  # the width the shown lines were folded to
        self._reason = ""  # what the failure line shows

    def compose(self) -> ComposeResult:
        yield Static(self._head(), classes="pane-head", markup=False)
        # The failure reason wraps on its own lines: cut at the pane's width it needed scrolling.
        yield Static("", classes="pane-reason", markup=False)
        yield ProgressBar(total=100, show_eta=False)
        yield PaneLog(max_lines=PANE_LINES, auto_scroll=True)

    def on_mount(self) -> None:
        self._composed = True
        self.update_status()
        # After the first layout, so the log knows its height and ends scrolled to the bottom.
        self.call_after_refresh(self._fill)

    def _width(self) -> int:
        log = self.query_one(Log)
        # Less the vertical scrollbar's room always: its coming and going must not re-fold.
        return log.content_region.width - log.styles.scrollbar_size_vertical

    def _rewrite(self) -> None:
        """All of the node's recent lines, folded to the pane's current width."""
        log = self.query_one(Log)
        log.clear()
        self._wrap_width = self._width()
        log.write_lines(wrap_lines(list(self.lines_state.lines), self._wrap_width))
        self._written = self.lines_state.total

    def _fill(self) -> None:
        self._rewrite()
        self._filled = True

    def on_resize(self, event: events.Resize) -> None:
        if self._filled and self._width() != self._wrap_width:
            self._rewrite()

    def _head(self) -> Text:
        state = self.lines_state
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{status_mark(state.status)} {self.node_name} ", style="bold")
        text.append(f"{state.status} {state.progress}%")
        if state.task:
            text.append(f"  {state.task}", style="italic")
        return text

    def update_status(self) -> None:
        """Show the node's state; before the pane is mounted its on_mount will do it."""
        if not self._composed:
            return
        # one line high whatever it says: no layout of the screen for it (bench/tui.py)
        self.query_one(".pane-head", Static).update(self._head(), layout=False)
        state = self.lines_state
        reason = state.message if state.status == "error" else ""
        if reason != self._reason:  # its height follows the text: a layout only when it changes
            self._reason = reason
            self.query_one(".pane-reason", Static).update(reason)
        self.query_one(ProgressBar).update(progress=self.lines_state.progress)
        self.set_class(self.lines_state.status == "error", "-error")

    def show_node(self, mac: str, name: str, state: NodeLines) -> None:
        """Switch the pane to another node: one log view whose source changes, not a new widget."""
        self.mac, self.node_name, self.lines_state = mac, name, state
        if not self._composed:
            return  # on_mount fills it from the new state
        self._rewrite()
        self.update_status()

    def catch_up(self) -> None:
        """Write the node's lines this pane has not shown yet (all of them arrive with the fill)."""
        state = self.lines_state
        missing = min(state.total - self._written, len(state.lines))
        if not self._filled or missing <= 0:
            return
        self.query_one(Log).write_lines(wrap_lines(list(state.lines)[-missing:], self._wrap_width))
        self._written = state.total

    def shown_text(self) -> str:
        """The pane's lines as the node wrote them (the folds joined back)."""
        text = "\n".join(self.log_view.lines)
        return text.replace("\n" + CONTINUED, "")

    @property
    def log_view(self) -> Log:
        return self.query_one(Log)
