"""The pages' footer: Textual's compact Footer, composed with the page and again only when the
keys it shows change.

Textual's Footer composes nothing until the screen first reports its bindings, then composes
its keys a refresh later, and again on every report (each focus change): the first frame with
keys is the page's second, and each recomposition mounts and styles every key anew
(bench/startup.py). This one shows its keys in the page's first frame and skips a report that
changes nothing it shows.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, bool, str], ...]


class PageFooter(Footer):
    def __init__(self) -> None:
        super().__init__(compact=True)
        self.set_reactive(Footer._bindings_ready, True)  # compose the keys with the page
        self._shown: Shown | None = None

    def compose(self) -> ComposeResult:
        self._shown = self._bindings_shown(self.screen)
        yield from super().compose()

    def _bindings_shown(self, screen: Screen[object]) -> Shown:
        return tuple(
            (key, binding.action, binding.description, enabled, tooltip or "")
            for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            shown = self._bindings_shown(screen)
            if shown == self._shown and self.children:
                return
            self._shown = shown
        super().bindings_changed(screen)
