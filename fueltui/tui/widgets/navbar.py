"""The one-line bar on top of every screen: where you are, how to go elsewhere, which env."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from fueltui.tui.widgets.notifybadge import badge_text

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
    ("settings", "0", "Settings"),
)


class NavBar(Static):
    """`1 Master 2 Envs …` with the current page marked by brackets, not only by colour."""

    current: reactive[str] = reactive("")
    env_name: reactive[str | None] = reactive(None)
    unread: reactive[int] = reactive(0)  # the app's count of unread notifications

    def __init__(self, current: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.current = current

    def on_mount(self) -> None:
        if hasattr(self.app, "unread"):  # every page's bar follows the app's one count
            self.watch(self.app, "unread", self._unread, init=True)

    def _unread(self, count: int) -> None:
        self.unread = count

    def render(self) -> Text:
        full = self._bar(labels=True)
        width = self.size.width
        # At 80 columns the labels and the environment do not both fit: the environment wins
        # (every page acts on it), the other pages keep their keys.
        return full if not width or full.cell_len <= width else self._bar(labels=False)

    def _bar(self, labels: bool) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for mode, key, label in PAGES:
            if mode == self.current:
                text.append(f"[{key} {label}]", style="bold reverse")
            elif labels:
                text.append(f" {key}", style="bold")
                text.append(f" {label} ")
            else:
                text.append(f" {key} ", style="bold")
        text.append_text(badge_text(self.unread))  # before the name: a long name is cut, not the badge
        text.append("  env: ", style="dim")
        text.append(self.env_name or "—", style="bold")
        return text
