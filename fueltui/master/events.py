"""The live event bus: writes publish, UIs subscribe (the API serves it as server-sent events).

Events carry a sequence number so a client that reconnects can ask for what it missed
from a short in-memory history; a subscriber that falls too far behind is told so with a
`stream.overflow` event and should reload its state.

What travels is a declared event of `fueltui.api.events` (the union both ends share):
`emit` takes one, `publish(type, data)` builds one and refuses a type nobody declared.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass

from pydantic import JsonValue

from fueltui.api.events import AnyEvent, StreamOverflow, event

HISTORY = 2000
QUEUE_SIZE = 5000


@dataclass(frozen=True)
class BusEvent:
    seq: int
    event: AnyEvent

    @property
    def type(self) -> str:
        return self.event.type

    @property
    def data(self) -> dict[str, JsonValue]:
        return self.event.data


class EventBus:
    def __init__(self) -> None:
        self._seq = 0
        self._history: deque[BusEvent] = deque(maxlen=HISTORY)
        self._subscribers: set[asyncio.Queue[BusEvent | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self.closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop subscribers live in; publishes from other threads are handed to it."""
        self._loop = loop

    @property
    def last_seq(self) -> int:
        return self._seq

    def publish(self, type: str, data: dict[str, object]) -> None:
        """Publish the declared event `type` (pydantic's ValidationError for one not declared)."""
        self.emit(event(type, data))

    def emit(self, message: AnyEvent) -> None:
        with self._lock:
            self._seq += 1
            event = BusEvent(self._seq, message)
            self._history.append(event)
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._deliver(event)
        else:
            loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: BusEvent) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # Too slow a reader: tell it to resync instead of growing without bound.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(BusEvent(event.seq, StreamOverflow()))

    def close(self) -> None:
        """Wake every subscriber up so streams end (the master is shutting down)."""
        self.closed = True
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(None)
            except asyncio.QueueFull:
                queue.get_nowait()
                queue.put_nowait(None)

    def subscribe(self, after: int | None = None) -> Subscription:
        """Events from now on (registered at once, before the first read); with `after`,
        first those of the history newer than that sequence number."""
        return Subscription(self, after)


class Subscription:
    def __init__(self, bus: EventBus, after: int | None) -> None:
        self._bus = bus
        if bus._loop is None:
            bus.bind(asyncio.get_running_loop())
        self.queue: asyncio.Queue[BusEvent | None] = asyncio.Queue(QUEUE_SIZE)
        bus._subscribers.add(self.queue)
        with bus._lock:
            self._last = bus._seq
            self._backlog: deque[BusEvent] = deque()
            if after is not None:
                missed = [e for e in bus._history if e.seq > after]
                if self._last > after and (not missed or missed[0].seq > after + 1):
                    self._backlog.append(BusEvent(after, StreamOverflow()))
                self._backlog.extend(missed)

    def close(self) -> None:
        self._bus._subscribers.discard(self.queue)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> BusEvent:
        if self._backlog:
            return self._backlog.popleft()
        while True:
            item = await self.queue.get()
            if item is None:
                self.close()
                raise StopAsyncIteration
            if item.seq <= self._last and item.type != "stream.overflow":
                continue  # already replayed from the history
            return item

    def ready(self, limit: int = 500) -> list[BusEvent]:
        """Up to `limit` events that are already waiting, without waiting: a stream writes them
        in one chunk instead of one each (bench/api.py: 5 consoles at 2 000 lines/s)."""
        found: list[BusEvent] = []
        while len(found) < limit:
            if self._backlog:
                found.append(self._backlog.popleft())
                continue
            try:
                item = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if item is None:  # the bus closes: leave the mark for the next get()
                self.queue.put_nowait(None)
                break
            if item.seq > self._last or item.type == "stream.overflow":
                found.append(item)
        return found

    async def get(self, timeout: float | None = None) -> BusEvent | None:
        """The next event, or None after `timeout` seconds or when the bus closes."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except (TimeoutError, StopAsyncIteration):
            return None

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
