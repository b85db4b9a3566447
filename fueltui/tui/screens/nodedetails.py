"""A node in full, over the Nodes page (key `i`): facts (CPUs, RAM, each disk, each NIC with
speed, driver, link and MAC), roles, addresses per network and its history. The text is the
one `fueltui node show` prints (`NodeDetails.lines`): one home for the layout."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from fueltui.api.nodedetails import NodeDetails

SECTIONS = ("Disks:", "NICs:", "Addresses:", "History:")


def details_text(details: NodeDetails) -> Text:
    text = Text()
    for i, line in enumerate(details.lines()):
        if i:
            text.append("\n")
        bold = i == 0 or line in SECTIONS
        text.append(line, style="bold" if bold else "")
    return text


class NodeDetailsScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    NodeDetailsScreen { align: center middle; }
    #details-box { width: 100%; max-width: 100; height: 100%; border: thick $primary;
                   background: $surface; padding: 0 1; }
    #details-text { height: auto; }
    """
    BINDINGS = [
        Binding("escape,q,i", "close", "Close"),
        Binding("up,k", "scroll(-1)", "Up", show=False),
        Binding("down,j", "scroll(1)", "Down", show=False),
    ]

    def __init__(self, details: NodeDetails) -> None:
        super().__init__()
        self.details = details

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-box"):
            yield Static(details_text(self.details), id="details-text", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#details-box").focus()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#details-box", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
