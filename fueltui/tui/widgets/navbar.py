"""The one-line bar on top of every screen: where you are, how to go elsewhere, which env."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

# (mode name, key, short label) in the order of the installation.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("master", "1", "Master"),
    ("environments", "2", "Envs"),
    ("networks", "3", "Networks"),
    ("nodes", "4", "Nodes"),
    ("interfaces", "5", "NICs"),
    ("verify", "6", "Verify"),
    ("deploy", "7", "Deploy"),
    ("health", "8", "Health"),
    ("logs", "9", "Logs"),
)

SHORT_LABELS = {"Networks": "Nets"}  # where the bar has to be compact


class NavBar(Static):
    """`1 Master 2 Envs …` with the current page marked by brackets, not only by colour."""

    current: reactive[str] = reactive("")
    env_name: reactive[str | None] = reactive(None)

    def __init__(self, current: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.current = current

    def render(self) -> Text:
        text = self._line(compact=False)
        if self.size.width and text.cell_len > self.size.width:
            text = self._line(compact=True)  # nine pages and the env name do not fit 80 columns
        return text

    def _line(self, compact: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (mode, key, label) in enumerate(PAGES):
            label = SHORT_LABELS.get(label, label) if compact else label
            if compact and index:
                text.append(" ")
            if mode == self.current:
                text.append(f"[{key} {label}]", style="bold reverse")
            elif compact:
                text.append(key, style="bold")
                text.append(f" {label}")
            else:
                text.append(f" {key}", style="bold")
                text.append(f" {label} ")
        text.append(" │ " if compact else "  env: ", style="dim")
        text.append(self.env_name or "—", style="bold")
        return text
