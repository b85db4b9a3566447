"""The live stream's events are declared once (fueltui.api.events): the master's bus refuses
an undeclared one, the client decodes each into its model and drops (and logs) a kind it does
not know, and the TUI gets one message class per declared event."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import pytest
from pydantic import ValidationError

from fueltui.api.events import (
    EVENT_MODELS,
    EnvChanged,
    StreamOverflow,
    TaskCreated,
    TaskProgress,
    decode_event,
    event,
)
from fueltui.api.schema import TaskStatus, Wire
from fueltui.client.api import MasterClient
from fueltui.master.events import BusEvent
from fueltui.tui.messages import RESYNC_EVENTS, MasterEvent, message_class
from masterfixtures import RunningMaster
from polling import async_wait_until


class FutureEvent(Wire):
    """An event a newer master might send: this client has never heard of it."""

    type: Literal["node.renamed"] = "node.renamed"
    mac: str

    @property
    def data(self) -> dict[str, object]:
        return {"mac": self.mac}


def test_each_declared_event_has_its_own_type_and_message_class() -> None:
    assert len(EVENT_MODELS) == len({model.__name__ for model in EVENT_MODELS.values()})
    classes = {message_class(model) for model in EVENT_MODELS.values()}
    assert len(classes) == len(EVENT_MODELS)
    for name, model in EVENT_MODELS.items():
        cls = message_class(model)
        assert issubclass(cls, MasterEvent) and cls.handler_name == "on_master_event", name
    progress = TaskProgress(id="t1", kind="deploy", status=TaskStatus.running, progress=5)
    assert type(MasterEvent.of(progress)) is message_class(TaskProgress)
    assert type(MasterEvent.of(progress)) is not message_class(TaskCreated)
    assert {"stream.reset", "stream.overflow"} == RESYNC_EVENTS


def test_decoding_is_strict_about_shape_and_quiet_about_strangers(caplog: pytest.LogCaptureFixture) -> None:
    decoded = decode_event("task.created", '{"id":"t1","kind":"verify","env":"prod"}')
    assert decoded == TaskCreated(id="t1", kind="verify", env="prod")
    caplog.set_level(logging.WARNING, logger="fueltui.api.events")
    assert decode_event("node.renamed", '{"mac":"x"}') is None
    assert decode_event("task.created", '{"kind":"verify"}') is None  # no id
    assert decode_event("task.progress", "[1, 2]") is None
    assert decode_event("env.changed", "not json") is None
    assert len(caplog.records) == 4 and "node.renamed" in caplog.records[0].getMessage()
    with pytest.raises(ValidationError):
        event("task.progress", {"id": "t1", "kind": "deploy", "status": "running", "progress": 101})


async def test_the_client_yields_declared_events_and_skips_an_unknown_one(
    master: RunningMaster, client: MasterClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="fueltui.api.events")
    bus = master.state.events
    seen: list[object] = []

    async def collect() -> None:
        async for item in client.events(reconnect=False):
            seen.append(item)
            if isinstance(item, EnvChanged):
                return

    async def subscribed() -> bool:
        return bool(bus._subscribers)

    collector = asyncio.ensure_future(collect())
    try:
        await async_wait_until(subscribed, what="the client subscribed")
        # Published past the bus's check, as a newer master's event would arrive.
        bus._loop.call_soon_threadsafe(  # type: ignore[union-attr]
            bus._deliver,
            BusEvent(bus.last_seq + 1, FutureEvent(mac="52:54:00:00:00:09")),  # type: ignore[arg-type]
        )
        bus.emit(StreamOverflow())
        await client.create_environment("typed")
        await asyncio.wait_for(collector, 10)
    finally:
        collector.cancel()
    assert [type(item) for item in seen] == [StreamOverflow, EnvChanged]
    changed = seen[-1]
    assert isinstance(changed, EnvChanged) and changed.name == "typed" and changed.revision == 1
    assert any("node.renamed" in record.getMessage() for record in caplog.records)
