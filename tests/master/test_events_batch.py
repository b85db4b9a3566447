"""A stream writes what already waits in one chunk: the subscription hands it over in order."""

from __future__ import annotations

from fueltui.master.events import EventBus


async def test_ready_hands_over_what_waits_in_order_and_keeps_the_close_mark() -> None:
    bus = EventBus()
    with bus.subscribe(after=0) as sub:
        bus.publish("task.log", {"id": "t1", "line": "replayed"})  # before: delivered and in the history
        for n in range(5):
            bus.publish("task.log", {"id": "t1", "line": str(n)})
        first = await sub.get(1.0)
        assert first is not None
        rest = sub.ready(limit=3)
        assert [e.data["line"] for e in [first, *rest]] == ["replayed", "0", "1", "2"]
        assert [e.data["line"] for e in sub.ready()] == ["3", "4"]  # nothing twice, nothing lost
        assert sub.ready() == []
        bus.close()
        assert sub.ready() == [] and await sub.get(1.0) is None  # the close still ends the stream
