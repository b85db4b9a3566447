"""A yes/no question with something to read first (a diff, a summary).

The buttons stay below the scrolling detail, always on screen at 80×24, and the dialog has its
own footer so the page's keys underneath are not offered while it is open. A `danger` question
(rewriting the running machine) cannot be answered with a single `y`: the operator moves to
the red button and presses Enter, with Cancel focused first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static


def diff_text(diff: str) -> Text:
    """A unified diff coloured by line kind; the +/- markers still read without colour."""
    text = Text()
    for line in (diff or "(no changes)").splitlines():
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        text.append(line + "\n", style=style)
    return text


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(
        self,
        question: str,
        detail: str | Text,
        *,
        diff: bool = False,
        yes: str | None = "Apply",  # None: nothing to agree to, only Close
        no: str = "Cancel",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="-danger" if danger else "")
        self._question = question
        self._detail = detail
        self._diff = diff
        self._yes = yes
        self._no = no
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self._question, classes="question", markup=False)
            with VerticalScroll(id="confirm-scroll"):
                if self._diff and isinstance(self._detail, str):
                    yield Static(diff_text(self._detail), id="confirm-detail")
                else:
                    yield Static(self._detail, id="confirm-detail", markup=False)
            with Horizontal(classes="buttons"):
                if self._yes is None:
                    yield Button(f"{self._no} (n)", id="no", variant="primary")
                elif self.danger:
                    yield Button(self._no, id="no", variant="primary")
                    yield Button(self._yes, id="yes", variant="error")
                else:
                    yield Button(f"{self._yes} (y)", id="yes", variant="primary")
                    yield Button(f"{self._no} (n)", id="no")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#no" if self.danger or self._yes is None else "#yes", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # no one-key yes for a dangerous question
        return not (action == "answer" and parameters == (True,) and (self.danger or self._yes is None))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
