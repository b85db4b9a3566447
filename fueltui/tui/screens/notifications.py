"""The notifications list (ctrl+n on every page): what the master noticed, newest first.

Opening it marks what it shows as read (the nav bar's badge goes out); unread ones keep a
`●` while the list is open, so the operator sees which were new."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from fueltui.api.notifications import Notification
from fueltui.core.terminaltext import safe_line

if TYPE_CHECKING:
    from fueltui.tui.app import FuelApp

SHOWN = 100
LEVEL_STYLE = {"info": "", "warning": "yellow", "error": "bold red"}


def notification_line(note: Notification) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("● " if not note.read else "  ", style="bold")
    text.append(note.created.astimezone().strftime("%m-%d %H:%M "), style="dim")
    mark = {"warning": "! ", "error": "✗ "}.get(note.level, "  ")  # readable without colour
    text.append(mark + safe_line(note.message), style=LEVEL_STYLE.get(note.level, ""))
    return text


class NotificationsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    NotificationsScreen { align: center middle; }
    #notes-box { width: 90%; max-width: 100; height: 90%; border: thick $primary;
                 background: $surface; padding: 0 1; }
    #notes-title { text-style: bold; height: 1; }
    #notes-list { height: 1fr; border: none; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("a", "toggle_all", "Read ones too"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[Notification] = []
        self.include_read = True

    @property
    def fuel(self) -> FuelApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="notes-box"):
            yield Static("Notifications", id="notes-title", markup=False)
            yield OptionList(id="notes-list")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="notes", exit_on_error=False)
    async def load(self) -> None:
        master = self.fuel.master
        if master is None:
            self._show([], "Not connected to the master yet.")
            return
        listing = await master.notifications(include_read=self.include_read)
        if listing is None:
            return
        self.notes = listing.notifications[:SHOWN]
        unread = [n.id for n in self.notes if not n.read]
        what = "latest, read or not" if self.include_read else "unread only"
        self._show(self.notes, f"Notifications: {len(unread)} new ({what}; a switches)")
        if unread:
            marked = await master.mark_notifications_read(unread)
            if marked is not None:
                self.fuel.unread = marked.unread

    def _show(self, notes: list[Notification], title: str) -> None:
        self.query_one("#notes-title", Static).update(title)
        options = self.query_one(OptionList)
        options.clear_options()
        if notes:
            options.add_options([Option(notification_line(n), id=str(n.id)) for n in notes])
        else:
            options.add_option(Option("Nothing to show.", disabled=True))
        options.focus()

    def action_toggle_all(self) -> None:
        self.include_read = not self.include_read
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
