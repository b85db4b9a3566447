"""Page 8 — health: Fuel's Health Check tab, and the cloud handed over.

Shows the newest health result of the working environment (a health check run here, or the
one every deploy ends with), one row per test, and follows a running check live from the
lines it logs as each test ends. The admin's openrc (it holds the password) is shown only
when asked for, in a modal."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from fueltui.api.events import BaseEvent, EnvChanged, TaskCreated, TaskFinished, TaskLog, TaskProgress
from fueltui.tui.backend import describe_error
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.widgets.handover import CloudLine, fetch_cloud
from fueltui.tui.widgets.healthtable import (
    HEALTH_STAGE,
    HealthRun,
    HealthTest,
    detail_line,
    latest_run,
    parse_log_line,
    summary_line,
)

LOG_TAIL = 64 * 1024  # bytes of a running check's log read on reattach (its tests' lines)
NAME_WIDTH = 28
MESSAGE_WIDTH = 22


def clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


class OpenrcScreen(ModalScreen[None]):
    """The admin openrc, on request: it holds the password, so it leaves the screen with Esc."""

    DEFAULT_CSS = """
    OpenrcScreen { align: center middle; }
    #openrc-box { width: 90%; max-width: 100; height: auto; max-height: 90%;
                  border: thick $warning; background: $surface; padding: 0 1; }
    #openrc-text { height: auto; }
    """
    BINDINGS = [Binding("escape,q,o", "dismiss", "Close")]

    def __init__(self, env: str, text: str) -> None:
        super().__init__()
        self.env = env
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="openrc-box"):
            yield Static(
                f"Admin openrc of {self.env} — it holds the password; keep it private.",
                classes="section",
                markup=False,
            )
            yield Static(self.text.rstrip("\n"), id="openrc-text", markup=False)
            yield Static(f"Esc closes. To a file: fueltui openrc {self.env} > admin-openrc", classes="hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class HealthCommands(Provider):
    """The page's actions in the command palette (ctrl+p)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        if not isinstance(screen, HealthScreen):
            return []
        return [
            (
                "Health: run all checks",
                "Sanity and smoke tests of the cloud (key r)",
                partial(screen.run_checks),
            ),
            (
                "Health: run sanity checks only",
                "Services, agents and endpoints up (key s)",
                partial(screen.run_checks, ["sanity"]),
            ),
            ("Health: show the admin openrc", "It holds the password (key o)", screen.action_openrc),
        ]

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class HealthScreen(BaseScreen):
    MODE = "health"
    TITLE = "Health check"
    HELP = (
        "Fuel's Health Check: sanity tests (every service and agent up, every endpoint answering on "
        "its VIP, Horizon's login page) and smoke tests (a network, router and image; an instance on "
        "each compute; the instances reach each other; a floating IP answers; everything deleted). "
        "Every deploy ends with one; r runs all again, s the sanity tests only. Each row is a test: "
        "✓ pass, ✗ FAIL, - skip, its group, name and time; the line below the table shows the "
        "selected test's whole message. The Cloud line says where to log in; o shows the admin "
        "openrc (it holds the password) until Esc."
    )
    BINDINGS = [
        Binding("r", "run", "Run all"),
        Binding("s", "run_sanity", "Run sanity"),
        Binding("o", "openrc", "Openrc"),
    ]
    COMMANDS = {HealthCommands}
    DEFAULT_CSS = """
    #health-status { height: 1; }
    #health-nocloud { height: auto; max-height: 3; }
    #health-table { height: 1fr; }
    #health-detail { height: auto; max-height: 4; border-top: solid $primary; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.health_run: HealthRun | None = None
        self.has_cloud: bool | None = None  # None: not asked yet

    def compose_body(self) -> ComposeResult:
        yield Static("Choose an environment on page 2.", id="health-status", markup=False)
        yield CloudLine(id="health-cloud")
        yield Static("", id="health-nocloud", markup=False)
        table: DataTable[str | Text] = DataTable(id="health-table", zebra_stripes=True, cursor_type="row")
        table.add_column("Status", width=6, key="status")
        table.add_column("Group", width=6, key="group")
        table.add_column("Test", width=NAME_WIDTH, key="name")
        table.add_column("Time", width=6, key="time")
        table.add_column("Message", width=MESSAGE_WIDTH, key="message")
        yield table
        yield Static("", id="health-detail", markup=False)

    # loading --------------------------------------------------------------------------------

    async def reload(self) -> None:
        master = self.fuel.master
        name = self.fuel.env_name
        if master is None or name is None:
            return
        tasks = await master.tasks(name)
        run = latest_run(tasks)
        if run is not None and run.running:
            chunk = await master.task_log(run.task.id, 0, tail=LOG_TAIL)
            for line in chunk.entries:
                test = parse_log_line(line)
                if test is not None:
                    run.add(test)
            previous = self.health_run  # rows that arrived live while the log was read
            if previous is not None and previous.task.id == run.task.id:
                for test in previous.tests:
                    run.add(test)
        self.health_run = run
        try:
            cloud = await fetch_cloud(master, name)
            self.has_cloud = cloud is not None
        except Exception as exc:  # not "no cloud": unknown, and said so in a notification
            self.notify(describe_error(exc), title="Master", severity="error", timeout=8)
            cloud, self.has_cloud = None, None
        self.query_one(CloudLine).show(cloud, name)
        self._show()

    def _show(self) -> None:
        name = self.fuel.env_name or "—"
        self.query_one("#health-status", Static).update(summary_line(self.health_run, name))
        missing = self.query_one("#health-nocloud", Static)
        missing.display = self.has_cloud is False
        missing.update(
            f"{name} has no cloud yet: deploy it first (page 7, d). Every deploy ends with this "
            "health check; the Horizon address and the admin's openrc appear here after it."
        )
        table = self.query_one("#health-table", DataTable)
        row = table.cursor_row
        table.clear()
        for index, test in enumerate(self.health_run.tests if self.health_run else []):
            table.add_row(
                test.mark,
                test.group,
                clip(test.name, NAME_WIDTH),
                f"{test.duration:.1f}s",
                clip(test.message, MESSAGE_WIDTH),
                key=str(index),
            )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._detail()

    def selected(self) -> HealthTest | None:
        table = self.query_one("#health-table", DataTable)
        if self.health_run is None or not table.row_count:
            return None
        return self.health_run.tests[min(table.cursor_row, len(self.health_run.tests) - 1)]

    def _detail(self) -> None:
        self.query_one("#health-detail", Static).update(detail_line(self.selected()))

    @on(DataTable.RowHighlighted, "#health-table")
    def _highlighted(self) -> None:
        self._detail()

    # live updates ----------------------------------------------------------------------------

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        event = message.event
        run = self.health_run
        env = self.fuel.env_name
        if isinstance(event, TaskCreated) and event.env == env and event.kind == "health":
            self.schedule_reload()
        elif isinstance(event, TaskProgress) and event.env == env and event.kind == "deploy":
            # a deploy reaching its closing health check becomes the result shown
            if event.message == HEALTH_STAGE and (run is None or run.task.id != event.id):
                self.schedule_reload()
        elif isinstance(event, EnvChanged) and event.name == env:
            if not self.has_cloud:
                self.schedule_reload()
        elif run is None:
            return
        elif isinstance(event, TaskLog) and event.id == run.task.id and run.running:
            test = parse_log_line(event.line)
            if test is not None:
                run.add(test)
                self._show()
        elif isinstance(event, TaskFinished) and event.id == run.task.id:
            self.schedule_reload()  # the result is written now: read it (skips included)

    # actions --------------------------------------------------------------------------------

    def action_run(self) -> None:
        self.run_checks()

    def action_run_sanity(self) -> None:
        self.run_checks(["sanity"])

    def run_checks(self, groups: list[str] | None = None) -> None:
        self.run_worker(self._run_checks(groups), exclusive=True, group="act", exit_on_error=False)

    async def _run_checks(self, groups: list[str] | None) -> None:
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return
        task = await master.health(name, groups)
        which = "sanity" if groups == ["sanity"] else "all"
        self.notify(f"Health check {task.id} ({which}) started.", timeout=3)
        if not task.status.finished:
            self.health_run = HealthRun(task, [])
            self._show()
        self.schedule_reload()

    def action_openrc(self) -> None:
        self._openrc()

    @work(exclusive=True, group="openrc", exit_on_error=False)
    async def _openrc(self) -> None:
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return
        text = await master.openrc(name)
        await self.app.push_screen(OpenrcScreen(name, text))
