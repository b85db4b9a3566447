"""Page 7 — deploy: the pre-deploy summary, then one live pane per node.

Panes form a grid when they fit the terminal and become a list plus one focused pane when
they don't (dozens of nodes). Opening the page reattaches to the environment's latest
deployment with each node's history from the master, then follows the live event stream."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from fueltui.api.changes import PendingChanges
from fueltui.api.events import (
    NODE_OR_ENV_EVENTS,
    BaseEvent,
    TaskCreated,
    TaskFinished,
    TaskLog,
    TaskProgress,
)
from fueltui.api.schema import NodeProgress, TaskRecord, TaskStatus
from fueltui.core.model import Finding, Severity
from fueltui.tui.messages import MasterEvent, MasterLogLines
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.resetcmd import ResetCommands
from fueltui.tui.widgets.changeslist import changes_label, changes_text
from fueltui.tui.widgets.handover import CloudLine
from fueltui.tui.widgets.nodepane import PANE_LINES, NodeLines, NodePane, status_mark
from fueltui.tui.widgets.predeploy import UNVERIFIED, predeploy_text

# The tail of each node's log fetched on reattach (bytes; ~160 per line covers a full pane).
HISTORY_BYTES = PANE_LINES * 160
PANE_WIDTH = 38
FAST_FLUSH = 0.03  # seconds between writes to the panes when a few nodes are busy
SLOW_FLUSH = 0.3  # ... and when many are: nobody reads 50 panes at 30 frames a second
MANY_PANES = 8
PANES_PER_FRAME = 4  # panes written in one go; more wait for the next frame
PANE_HEIGHT = 8
RESERVED_ROWS = 6  # nav bar, summary, overall progress, footer


def grid_shape(count: int, width: int, height: int) -> tuple[int, int] | None:
    """(columns, rows) of a pane grid that fits, or None when a list is needed."""
    if count == 0:
        return None
    columns = max(1, width // PANE_WIDTH)
    rows = max(1, (height - RESERVED_ROWS) // PANE_HEIGHT)
    if count > columns * rows:
        return None
    columns = min(columns, count)
    return columns, -(-count // columns)


class DeployScreen(BaseScreen):
    MODE = "deploy"
    TITLE = "Deploy"
    HELP = (
        "The summary says what will be deployed and lists blocking findings (✗). d deploys; each "
        "node gets a pane with its current task, progress and live log. s stops after the running "
        "tasks finish, k stops now, r resumes a stopped or interrupted deployment, t retries the "
        "failed nodes. When the panes do not fit, a list of nodes is shown with one pane: move in "
        "the list to switch. Leaving and coming back reattaches with the whole history."
    )
    BINDINGS = [
        Binding("d", "deploy", "Deploy Changes"),
        Binding("s", "stop(False)", "Stop"),
        Binding("k", "stop(True)", "Stop now"),
        Binding("r", "resume", "Resume"),
        Binding("t", "retry", "Retry"),
    ]
    COMMANDS = {ResetCommands}  # Reset environment: palette only (destructive, asks first)

    def __init__(self) -> None:
        super().__init__()
        self.deploy_task: TaskRecord | None = None
        self.names: dict[str, str] = {}
        self.states: dict[str, NodeLines] = {}
        self.focused_mac: str | None = None
        self.layout_kind = ""
        self.findings: list[Finding] = []
        self.changes: PendingChanges | None = None  # what `d` deploys (the master's list)
        # nodes with lines not yet written to their pane, oldest first (a dict keeps the order)
        self._dirty: dict[str, None] = {}
        self._flush_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Choose an environment on page 2.", id="deploy-summary", markup=False)
        with Horizontal(id="deploy-overall"):
            yield Static("No deployment yet.", id="overall-label", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="overall-bar")
        yield Vertical(id="panes")
        yield CloudLine(only_deployed=True, id="deploy-cloud")  # the cloud handed over, once operational

    # loading and reattaching ---------------------------------------------------------------

    async def reload(self) -> None:
        master = self.fuel.master
        name = self.fuel.env_name
        if master is None or name is None:
            return
        await self.refresh_summary()
        tasks = await master.tasks(name)
        deploys = [t for t in tasks if t.kind == "deploy"]
        task = deploys[-1] if deploys else None
        if task is None:
            self.deploy_task, self.states = None, {}
            await self._layout(force=True)
            self._overall()
            return
        states: dict[str, NodeLines] = {}
        for mac, progress in task.nodes.items():
            state = NodeLines()
            self._apply_progress(state, progress)
            chunk = await master.node_log(mac, 0, task.id, tail=HISTORY_BYTES)
            state.add(chunk.entries)
            states[mac] = state
        self.deploy_task, self.states = task, states
        await self._layout(force=True)
        self._overall()

    @work(exclusive=True, group="summary", exit_on_error=False)
    async def _refresh_summary_later(self) -> None:
        await self.refresh_summary()

    async def refresh_summary(self) -> None:
        """The pre-deploy summary only: cheap enough to follow every node or env change."""
        master = self.fuel.master
        name = self.fuel.env_name
        if master is None or name is None:
            return
        self.findings = await master.predeploy(name)
        self.changes = await master.changes(name)
        nodes = await master.nodes()
        self.names = {r.node.mac: r.node.name for r in nodes}
        members = [r.node for r in nodes if r.node.environment == name]
        self._summary(len(members), sorted({role for n in members for role in n.roles}))
        await self.query_one(CloudLine).load(master, name)

    def _summary(self, count: int, roles: list[str]) -> None:
        text = Text(no_wrap=False)
        text.append(changes_label(self.changes), style="bold reverse" if self.changes else "")
        text.append(
            f"{self.fuel.env_name}: {count} node(s), roles {', '.join(roles) or 'none'}. ", style="bold"
        )
        text.append_text(predeploy_text(self.findings, limit=3))
        self.query_one("#deploy-summary", Static).update(text)

    @staticmethod
    def _apply_progress(state: NodeLines, progress: NodeProgress) -> None:
        state.status = progress.status or state.status
        state.progress = progress.progress
        state.task = progress.task or state.task
        state.message = progress.message

    def _overall(self) -> None:
        label = self.query_one("#overall-label", Static)
        bar = self.query_one("#overall-bar", ProgressBar)
        task = self.deploy_task
        if task is None:
            label.update("No deployment yet — d deploys.")
            bar.update(progress=0)
            return
        done = sum(1 for s in self.states.values() if s.status in ("done", "ready"))
        failed = sum(1 for s in self.states.values() if s.status == "error")
        label.update(
            f"{status_mark(task.status.value)} deploy {task.status.value} {task.progress}%  "
            f"nodes ✓{done} ✗{failed} of {len(self.states)}"
        )
        bar.update(progress=task.progress)

    # layout ---------------------------------------------------------------------------------

    async def _layout(self, force: bool = False) -> None:
        panes = self.query_one("#panes", Vertical)
        macs = sorted(self.states, key=lambda m: self.names.get(m, m))
        shape = grid_shape(len(macs), self.size.width, self.size.height)
        kind = "grid" if shape else "list" if macs else "empty"
        if kind == self.layout_kind and not force:
            return
        self.layout_kind = kind
        await panes.remove_children()
        if kind == "empty":
            return
        if shape is not None:
            grid = Grid(id="pane-grid")
            grid.styles.grid_size_columns = shape[0]
            grid.styles.grid_size_rows = shape[1]
            await panes.mount(grid)
            await grid.mount_all([NodePane(mac, self.names.get(mac, mac), self.states[mac]) for mac in macs])
            return
        if self.focused_mac not in self.states:
            self.focused_mac = macs[0]
        listing = OptionList(*(Option(self._list_line(mac), id=mac) for mac in macs), id="pane-list")
        row = Horizontal(listing, id="pane-row")
        await panes.mount(row)
        assert self.focused_mac is not None
        pane = NodePane(
            self.focused_mac,
            self.names.get(self.focused_mac, self.focused_mac),
            self.states[self.focused_mac],
        )
        pane.add_class("-focused")
        await row.mount(pane)
        listing.highlighted = macs.index(self.focused_mac)

    def _list_line(self, mac: str) -> Text:
        state = self.states[mac]
        return Text(
            f"{status_mark(state.status)} {self.names.get(mac, mac)[:14]:<14} {state.progress:>3}%",
            no_wrap=True,
        )

    def on_resize(self) -> None:
        self._relayout()

    @work(exclusive=True, group="layout", exit_on_error=False)
    async def _relayout(self) -> None:
        await self._layout()

    @on(OptionList.OptionHighlighted, "#pane-list")
    def _switch_pane(self, event: OptionList.OptionHighlighted) -> None:
        mac = event.option.id
        if mac is None or mac == self.focused_mac or mac not in self.states:
            return
        self.focused_mac = mac
        for pane in self.query(NodePane):
            pane.show_node(mac, self.names.get(mac, mac), self.states[mac])

    def panes(self) -> dict[str, NodePane]:
        return {pane.mac: pane for pane in self.query(NodePane)}

    def on_master_log_lines(self, message: MasterLogLines) -> None:
        """A batch of lines: into the buffers first, then one write per pane."""
        message.prevent_default()  # BaseScreen's line-by-line fallback would feed them twice
        task = self.deploy_task
        if task is None:
            return
        for event in message.events:
            if event.id == task.id:
                self.feed(event.mac or "", [event.line])
        self.schedule_flush()

    def schedule_flush(self) -> None:
        """Write new lines soon. A log growing changes its size, and Textual lays out the whole
        screen for that; with dozens of panes on screen the writes are spaced further apart."""
        if self._flush_timer is None:
            many = len(self._dirty) > MANY_PANES
            self._flush_timer = self.set_timer(SLOW_FLUSH if many else FAST_FLUSH, self.flush)

    def flush(self) -> None:
        self._flush_timer = None
        if not self._dirty:
            return
        # At most PANES_PER_FRAME panes per frame, the rest in the next ones: fifty logs written
        # at once made one frame repaint the whole 250×90 grid, and a key waited behind it
        # (bench/log_flood.py; docs/benchmarks.md "TUI log flood").
        panes = self.panes()
        written = 0
        for mac in list(self._dirty):
            if written == PANES_PER_FRAME:
                break
            del self._dirty[mac]
            pane = panes.get(mac)
            if pane is not None:
                pane.catch_up()
                written += 1
        if self._dirty and written == PANES_PER_FRAME:
            self._flush_timer = self.set_timer(FAST_FLUSH, self.flush)

    # live updates ---------------------------------------------------------------------------

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        event = message.event
        if event.resync:
            return  # BaseScreen's handler reloads everything
        if isinstance(event, TaskCreated) and event.kind == "deploy" and event.env == self.fuel.env_name:
            self.schedule_reload()
            return
        if isinstance(event, NODE_OR_ENV_EVENTS):
            self._refresh_summary_later()
            return
        task = self.deploy_task
        if task is None:
            return
        if isinstance(event, TaskLog) and event.id == task.id:
            self.feed(event.mac or "", [event.line])
            self.schedule_flush()
        elif isinstance(event, TaskProgress) and event.id == task.id:
            self.progress(event)
        elif isinstance(event, TaskFinished) and event.id == task.id:
            task.status = event.status
            self._overall()

    def feed(self, mac: str, lines: list[str]) -> None:
        """Append live lines to a node's buffer; `flush` writes them to its pane if shown."""
        state = self.states.get(mac)
        if state is None:
            return
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        stamped = [f"{stamp} {line}" for line in lines]
        state.add(stamped)
        self._dirty.setdefault(mac)

    def progress(self, event: TaskProgress) -> None:
        task = self.deploy_task
        assert task is not None
        task.progress = event.progress
        task.status = event.status
        panes = self.panes()
        for mac, progress in event.nodes.items():
            state = self.states.setdefault(mac, NodeLines())
            self._apply_progress(state, progress)
            if mac in panes:
                panes[mac].update_status()
        if self.layout_kind == "list":
            listing = self.query_one("#pane-list", OptionList)
            for mac in event.nodes:  # the nodes this update changed, not all 200 per event
                # a node that joined after the list was built shows on the next reload
                with contextlib.suppress(Exception):
                    listing.replace_option_prompt(mac, self._list_line(mac))
        self._overall()

    # actions ----------------------------------------------------------------------------------

    def action_deploy(self) -> None:
        self._ask_deploy()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def _ask_deploy(self) -> None:
        """The master's own pre-deploy answer, fetched now, decides what the dialog offers."""
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return
        findings = await master.predeploy(name)
        changes = await master.changes(name)
        self.findings, self.changes = findings, changes
        errors = [f for f in findings if f.severity == Severity.error]
        only_unverified = bool(errors) and all(f.code == UNVERIFIED for f in errors)
        detail = changes_text(changes)
        detail.append("\n")
        detail.append_text(predeploy_text(findings))
        yes: str | None = "Deploy"
        if errors and not only_unverified:
            question = f"{name} cannot be deployed yet: fix what blocks it."
            yes = None
        elif changes.empty:
            question = f"Nothing to deploy in {name}."
            yes = None
        elif only_unverified:
            question = f"Deploy {name} without a verification of these networks?"
            yes = "Deploy anyway (skip verification)"
        else:
            question = f"Deploy {changes.count} change(s) to {name}?"

        def answered(ok: bool | None) -> None:
            if ok:
                work = self._deploy(name, skip_verify=only_unverified)
                self.run_worker(work, exclusive=True, group="act", exit_on_error=False)

        dialog = ConfirmScreen(question, detail, yes=yes, no="Cancel" if yes else "Close")
        self.app.push_screen(dialog, answered)

    async def _deploy(self, name: str, skip_verify: bool = False) -> None:
        master = self.master()
        if master is None:
            return
        task = await master.deploy(name, skip_verify=skip_verify)
        self.notify(f"Deployment {task.id} started.")
        self.schedule_reload()

    def action_stop(self, now: bool) -> None:
        self.run_worker(self._stop(now), exclusive=True, group="act", exit_on_error=False)

    async def _stop(self, now: bool) -> None:
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return
        await master.stop_deploy(name, now=now)
        self.notify("Stopping now." if now else "Stopping after the running tasks.")

    def action_resume(self) -> None:
        self._resume()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def _resume(self) -> None:
        master = self.master()
        if master is None:
            return
        if (
            self.deploy_task is None
            or not self.deploy_task.status.finished
            or self.deploy_task.status == TaskStatus.done
        ):
            self.notify("Nothing to resume: no stopped or interrupted deployment.", severity="warning")
            return
        await master.resume_task(self.deploy_task.id)
        self.schedule_reload()

    def action_retry(self) -> None:
        self._retry()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def _retry(self) -> None:
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return
        await master.retry(name)
        self.schedule_reload()
