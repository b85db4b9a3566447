"""Messages that travel between the app and its screens.

Each event of the master's stream arrives as its own Textual message class, derived from the
declarations in `fueltui.api.events` (not listed here): `message_class(TaskProgress)` is the
class carrying a `TaskProgress`. A page handles one kind with `@on(message_class(X))`, or all
of them with `on_master_event` (every derived class keeps that handler name).
"""

from __future__ import annotations

from typing import Generic, TypeVar, cast

from textual.message import Message

from fueltui.api.events import EVENT_MODELS, AnyEvent, BaseEvent, StreamOverflow, StreamReset, TaskLog

E = TypeVar("E", bound=BaseEvent)

# Events saying the stream lost events: a restarted master (`stream.reset`, from the client) or
# a reader that fell behind (`stream.overflow`, from the master). Either way: reload.
RESYNC_EVENTS = frozenset(name for name, model in EVENT_MODELS.items() if model.resync)
assert {StreamReset().type, StreamOverflow().type} == RESYNC_EVENTS


class MasterEvent(Message, Generic[E]):
    """One event from the master's live stream, delivered to the active screen."""

    def __init__(self, event: E) -> None:
        super().__init__()
        self.event: E = event

    @staticmethod
    def of(event: AnyEvent) -> MasterEvent[BaseEvent]:
        """The message of this event's own class."""
        return _MESSAGES[type(event)](event)


def _derive(model: type[BaseEvent]) -> type[MasterEvent[BaseEvent]]:
    cls = cast(
        "type[MasterEvent[BaseEvent]]",
        type(f"{model.__name__}Message", (MasterEvent,), {"__doc__": model.__doc__, "__module__": __name__}),
    )
    cls.handler_name = MasterEvent.handler_name  # a page's `on_master_event` sees every kind
    return cls


_MESSAGES: dict[type[BaseEvent], type[MasterEvent[BaseEvent]]] = {
    model: _derive(model) for model in EVENT_MODELS.values()
}


def message_class(model: type[E]) -> type[MasterEvent[E]]:
    """The Textual message class carrying events of `model`, for `@on(...)`."""
    return cast("type[MasterEvent[E]]", _MESSAGES[model])


class MasterLogLines(Message):
    """Consecutive `task.log` events gathered for a moment: a flood of lines costs one message
    per batch instead of one per line."""

    def __init__(self, events: list[TaskLog]) -> None:
        super().__init__()
        self.events = events


class MasterConnected(Message):
    """The app reached the master; screens that were waiting can load."""


class EnvironmentChosen(Message):
    """The operator picked the environment the other screens work on."""

    def __init__(self, name: str | None) -> None:
        super().__init__()
        self.name = name
