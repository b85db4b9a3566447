"""A yes/no question with something to read first (a diff, a summary)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static


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

    def __init__(self, question: str, detail: str, *, diff: bool = False, yes: str = "Apply") -> None:
        super().__init__()
        self._question = question
        self._detail = detail
        self._diff = diff
        self._yes = yes

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="confirm-box"):
            yield Static(self._question, classes="question")
            if self._diff:
                yield Static(diff_text(self._detail), id="confirm-detail")
            else:
                yield Static(self._detail, id="confirm-detail", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(f"{self._yes} (y)", id="yes", variant="primary")
                yield Button("Cancel (n)", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
