"""The node lists a client keeps, one per `GET /nodes` query, with the master's ETag.

A console refreshes its node list often, and at 1 000 nodes parsing the 1.1 MB answer into
`NodeRecord`s is 30 ms on an idle CPU, 60-150 ms on a loaded one (docs/benchmarks.md, API at
1 000 nodes). With the tag sent back as If-None-Match an unchanged list costs a 304 and no
parse: the kept records are returned again. A changed list (during a deploy, most refreshes)
is read as JSON values (6 ms) and only the records whose values differ from the kept ones are
validated again; the others are the kept records.

`NodeRecord` is a mutable model and a deep copy costs twice the parse (75 ms), so the kept
records are shared between the calls that return them. Before kept records are handed out or
reused they are encoded (8 ms, in pydantic-core) and compared with what they encoded to when
kept: a record some caller changed is noticed there and the kept answer is parsed again from
the master's bytes, so a changed record never comes back as the master's word.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import JsonValue, TypeAdapter
from pydantic_core import PydanticSerializationError, from_json

from fueltui.api.schema import NodeRecord

KEPT_QUERIES = 8  # environments are few; a script walking many drops the oldest


@dataclass
class KeptList:
    etag: str
    body: bytes  # the master's answer, parsed again if a kept record was changed
    values: list[JsonValue]  # the answer's JSON, one value per record
    records: list[NodeRecord]
    encoded: bytes  # what `records` encode to while nobody changed them

    @classmethod
    def parse(cls, etag: str, body: bytes, old: KeptList | None = None) -> KeptList:
        """Parse an answer, reusing the records of `old` (untouched) whose values are the same."""
        with _collector_paused():
            return cls._parse(etag, body, old)

    @classmethod
    def _parse(cls, etag: str, body: bytes, old: KeptList | None) -> KeptList:
        values = from_json(body)
        if old is None or not isinstance(values, list):
            records = _records().validate_python(values)  # a body that is no list is refused here
        else:
            kept = {
                _mac(value): (value, record) for value, record in zip(old.values, old.records, strict=True)
            }
            records = []
            for value in values:
                same = kept.get(_mac(value))
                if same is not None and same[0] == value:
                    records.append(same[1])
                else:
                    records.append(NodeRecord.model_validate(value))
        # the master's bytes stand for the records until a call finds a difference: encoding
        # here would cost every changed list 8 ms more
        return cls(etag, body, values, records, body)

    def untouched(self) -> bool:
        """No caller changed a kept record (they encode to what they did when kept)."""
        try:
            return _encode(self.records) == self.encoded
        except (PydanticSerializationError, ValueError, TypeError):  # a field set to a stranger
            return False

    def current(self) -> list[NodeRecord]:
        """The kept records in a new list, parsed again from the answer if one was changed."""
        if not self.untouched():
            again = KeptList.parse(self.etag, self.body)
            # the client's own encoding from now on, in case it differs from the master's bytes
            self.values, self.records, self.encoded = again.values, again.records, _encode(again.records)
        return list(self.records)


class NodeLists:
    """One kept list per query (`environment`, None for all nodes)."""

    def __init__(self, limit: int = KEPT_QUERIES) -> None:
        self.limit = limit
        self._kept: dict[str | None, KeptList] = {}

    def etag(self, environment: str | None) -> str | None:
        kept = self._kept.get(environment)
        return kept.etag if kept else None

    def unchanged(self, environment: str | None) -> list[NodeRecord] | None:
        """The list kept for this query (the master said 304), or None when none is kept."""
        kept = self._kept.get(environment)
        return kept.current() if kept else None

    def parse(self, environment: str | None, body: bytes, etag: str | None) -> list[NodeRecord]:
        """Parse a full answer and keep it under its tag (an answer without one is not kept)."""
        old = self._kept.pop(environment, None)
        if not etag:
            return _records().validate_json(body)
        fresh = KeptList.parse(etag, body, old if old is not None and old.untouched() else None)
        while len(self._kept) >= self.limit:
            del self._kept[next(iter(self._kept))]
        self._kept[environment] = fresh
        return list(fresh.records)

    def forget(self) -> None:
        self._kept.clear()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """A parse builds ~50 000 objects, none in a reference cycle; with the cycle collector on they
    set off full collections that walk every object the console holds: 60-90 ms spikes on a
    23 ms parse (p95 98 ms against 31 ms paused, 100 parses of 1 000 records)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@functools.cache
def _records() -> TypeAdapter[list[NodeRecord]]:
    # built on first use, not at import: the models defer their build and start-up is measured
    return TypeAdapter(list[NodeRecord])


def _encode(records: list[NodeRecord]) -> bytes:
    return _records().dump_json(records, by_alias=True, warnings=False)


def _mac(value: JsonValue) -> JsonValue:
    """A record's key among the kept ones: its node's MAC (None for a value that is no record)."""
    node = value.get("node") if isinstance(value, dict) else None
    return node.get("mac") if isinstance(node, dict) else None
