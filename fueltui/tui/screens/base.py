"""What every page of the installer shares: the nav bar, the footer, help, loading data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, TextArea
from textual.worker import Worker, WorkerState

from fueltui.tui.messages import MasterConnected, MasterEvent, MasterLogLines, resync_events
from fueltui.tui.widgets.navbar import NavBar
from fueltui.tui.widgets.pagefooter import PageFooter

if TYPE_CHECKING:
    from fueltui.api.events import BaseEvent
    from fueltui.api.schema import TaskRecord
    from fueltui.tui.app import FuelApp
    from fueltui.tui.backend import MasterAPI


class BaseScreen(Screen[None]):
    """A page: subclasses give MODE, TITLE, HELP and `compose_body`, and `reload` their data."""

    MODE = ""
    TITLE = ""
    HELP = ""
    BINDINGS = [Binding("escape", "leave_field", "Leave field")]  # Textual merges it into every page's

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_field":  # Esc only means something while typing into a field
            return isinstance(self.focused, Input | TextArea)
        return True

    def action_leave_field(self) -> None:
        """Esc: the keys are the page's again (digits change pages, letters act)."""
        self.set_focus(None)

    @property
    def fuel(self) -> FuelApp:
        return self.app  # type: ignore[return-value]

    async def _dispatch_message(self, message: Message) -> None:
        # A failing handler of the page becomes a notification (the app's guard) and the
        # page keeps handling messages; Textual would stop the page's message loop.
        try:
            await super()._dispatch_message(message)
        except Exception as error:
            if not self.fuel.guard(error):
                raise

    def compose(self) -> ComposeResult:
        yield NavBar(self.MODE, id="navbar")
        yield from self.compose_body()
        yield PageFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.sub_title = self.TITLE
        self.query_one(NavBar).env_name = self.fuel.env_name

    def on_screen_suspend(self) -> None:
        # A dialog over the page is not leaving it: live events keep reaching the page below.
        self._under_modal = isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        self.query_one(NavBar).env_name = self.fuel.env_name
        if getattr(self, "_under_modal", False):
            self._under_modal = False
            return
        if self.fuel.master is None:
            return
        if self.has_unsaved():  # coming back to a page must not throw away what was typed
            self.notify("Your unsaved changes on this page are kept.", timeout=3)
            return
        self.schedule_reload()

    def after_first_frame(self) -> None:
        """Called once on the app's start page, after its first frame is on screen: work the
        first frame does without (bench/startup.py). Pages opened later never get it."""

    def has_unsaved(self) -> bool:
        """Edits not yet stored on the master; pages with forms say so."""
        return False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The page's workers' failures (Textual does not bubble these) go to the app's one
        handler: a refused call ends its worker there, and nothing after it runs."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.fuel.show_failure(event.worker.error)

    def on_master_connected(self, _: MasterConnected) -> None:
        self.schedule_reload()

    async def reload(self) -> None:
        """Fetch what the page shows from the master."""

    @work(exclusive=True, group="reload", exit_on_error=False)
    async def schedule_reload(self) -> None:
        """Reload in the background; a newer request replaces one not yet finished."""
        await self.reload()

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        """Live updates; pages add their own handler (Textual calls this one for every page too)."""
        if message.event.type in resync_events():  # events were lost: what the page shows may be stale
            if self.has_unsaved():
                self.notify("Live updates were lost; ctrl+r reloads from the master.", timeout=4)
            else:
                self.schedule_reload()

    def on_master_log_lines(self, message: MasterLogLines) -> None:
        for event in message.events:
            self.on_master_event(MasterEvent.of(event))

    # helpers for subclasses -----------------------------------------------------------

    def master(self) -> MasterAPI | None:
        if self.fuel.master is None:
            self.notify("Not connected to the master yet.", severity="warning")
        return self.fuel.master

    def env_required(self) -> str | None:
        name = self.fuel.env_name
        if name is None:
            self.notify("Pick an environment first (screen 2).", severity="warning")
        return name

    async def start_verify(self) -> TaskRecord | None:
        """Start verifying the chosen environment's networks (None when it could not start)."""
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return None
        return await master.verify(name)
