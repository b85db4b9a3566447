"""Page 6 — network verification: run it, follow it, read the node × NIC × network matrix."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, ProgressBar, Static

from fueltui.api.events import BaseEvent, TaskCreated, TaskFinished, TaskProgress
from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import VERIFY
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.widgets.nodepane import status_mark
from fueltui.tui.widgets.verifymatrix import build_matrix, dhcp_line


def header(task: TaskRecord, summary: object) -> Text:
    """✓ only for a verification that passed; a finished run with misses says it failed."""
    if task.status == TaskStatus.done and not VERIFY.result_of(task).ok:
        return Text(f"✗ verify failed: {summary}", style="bold")
    return Text(f"{status_mark(task.status.value)} verify {task.status.value}: {summary}")


class VerifyScreen(BaseScreen):
    MODE = "verify"
    TITLE = "Verify networks"
    HELP = (
        "Checks the wiring before deploying: every node listens on each NIC while the others send "
        "probe frames, untagged and on each VLAN the environment expects. The matrix has a row per "
        "node and NIC and a column per network: ✓ heard every peer, ✗ missed some (the VLAN and how "
        "many peers), ! did not hear a peer that is blamed elsewhere, – alone: no other node "
        "carries that network. While a new run goes on, the previous matrix is marked STALE. "
        "The DHCP line reports foreign DHCP servers on the admin network. v runs it."
    )
    BINDINGS = [Binding("v", "verify", "Verify"), Binding("r", "refresh", "Refresh")]

    def __init__(self) -> None:
        super().__init__()
        self.verify_task: TaskRecord | None = None
        self.matrix_of: str | None = None  # the run the matrix on screen belongs to

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="verify-head"):
            yield Static("No verification yet — v runs one.", id="verify-status", markup=False)
            yield ProgressBar(total=100, show_eta=False, id="verify-bar")
        yield Static("", id="verify-title", markup=False)
        table: DataTable[str | Text] = DataTable(id="verify-table", zebra_stripes=True, cursor_type="row")
        yield table
        yield Static("", id="verify-dhcp", markup=False)
        yield Static("", id="verify-notes", markup=False)

    async def reload(self) -> None:
        master = self.fuel.master
        name = self.fuel.env_name
        if master is None or name is None:
            return
        tasks = await master.tasks(name)
        verifies = [t for t in tasks if t.kind == "verify"]
        self.verify_task = verifies[-1] if verifies else None
        self._show()

    def _show(self) -> None:
        task = self.verify_task
        status = self.query_one("#verify-status", Static)
        bar = self.query_one("#verify-bar", ProgressBar)
        table = self.query_one("#verify-table", DataTable)
        if task is None:
            status.update("No verification yet — v runs one.")
            bar.update(progress=0)
            table.clear(columns=True)
            self.matrix_of = None
            self.query_one("#verify-title", Static).update("")
            return
        summary = VERIFY.result_of(task).summary or task.message
        status.update(header(task, summary))
        bar.update(progress=task.progress)
        title = self.query_one("#verify-title", Static)
        if not task.status.finished:
            if self.matrix_of is not None:
                title.update(
                    Text(
                        f"STALE: the matrix below is run {self.matrix_of}'s; run {task.id} is going on",
                        "bold",
                    )
                )
            return
        result = VERIFY.result_of(task)
        matrix = build_matrix(result)
        self.matrix_of = task.id
        title.update(
            f"run {task.id}: ✗ {matrix.missing} missed · ! {matrix.unheard} unheard · – {matrix.alone} alone"
        )
        table.clear(columns=True)
        table.add_columns("Node", "NIC", *matrix.networks)
        for node, nic, cells in matrix.rows:
            table.add_row(node, nic, *cells)
        self.query_one("#verify-dhcp", Static).update(dhcp_line(result))
        notes: list[str] = []
        notes.extend(f"! {who}: {why}" for who, why in result.skipped.items())
        notes.extend(f"✗ {who}: {info.describe()}" for who, info in result.errors.items())
        self.query_one("#verify-notes", Static).update("\n".join(notes))

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        event = message.event
        task = self.verify_task
        if isinstance(event, TaskCreated) and event.kind == "verify":
            self.schedule_reload()
        elif task is None:
            return
        elif isinstance(event, TaskProgress) and event.id == task.id:
            task.progress = event.progress
            task.message = event.message or task.message
            self._show()
        elif isinstance(event, TaskFinished) and event.id == task.id:
            self.schedule_reload()

    def action_refresh(self) -> None:
        self.schedule_reload()

    def action_verify(self) -> None:
        self._verify()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def _verify(self) -> None:
        task = await self.start_verify()
        if task is not None:
            self.verify_task = task
            self.notify(f"Verification {task.id} started.", timeout=3)
            self._show()
