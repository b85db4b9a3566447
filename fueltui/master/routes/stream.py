"""Live streams as server-sent events: the event bus, and logs followed from a byte offset.

Each SSE message carries `id:` (the bus sequence number, or the log byte offset), so a
client reconnects with `Last-Event-ID` / `after` / `offset` and misses nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from fueltui.api.schema import LogChunk, StreamHello
from fueltui.master.events import EventBus
from fueltui.master.logfiles import read_chunk
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["streams"])

KEEPALIVE = 15.0
LOG_POLL = 1.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}
}


def sse(event: str, data: object, ident: int | None = None) -> bytes:
    head = f"id: {ident}\n" if ident is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **errors(422)},
    summary="The live event stream (server-sent events)",
)
async def events(
    request: Request,
    after: int | None = Query(default=None, ge=0),
    last_event_id: str | None = Header(default=None),
) -> StreamingResponse:
    bus = master_of(request).events
    if after is None and last_event_id and last_event_id.isdigit():
        after = int(last_event_id)
    subscription = bus.subscribe(after)

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield sse("hello", StreamHello(seq=bus.last_seq).model_dump())
            while True:
                event = await subscription.get(KEEPALIVE)
                if event is None:
                    if subscription.queue.empty() and _closed(bus):
                        return
                    yield b": keepalive\n\n"
                    continue
                batch = [event, *subscription.ready()]  # what else waits goes out in the same chunk
                yield b"".join(sse(e.type, e.data, e.seq) for e in batch)
        finally:
            subscription.close()

    return StreamingResponse(stream(), media_type="text/event-stream", headers=SSE_HEADERS)


def _closed(bus: EventBus) -> bool:
    return bus.closed


async def follow(bus: EventBus, path: Path, offset: int, match: str) -> AsyncIterator[bytes]:
    """Chunks of `path` from `offset` as they are written; woken by task.log events of `match`."""
    subscription = bus.subscribe()
    try:
        while True:
            chunk: LogChunk = read_chunk(path, offset)
            if chunk.entries or chunk.end != offset:
                offset = chunk.end
                yield sse("log", chunk.model_dump(mode="json"), chunk.end)
                if chunk.has_more:
                    continue
            waited = 0.0
            while waited < KEEPALIVE:
                event = await subscription.get(LOG_POLL)
                if _closed(bus):
                    return
                if event is not None and match in (
                    getattr(event.event, "mac", None),
                    getattr(event.event, "id", None),
                ):
                    break
                if event is None:
                    waited += LOG_POLL
                    if path.exists() and path.stat().st_size > offset:
                        break  # written by someone not on the bus
            else:
                yield b": keepalive\n\n"
    finally:
        subscription.close()


@router.get(
    "/nodes/{mac}/logs/follow",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **errors(404, 422)},
    tags=["nodes"],
    summary="Follow a node's log live from a byte offset (server-sent events of LogChunk)",
)
async def follow_node_log(
    request: Request,
    mac: str,
    offset: int = Query(default=0, ge=0),
    task_id: str | None = Query(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$"),
) -> StreamingResponse:
    master = master_of(request)
    key = master.store.node(mac).node.mac
    path = master.logs.task_path(task_id, key) if task_id else master.logs.node_path(key)
    return StreamingResponse(
        follow(master.events, path, offset, key), media_type="text/event-stream", headers=SSE_HEADERS
    )


@router.get(
    "/tasks/{task_id}/logs/follow",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **errors(404, 422)},
    tags=["tasks"],
    summary="Follow a task's log live from a byte offset (server-sent events of LogChunk)",
)
async def follow_task_log(
    request: Request, task_id: str, offset: int = Query(default=0, ge=0)
) -> StreamingResponse:
    master = master_of(request)
    record = master.store.task(task_id)
    path = master.logs.task_path(record.id)
    return StreamingResponse(
        follow(master.events, path, offset, record.id), media_type="text/event-stream", headers=SSE_HEADERS
    )
