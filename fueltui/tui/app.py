"""The fueltui app: nine pages switched by number keys or the command palette.

The app holds what every page shares — the connection to the master, the environment being
worked on, the live event stream — and turns any failed call into a notification.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input, TextArea
from textual.worker import Worker, WorkerState

from fueltui import statedir
from fueltui.client.errors import ApiError
from fueltui.settings import settings
from fueltui.tui import uistate
from fueltui.tui.backend import describe_error
from fueltui.tui.messages import MasterConnected, MasterEvent, MasterLogLines
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.widgets.navbar import PAGES, NavBar

if TYPE_CHECKING:
    from fueltui.api.events import BaseEvent, TaskLog
    from fueltui.tui.backend import MasterAPI

T = TypeVar("T")

# Each page's module is imported when the page is first wanted, so the first screen paints
# without the other pages' imports (bench/startup.py, docs/benchmarks.md "Start-up").
PAGE_MODULES: dict[str, tuple[str, str]] = {
    "master": ("fueltui.tui.screens.master_setup", "MasterSetupScreen"),
    "environments": ("fueltui.tui.screens.environments", "EnvironmentsScreen"),
    "networks": ("fueltui.tui.screens.networks", "NetworksScreen"),
    "nodes": ("fueltui.tui.screens.nodes", "NodesScreen"),
    "interfaces": ("fueltui.tui.screens.interfaces", "InterfacesScreen"),
    "verify": ("fueltui.tui.screens.verify", "VerifyScreen"),
    "deploy": ("fueltui.tui.screens.deploy", "DeployScreen"),
    "health": ("fueltui.tui.screens.health", "HealthScreen"),
    "logs": ("fueltui.tui.screens.logs", "LogsScreen"),
    "settings": ("fueltui.tui.screens.settings", "SettingsScreen"),
}


class _PageScreens(Mapping[str, "type[BaseScreen]"]):
    """Page name → screen class, importing the page's module on first look-up."""

    def __getitem__(self, mode: str) -> type[BaseScreen]:
        module, name = PAGE_MODULES[mode]
        page: type[BaseScreen] = getattr(importlib.import_module(module), name)
        return page

    def __iter__(self) -> Iterator[str]:
        return iter(PAGE_MODULES)

    def __len__(self) -> int:
        return len(PAGE_MODULES)


PAGE_SCREENS: Mapping[str, type[BaseScreen]] = _PageScreens()


def _page_factory(mode: str) -> Callable[[], Screen[Any]]:
    def make() -> Screen[Any]:
        return PAGE_SCREENS[mode]()

    return make


Connector = Callable[[], Awaitable["MasterAPI"]]
LOG_BATCH_SECONDS = 0.05  # live log lines are delivered to the page at most this late
# More unexpected errors than this within the window is a crash loop: Textual's own exit (with
# the traceback printed after the screen is restored) is then the sensible end.
GUARD_BUDGET = 10
GUARD_WINDOW_SECONDS = 10.0
# Refreshes waited at most for the footer's keys (composed a refresh after the page) to be painted.
FIRST_FRAME_WAIT_REFRESHES = 10


def typing_into(widget: object) -> bool:
    """A text field has the focus: digits and letters are typed, not page keys."""
    return isinstance(widget, Input | TextArea)


class FuelApp(App[int]):
    TITLE = "fueltui"
    CSS_PATH = "app.tcss"
    MODES = {mode: _page_factory(mode) for mode in PAGE_MODULES}
    BINDINGS = [
        *(Binding(key, f"goto('{mode}')", label, show=False) for mode, key, label in PAGES),
        # F2–F11 reach the pages from inside a form too, where digits are typed into the field;
        # the footer says so only then (`pages_hint` is hidden when no field has the focus).
        Binding("f2", "pages_hint", "Pages", key_display="F2–F11", priority=True),
        *(
            Binding(f"f{index + 2}", f"goto('{mode}')", label, show=False, priority=True)
            for index, (mode, _, label) in enumerate(PAGES)
        ),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+n", "notifications", "Notifications", show=False, priority=True),
    ]
    unread: reactive[int] = reactive(0)  # unread notifications: every page's nav bar shows it

    def __init__(
        self,
        master: MasterAPI | None = None,
        *,
        connect: Connector | None = None,
        root: Path | None = None,
        lab: bool = False,
        start: str = "master",
        env_name: str | None = None,
        ui_state: Path | None = None,
    ) -> None:
        if ui_state is not None:
            remembered = uistate.load(ui_state)
            start = remembered.page if remembered.page in PAGE_SCREENS else start
            env_name = env_name or remembered.env
        # The app opens in the start page's mode: no blank default screen is mounted, resumed
        # and then switched away from before the first frame (bench/startup.py).
        setattr(self, "DEFAULT_MODE", start)  # noqa: B010 - a ClassVar of Textual's, per app here
        super().__init__()
        self.master: MasterAPI | None = master
        self._connect = connect
        self.root = root  # `--root`: where the Master page may write files (see tui/target.py)
        self.lab = lab  # `--lab`: the master is the lab's; no file of this machine is written
        self.ui_state = ui_state  # where the page and environment are remembered (None: nowhere)
        self.start_page = start
        self.env_name: str | None = env_name
        self._log_lines: list[TaskLog] = []
        self.selected_macs: list[str] = []  # rows marked on the nodes page, for bulk NIC edits
        self.last_verify: str | None = None
        self.guarded_errors: list[BaseException] = []  # unexpected errors shown as notifications
        self._guard_times: list[float] = []
        self.first_frame_painted = False  # the start page's first complete frame is on screen
        # The terminal's own 16 colours by default: readable on the Linux console and over SSH.
        theme = settings().theme
        self.theme = theme if theme in self.available_themes else "ansi-dark"

    # lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.switch_mode(self.start_page)
        self.call_after_refresh(self._after_first_frame)
        if self.master is not None:
            self.choose_only_environment()
            self.follow_events()
            self.load_unread()

    def _after_first_frame(self, waited: int = 0) -> None:
        """What the first frame does without, once it is on screen: the start page's deferred
        work, then the client's imports and its socket (bench/startup.py). The first complete
        frame is the one with the footer's keys, which Textual composes a refresh after the
        page: this waits (a few refreshes at most) until they have a place on the screen."""
        footers = self.screen.query(Footer)
        keys_painted = not footers or any(key.region for key in footers.first().children)
        if not keys_painted and waited < FIRST_FRAME_WAIT_REFRESHES:
            self.call_after_refresh(self._after_first_frame, waited + 1)
            return
        self.first_frame_painted = True
        if isinstance(self.screen, BaseScreen):
            self.screen.after_first_frame()
        if self.master is None and self._connect is not None:
            self.call_after_refresh(self.connect_master)  # once the page's own work is painted

    @work(exclusive=True, group="connect", exit_on_error=False)
    async def connect_master(self) -> None:
        assert self._connect is not None
        try:
            self.master = await self._connect()
        except Exception as exc:
            self.notify(f"Cannot reach the master: {describe_error(exc)}", severity="error", timeout=10)
            return
        self.notify("Connected to the master.", timeout=2)
        self._broadcast(MasterConnected())
        self.choose_only_environment()
        self.follow_events()
        self.load_unread()

    @work(exclusive=True, group="only-env", exit_on_error=False)
    async def choose_only_environment(self) -> None:
        """With exactly one environment there is nothing to choose: work on it."""
        if self.master is None or self.env_name is not None:
            return
        records = await self.master.environments()
        if len(records) != 1 or self.env_name is not None:
            return
        self.choose_environment(records[0].environment.name)
        for candidate in reversed(self.screen_stack):
            if isinstance(candidate, BaseScreen):
                candidate.schedule_reload()
                break

    @work(exclusive=True, group="events", exit_on_error=False)
    async def follow_events(self) -> None:
        """Keep one live event stream; reconnect with a back-off when it drops."""
        # The event models (pydantic) are imported once connected, after the first frame.
        from fueltui.api.events import EnvChanged, EnvDeleted, NotificationAdded, NotificationRead, TaskLog

        delay = 0.5
        while self.master is not None:
            try:
                async for event in self.master.events():
                    delay = 0.5
                    if isinstance(event, TaskLog):
                        self._queue_log_line(event)
                        continue
                    self._flush_log_lines()  # keep the order: lines before what followed them
                    if isinstance(event, EnvChanged | EnvDeleted) and self.env_name is None:
                        self.choose_only_environment()
                    if isinstance(event, NotificationAdded | NotificationRead):
                        self.unread = event.unread
                    self._broadcast(MasterEvent.of(event))
            except asyncio.CancelledError:
                raise
            except Exception:
                pass
            await asyncio.sleep(delay)  # back-off before reconnecting the stream
            delay = min(delay * 2, 5.0)

    @work(exclusive=True, group="unread", exit_on_error=False)
    async def load_unread(self) -> None:
        if self.master is None:
            return
        self.unread = (await self.master.notifications()).unread

    def _queue_log_line(self, event: TaskLog) -> None:
        self._log_lines.append(event)
        if len(self._log_lines) == 1:
            self.set_timer(LOG_BATCH_SECONDS, self._flush_log_lines)

    def _flush_log_lines(self) -> None:
        if self._log_lines:
            batch, self._log_lines = self._log_lines, []
            self._broadcast(MasterLogLines(batch))

    def _broadcast(self, message: MasterEvent[BaseEvent] | MasterConnected | MasterLogLines) -> None:
        screen = self.screen
        if isinstance(screen, BaseScreen):
            screen.post_message(message)
        else:  # a modal on top: the page below still wants live data
            for candidate in reversed(self.screen_stack):
                if isinstance(candidate, BaseScreen):
                    candidate.post_message(message)
                    break

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background job that failed says so in a notification instead of vanishing. Pages
        do their master calls in workers and let a refusal raise: it ends up here, and nothing
        after the failed call runs as if it had succeeded."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_failure(event.worker.error)

    def show_failure(self, error: BaseException) -> None:
        """The one place a failed master call or background job is shown."""
        title = "Master" if isinstance(error, ApiError) else "Error"
        self.notify(describe_error(error), title=title, severity="error", timeout=8, markup=False)

    # the guard: an unexpected error is a notification, never a traceback ----------------

    def guard(self, error: BaseException) -> bool:
        """Show an error no handler expected as a notification and keep going; False when the
        app cannot go on (not running, or a crash loop) and Textual's exit should follow."""
        now = time.monotonic()
        self._guard_times = [t for t in self._guard_times if now - t < GUARD_WINDOW_SECONDS] + [now]
        if not self.is_running or not self.screen_stack or len(self._guard_times) > GUARD_BUDGET:
            return False
        if isinstance(error, ApiError):  # the master refused: expected, shown like a worker's
            self.show_failure(error)
            return True
        self.guarded_errors.append(error)
        self.log.error("".join(traceback.format_exception(error)))
        try:
            self.notify(
                f"{type(error).__name__}: {error}\nNot completed; everything else still works.",
                title="Unexpected error",
                severity="error",
                timeout=10,
                markup=False,
            )
        except Exception:
            return False
        return True

    def _handle_exception(self, error: Exception) -> None:
        if not self.guard(error):
            super()._handle_exception(error)

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:
            if not self.guard(error):
                raise
            return True

    async def _dispatch_message(self, message: Message) -> None:
        # Caught here, the app's own message loop keeps running (Textual would stop it).
        try:
            await super()._dispatch_message(message)
        except Exception as error:
            if not self.guard(error):
                raise

    # shared state ---------------------------------------------------------------------

    def choose_environment(self, name: str | None) -> None:
        self.env_name = name
        for navbar in self.screen.query(NavBar):
            navbar.env_name = name
        self._remember()

    def _remember(self) -> None:
        if self.ui_state is not None:
            uistate.save(
                self.ui_state, uistate.UiState(page=self.current_mode or "master", env=self.env_name)
            )

    # actions --------------------------------------------------------------------------

    async def action_goto(self, mode: str) -> None:
        if mode in PAGE_SCREENS and self.current_mode != mode:
            await self.switch_mode(mode)
            self._remember()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pages_hint":
            return typing_into(self.focused)
        return True

    async def action_pages_hint(self) -> None:
        await self.action_goto(PAGES[0][0])

    def action_notifications(self) -> None:
        from fueltui.tui.screens.notifications import NotificationsScreen

        if isinstance(self.screen, NotificationsScreen):
            self.screen.dismiss(None)  # ctrl+n again closes it
        else:
            self.push_screen(NotificationsScreen())

    def action_help(self) -> None:
        from fueltui.tui.screens.help import HelpScreen

        screen = self.screen
        if isinstance(screen, HelpScreen) or not isinstance(screen, BaseScreen):
            return
        keys: list[tuple[str, str]] = []
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                keys.append((binding.key_display or binding.key, binding.description))
        keys += [(f"{key} or F{i + 2}", f"go to {label}") for i, (_, key, label) in enumerate(PAGES)]
        keys += [("ctrl+p", "command palette"), ("? or F1", "this help"), ("ctrl+q", "quit")]
        keys += [("ctrl+n", "notifications")]
        self.push_screen(HelpScreen(screen.TITLE, screen.HELP, keys))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        page = screen if isinstance(screen, BaseScreen) else self._page_below()
        if page is not None:  # the page's own actions first: Apply, Verify, Deploy, Stop, Retry…
            for binding in page.BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    keys = binding.key_display or binding.key
                    yield SystemCommand(
                        f"{page.TITLE}: {binding.description}",
                        f"{binding.description} on this page (key {keys})",
                        self._action_callback(page, binding.action),
                    )
        yield SystemCommand("Notifications", "What the master noticed; marks it read (ctrl+n)", self._notes)
        for mode, key, _ in PAGES:
            target = PAGE_SCREENS[mode]
            yield SystemCommand(
                f"Go to {target.TITLE}",
                f"Open the {target.TITLE} screen (key {key})",
                self._goto_callback(mode),
            )

    async def _notes(self) -> None:
        self.action_notifications()

    def _page_below(self) -> BaseScreen | None:
        return next((s for s in reversed(self.screen_stack) if isinstance(s, BaseScreen)), None)

    def _action_callback(self, page: BaseScreen, action: str) -> Callable[[], Awaitable[None]]:
        async def act() -> None:
            await self.run_action(action, page)

        return act

    def _goto_callback(self, mode: str) -> Callable[[], Awaitable[None]]:
        async def go() -> None:
            await self.action_goto(mode)

        return go


def run(args: argparse.Namespace) -> int:
    """`fueltui` with no command: connect to (or start) the master and open the TUI."""

    async def connect() -> MasterAPI:
        from fueltui.client.api import MasterClient  # after the first frame (bench/startup.py)

        client: MasterAPI = await MasterClient.connect(autostart=True)
        return client

    from fueltui.tui.target import TargetError, check_args

    lab = bool(getattr(args, "lab", False)) or settings().lab
    try:
        root = check_args(getattr(args, "root", None), lab)
    except TargetError as exc:
        print(f"fueltui: {exc}", file=sys.stderr)
        return 2
    app = FuelApp(connect=connect, root=root, lab=lab, ui_state=statedir.state_dir() / "tui.json")
    app.run()
    return app.return_code or 0
