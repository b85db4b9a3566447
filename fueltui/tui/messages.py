"""Messages that travel between the app and its screens.

Each event of the master's stream arrives as its own Textual message class, derived from the
declarations in `fueltui.api.events` (not listed here): `message_class(TaskProgress)` is the
class carrying a `TaskProgress`. A page handles one kind with `@on(message_class(X))`, or all
of them with `on_master_event` (every derived class keeps that handler name).

The event models (pydantic) are imported when the first event arrives, not before the first
frame (bench/startup.py): the derived classes are built then.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from textual.message import Message

if TYPE_CHECKING:
    from fueltui.api.events import AnyEvent, BaseEvent, TaskLog

    RESYNC_EVENTS: frozenset[str]

E = TypeVar("E", bound="BaseEvent")


@cache
def resync_events() -> frozenset[str]:
    """Events saying the stream lost events: a restarted master (`stream.reset`, from the
    client) or a reader that fell behind (`stream.overflow`, from the master). Either way:
    reload."""
    from fueltui.api.events import EVENT_MODELS, StreamOverflow, StreamReset

    names = frozenset(name for name, model in EVENT_MODELS.items() if model.resync)
    assert {StreamReset().type, StreamOverflow().type} == names
    return names


def __getattr__(name: str) -> object:
    if name == "RESYNC_EVENTS":  # a constant once; built on first use like the classes below
        return resync_events()
    raise AttributeError(name)


class MasterEvent(Message, Generic[E]):
    """One event from the master's live stream, delivered to the active screen."""

    def __init__(self, event: E) -> None:
        super().__init__()
        self.event: E = event

    @staticmethod
    def of(event: AnyEvent) -> MasterEvent[BaseEvent]:
        """The message of this event's own class."""
        return _messages()[type(event)](event)


def _derive(model: type[BaseEvent]) -> type[MasterEvent[BaseEvent]]:
    cls = cast(
        "type[MasterEvent[BaseEvent]]",
        type(f"{model.__name__}Message", (MasterEvent,), {"__doc__": model.__doc__, "__module__": __name__}),
    )
    cls.handler_name = MasterEvent.handler_name  # a page's `on_master_event` sees every kind
    return cls


@cache
def _messages() -> dict[type[BaseEvent], type[MasterEvent[BaseEvent]]]:
    from fueltui.api.events import EVENT_MODELS

    return {model: _derive(model) for model in EVENT_MODELS.values()}


def message_class(model: type[E]) -> type[MasterEvent[E]]:
    """The Textual message class carrying events of `model`, for `@on(...)`."""
    return cast("type[MasterEvent[E]]", _messages()[model])


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
