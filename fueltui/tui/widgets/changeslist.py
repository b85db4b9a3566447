"""Deploy Changes as the Deploy page shows them: the count for the summary, the list for the
dialog (Fuel's "Deploy Changes (N)" button and its confirmation)."""

from __future__ import annotations

from rich.text import Text

from fueltui.api.changes import PendingChanges
from fueltui.core.terminaltext import safe_line

ACTION_STYLE = {"add": "green", "remove": "red", "redeploy": "yellow"}


def changes_label(changes: PendingChanges | None) -> str:
    if changes is None:
        return ""
    return "Nothing to deploy. " if changes.empty else f"Deploy Changes ({changes.count}). "


def changes_text(changes: PendingChanges) -> Text:
    """One line per change; the action word reads without colour too."""
    text = Text()
    if changes.empty:
        text.append("No pending changes: every node is deployed as configured.\n")
        return text
    text.append(f"{changes.count} pending change(s):\n", style="bold")
    for change in changes.nodes:
        text.append(f"  {change.action:<8} ", style=ACTION_STYLE.get(change.action, ""))
        text.append(f"{safe_line(change.name)}  ({safe_line(change.reason)})\n")
    if changes.settings_changed:
        text.append("  settings changed since the last deploy\n", style="yellow")
    if changes.networks_changed:
        text.append("  networks changed since the last deploy\n", style="yellow")
    return text
