"""Messages that travel between the app and its screens."""

from __future__ import annotations

from textual.message import Message

from fueltui.api.schema import Event

# Events saying the stream lost events: a restarted master (`stream.reset`, from the client) or
# a reader that fell behind (`stream.overflow`, from the master). Either way: reload.
RESYNC_EVENTS = frozenset({"stream.reset", "stream.overflow"})


class MasterEvent(Message):
    """One event from the master's live stream, delivered to the active screen."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class MasterLogLines(Message):
    """Consecutive `task.log` events gathered for a moment: a flood of lines costs one message
    per batch instead of one per line."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.events = events


class MasterConnected(Message):
    """The app reached the master; screens that were waiting can load."""


class EnvironmentChosen(Message):
    """The operator picked the environment the other screens work on."""

    def __init__(self, name: str | None) -> None:
        super().__init__()
        self.name = name
