"""`?`: what the current page is for and every key it answers to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._title = title
        self._text = text
        self._keys = keys

    def compose(self) -> ComposeResult:
        keys = "\n".join(f"- `{key}` {what}" for key, what in self._keys)
        body = f"# {self._title}\n\n{self._text}\n\n## Keys\n\n{keys}\n"
        with VerticalScroll(id="help-box"):
            yield Markdown(body)
            yield Static("Esc, q or ? closes this help.", classes="hint")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
