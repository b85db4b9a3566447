"""Page 8 — logs: any node's or task's log, past deployments included, with search and levels.

The master holds the full logs; this page reads them by byte offset, page by page, up to a
cap, and follows new lines of the shown log from the event stream."""

from __future__ import annotations

import re

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Log, OptionList, Static
from textual.widgets.option_list import Option

from fueltui.api.events import BaseEvent, NodeDiscovered, TaskCreated, TaskFinished, TaskLog
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.widgets.loglevel import LEVELS, keep

TAGGED = re.compile(r"^(\S+ )\[([0-9a-f]{2}(?::[0-9a-f]{2}){5})\] ")  # a task log's node tag
MAX_LINES = 20_000  # read at most the last this many lines of one log; the rest stays on the master
MAX_CHUNK = 256 * 1024  # the master's largest chunk (fueltui.master.logfiles.MAX_CHUNK)
PAGES = 50


class LogsScreen(BaseScreen):
    MODE = "logs"
    TITLE = "Logs"
    HELP = (
        "Pick a node (its whole log, every deployment) or a task (a deployment or verification, "
        "past ones too) on the left. / searches (case-insensitive, as you type), l cycles the level "
        "filter (all → warnings and errors → errors only). New lines of the shown log appear live."
    )
    BINDINGS = [
        Binding("slash", "search", "Search", key_display="/"),
        Binding("l", "level", "Level"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.source: tuple[str, str] | None = None  # ("node", mac) | ("task", id)
        self.lines: list[str] = []
        self.names: dict[str, str] = {}  # MAC → node name: lines and titles show names
        self.level = "all"
        self.search = ""

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="logs-body"):
            yield OptionList(id="log-sources")
            with Vertical(id="log-view"):
                with Horizontal(id="log-tools"):
                    yield Input(placeholder="search", id="log-search", compact=True)
                    yield Static("level: all", id="log-level", markup=False)
                yield Static("", id="log-title", markup=False)
                yield Log(id="log-lines", max_lines=MAX_LINES, auto_scroll=True)

    async def reload(self) -> None:
        master = self.fuel.master
        if master is None:
            return
        nodes = await master.nodes()
        self.names = {r.node.mac: r.node.name for r in nodes}
        tasks = await master.tasks(self.fuel.env_name)
        listing = self.query_one("#log-sources", OptionList)
        current = listing.highlighted
        listing.clear_options()
        options: list[Option | None] = [Option("── nodes", disabled=True)]
        options += [
            Option(f"{r.node.name}", id=f"node:{r.node.mac}")
            for r in sorted(nodes, key=lambda r: r.node.name)
        ]
        options.append(Option("── tasks", disabled=True))
        for task in sorted(tasks, key=lambda t: t.created, reverse=True):
            when = task.created.strftime("%m-%d %H:%M")
            options.append(Option(f"{task.kind} {task.status.value} {when}", id=f"task:{task.id}"))
        listing.add_options([o for o in options if o is not None])
        if current is not None and current < listing.option_count:
            listing.highlighted = current
        if self.source is not None:
            await self.load()

    @on(OptionList.OptionSelected, "#log-sources")
    @on(OptionList.OptionHighlighted, "#log-sources")
    def _picked(self, event: OptionList.OptionSelected | OptionList.OptionHighlighted) -> None:
        ident = event.option.id
        if not ident:
            return
        kind, _, key = ident.partition(":")
        if self.source == (kind, key):
            return
        self.source = (kind, key)
        self.load_picked()

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_picked(self) -> None:
        await self.load()

    async def load(self) -> None:
        master = self.fuel.master
        if master is None or self.source is None:
            return
        kind, key = self.source
        lines = await self.read_tail(kind, key)
        self.lines = [self.named(line) for line in lines[-MAX_LINES:]]
        what = f"{self.names[key]} ({key})" if kind == "node" and key in self.names else f"{kind} {key}"
        self.query_one("#log-title", Static).update(f"{what}: {len(self.lines)} lines")
        self._redraw()

    async def read_tail(self, kind: str, key: str) -> list[str]:
        """The last MAX_LINES lines, read from the end one chunk at a time: opening a 1 GB log
        costs what its last lines cost (docs/benchmarks.md, "Logs at volume")."""
        master = self.fuel.master
        assert master is not None
        first = await (
            master.node_log(key, tail=MAX_CHUNK) if kind == "node" else master.task_log(key, tail=MAX_CHUNK)
        )
        pages = [first.entries]
        count, start = len(first.entries), first.start
        while start > 0 and count < MAX_LINES and len(pages) < PAGES:
            offset = max(0, start - MAX_CHUNK)
            chunk = await (master.node_log(key, offset) if kind == "node" else master.task_log(key, offset))
            entries, pos = [], chunk.start
            for line in chunk.entries:  # only what lies before the lines already read
                if pos >= start:
                    break
                entries.append(line)
                pos += len(line.encode()) + 1
            if offset > 0 and entries:  # the first line began before the offset: cut, resume there
                start = offset + len(entries[0].encode()) + 1
                entries = entries[1:]
            else:
                start = offset
            pages.append(entries)
            count += len(entries)
        return [line for page in reversed(pages) for line in page]

    def named(self, line: str) -> str:
        """`12:00:00 [52:54:00:aa:00:01] text` → `12:00:00 [ctl-1] text` (a task log's lines)."""
        match = TAGGED.match(line)
        if match is None or match.group(2) not in self.names:
            return line
        return f"{match.group(1)}[{self.names[match.group(2)]}] {line[match.end() :]}"

    def _redraw(self) -> None:
        view = self.query_one("#log-lines", Log)
        view.clear()
        view.write_lines([line for line in self.lines if keep(line, self.level, self.search)])

    def shown_lines(self) -> list[str]:
        return list(self.query_one("#log-lines", Log).lines)

    @on(Input.Changed, "#log-search")
    def _search(self, event: Input.Changed) -> None:
        self.search = event.value.strip()
        self._redraw()

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        event = message.event
        if isinstance(event, TaskCreated | TaskFinished | NodeDiscovered):
            self.schedule_reload()
            return
        if not isinstance(event, TaskLog) or self.source is None:
            return
        kind, key = self.source
        if (kind == "task" and event.id == key) or (kind == "node" and event.mac == key):
            line = event.line
            mac = event.mac or ""
            if kind == "task" and mac:  # as the task's file has it: which node said it
                line = f"[{self.names.get(mac, mac)}] {line}"
            self.lines.append(line)
            if keep(line, self.level, self.search):
                self.query_one("#log-lines", Log).write_line(line)

    def action_search(self) -> None:
        self.query_one("#log-search", Input).focus()

    def action_back(self) -> None:
        self.query_one("#log-sources", OptionList).focus()

    def action_level(self) -> None:
        self.level = LEVELS[(LEVELS.index(self.level) + 1) % len(LEVELS)]
        self.query_one("#log-level", Static).update(f"level: {self.level}")
        self._redraw()

    def action_refresh(self) -> None:
        self.schedule_reload()
