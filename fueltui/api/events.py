"""The events of the master's live stream (`GET /api/v1/events`), declared once.

Each event is a model with a literal `type`; `AnyEvent` is their discriminated union. The
master publishes these models (the bus refuses an undeclared one), the client decodes each
server-sent message once with `decode_event`, and the TUI derives one Textual message class
per model (`fueltui.tui.messages.message_class`). A new event is one class here, added to
`AnyEvent`; every end follows.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, ClassVar, Literal

from pydantic import ConfigDict, Field, JsonValue, TypeAdapter, ValidationError

from fueltui.api.schema import NodeProgress, TaskStatus, Wire

log = logging.getLogger(__name__)


class BaseEvent(Wire):
    """What every event shares; `type` is each subclass's literal."""

    type: str
    # The events saying the stream lost events: reload whatever the page shows.
    resync: ClassVar[bool] = False

    @property
    def data(self) -> dict[str, JsonValue]:
        """The event's fields as a plain mapping (the wire's `data:` line)."""
        return self.model_dump(mode="json", exclude={"type"})


# --------------------------------------------------------------------------- nodes


class NodeDiscovered(BaseEvent):
    type: Literal["node.discovered"] = "node.discovered"
    mac: str
    revision: int | None = None


class NodeChanged(BaseEvent):
    type: Literal["node.changed"] = "node.changed"
    mac: str
    revision: int | None = None


class NodeDeleted(BaseEvent):
    type: Literal["node.deleted"] = "node.deleted"
    mac: str


# --------------------------------------------------------------------------- environments, master


class EnvChanged(BaseEvent):
    type: Literal["env.changed"] = "env.changed"
    name: str
    revision: int | None = None


class EnvDeleted(BaseEvent):
    type: Literal["env.deleted"] = "env.deleted"
    name: str


class MasterChanged(BaseEvent):
    """The master's own settings (boot options) changed."""

    type: Literal["master.changed"] = "master.changed"
    revision: int | None = None


# --------------------------------------------------------------------------- tasks


class TaskCreated(BaseEvent):
    type: Literal["task.created"] = "task.created"
    id: str
    kind: str
    env: str | None = None


class TaskProgress(BaseEvent):
    type: Literal["task.progress"] = "task.progress"
    id: str
    kind: str
    env: str | None = None
    status: TaskStatus
    progress: int = Field(ge=0, le=100)
    message: str = ""
    # The nodes whose progress this update changed (every node when the task starts and
    # ends); a console merges them into the task's record (`GET /tasks/{id}` has them all).
    nodes: dict[str, NodeProgress] = Field(default_factory=dict)


class TaskLog(BaseEvent):
    """One line of a task's log (`mac` None: the task's own log)."""

    type: Literal["task.log"] = "task.log"
    id: str
    mac: str | None = None
    line: str


class TaskFinished(BaseEvent):
    type: Literal["task.finished"] = "task.finished"
    id: str
    status: TaskStatus
    env: str | None = None


# --------------------------------------------------------------------------- notifications


class NotificationAdded(BaseEvent):
    """The master noted something that happened (fueltui.master.notifications)."""

    type: Literal["notification.added"] = "notification.added"
    id: int
    kind: str
    unread: int = Field(ge=0)


class NotificationRead(BaseEvent):
    type: Literal["notification.read"] = "notification.read"
    unread: int = Field(ge=0)


# --------------------------------------------------------------------------- the stream itself


class StreamReset(BaseEvent):
    """From the client: the master restarted and events were lost."""

    type: Literal["stream.reset"] = "stream.reset"
    resync: ClassVar[bool] = True


class StreamOverflow(BaseEvent):
    """From the master: this reader fell behind and events were dropped."""

    type: Literal["stream.overflow"] = "stream.overflow"
    resync: ClassVar[bool] = True


AnyEvent = Annotated[
    NodeDiscovered
    | NodeChanged
    | NodeDeleted
    | EnvChanged
    | EnvDeleted
    | MasterChanged
    | TaskCreated
    | TaskProgress
    | TaskLog
    | TaskFinished
    | NotificationAdded
    | NotificationRead
    | StreamReset
    | StreamOverflow,
    Field(discriminator="type"),
]
Event = AnyEvent  # the name the clients use

NODE_EVENTS = (NodeDiscovered, NodeChanged, NodeDeleted)
ENV_EVENTS = (EnvChanged, EnvDeleted)
NODE_OR_ENV_EVENTS = NODE_EVENTS + ENV_EVENTS

# built on the first event, not at import: the TUI paints its first frame before (bench/startup.py)
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent, config=ConfigDict(defer_build=True))


def _models() -> dict[str, type[BaseEvent]]:
    found: dict[str, type[BaseEvent]] = {}
    for model in BaseEvent.__subclasses__():
        literal = model.model_fields["type"].default
        found[str(literal)] = model
    return found


EVENT_MODELS: dict[str, type[BaseEvent]] = _models()  # "task.log" → TaskLog, …
EVENT_TYPES: frozenset[str] = frozenset(EVENT_MODELS)


def event(type: str, data: dict[str, object]) -> AnyEvent:
    """The declared event of this type and data; ValidationError when it is not declared or
    its data does not fit (the master's bus uses it, so a wrong publish fails loudly)."""
    return EVENT_ADAPTER.validate_python({**data, "type": type})


def decode_event(type: str, data: str | bytes) -> AnyEvent | None:
    """One server-sent message as its declared event; an unknown type or a body that does not fit
    is logged and dropped (a newer master may send events this client does not know)."""
    if type not in EVENT_TYPES:
        log.warning("ignored an event of unknown type %r", type)
        return None
    try:
        body = json.loads(data) if data else {}
        if not isinstance(body, dict):
            raise ValueError(f"the body is a {body.__class__.__name__}, not an object")
        return EVENT_ADAPTER.validate_python({**body, "type": type})
    except (ValueError, ValidationError) as exc:  # ValidationError is a ValueError; named for the reader
        log.warning("ignored a malformed %r event: %s", type, exc)
        return None
