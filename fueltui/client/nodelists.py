"""The node lists a client keeps, one per `GET /nodes` query, with the master's ETag.

A console refreshes its node list often, and at 1 000 nodes parsing the 0.8 MB answer into
`NodeRecord`s is 20-25 ms on an idle CPU, 60-150 ms on a loaded one (docs/benchmarks.md, API at
1 000 nodes). With the tag sent back as If-None-Match an unchanged list costs a 304 and no
parse: the kept records are returned again. A changed list (during a deploy, most refreshes)
is walked record by record: a record whose bytes are the ones a kept record was read from is
that kept record; only the others are validated (together, in one call).

`NodeRecord` is a mutable model and a deep copy costs twice the parse (75 ms), so the kept
records are shared between the calls that return them. Before kept records are handed out or
reused they are encoded (8 ms, in pydantic-core) and compared with the answer they were read
from: a record some caller changed is noticed there and the answer is parsed again from the
master's bytes, so a changed record never comes back as the master's word.
"""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from fueltui.api.schema import NodeRecord, listed_json

KEPT_QUERIES = 8  # environments are few; a script walking many drops the oldest
RECORD_START = b'{"node":{"mac":"'  # how the master's encoding starts a record: its key follows
MAC_LENGTH = 17


@dataclass
class KeptList:
    etag: str
    body: bytes  # the answer the records were read from: the reference for reuse and the guard
    records: list[NodeRecord]

    @classmethod
    def parse(cls, etag: str, body: bytes, old: KeptList | None = None) -> KeptList:
        """Parse an answer, reusing the records of `old` whose bytes it repeats."""
        with _collector_paused():
            parts = old.parts() if old is not None else None
            records = _reuse(body, old.records, parts) if old is not None and parts is not None else None
            if records is None:
                records = _records().validate_json(body)
        return cls(etag, body, records)

    def parts(self) -> list[bytes] | None:
        """Each kept record's bytes in the answer, if every record still encodes to them (no
        caller changed one); None otherwise."""
        try:
            parts = [listed_json(record) for record in self.records]
        except (PydanticSerializationError, ValueError, TypeError):  # a field set to a stranger
            return None
        return parts if b"[" + b",".join(parts) + b"]" == self.body else None

    def current(self) -> list[NodeRecord]:
        """The kept records in a new list, parsed again from the answer if one was changed."""
        if self.parts() is None:
            with _collector_paused():
                self.records = _records().validate_json(self.body)
            # the client's own encoding from now on, should it ever differ from the master's bytes
            self.body = b"[" + b",".join(listed_json(record) for record in self.records) + b"]"
        return list(self.records)


def _reuse(body: bytes, records: list[NodeRecord], parts: list[bytes]) -> list[NodeRecord] | None:
    """`body`'s records: the kept one where its bytes are a kept record's, validated where not.
    None when the body is not laid out as the master lays it out (a full parse decides then)."""
    if not (body.startswith(b"[") and body.endswith(b"]")):
        return None
    kept = {_key(part, 0): (part, record) for part, record in zip(parts, records, strict=True)}
    end = len(body) - 1
    found: list[NodeRecord | None] = []  # None: one of `fresh`, in order
    fresh: list[bytes] = []
    pos = 1
    while pos != end:
        same = kept.get(_key(body, pos))
        if same is not None and body.startswith(same[0], pos):
            # a JSON value ends where its bytes balance: these bytes are the whole record
            found.append(same[1])
            pos += len(same[0])
        elif body.startswith(RECORD_START, pos):
            # A new record runs to the next record's start: `,{"node":{"mac":"` cannot be inside a
            # string (its quotes would be escaped) nor inside a record (no other object has a
            # "node" key). Cut wrong, the slices are not len(fresh) records and validation says so.
            stop = body.find(b"," + RECORD_START, pos)
            stop = end if stop == -1 else stop
            fresh.append(body[pos:stop])
            found.append(None)
            pos = stop
        else:
            return None
        if pos != end:
            if pos > end or body[pos] != ord(","):
                return None
            pos += 1
            if pos == end:
                return None  # a trailing comma
    if not fresh:
        return [record for record in found if record is not None]
    try:
        # one validate_json for all of them: 22 us a record, against 36 decoded and validated one
        # by one (a refresh after a deploy step can find hundreds changed)
        parsed = iter(_records().validate_json(b"[" + b",".join(fresh) + b"]"))
        records = [record if record is not None else next(parsed) for record in found]
    except (ValidationError, StopIteration):
        return None
    return records if next(parsed, None) is None else None


def _key(data: bytes, pos: int) -> bytes:
    """The MAC a record at `pos` starts with (b"" when it does not start as the master's do)."""
    start = pos + len(RECORD_START)
    return data[start : start + MAC_LENGTH] if data.startswith(RECORD_START, pos) else b""


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
        fresh = KeptList.parse(etag, body, old)
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
    23 ms parse (p95 98 ms against 31 ms paused, 100 parses of 1 000 records).

    Paused, they are all still young when it is turned back on, and the next allocation anywhere
    walks the 50 000 of them (a young collection: 7-17 ms, a third of a full `nodes()`). They are
    moved to the oldest generation instead, which a young collection never walks: `gc.freeze()`
    then `gc.unfreeze()` splice the generation lists, O(1). Young objects the program made
    before the parse move with them (a cycle among those waits for a full collection). Not done
    when the program froze objects itself: `unfreeze` would thaw those too."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_on:
            gc.enable()


@functools.cache
def _records() -> TypeAdapter[list[NodeRecord]]:
    # built on first use, not at import: the models defer their build and start-up is measured
    return TypeAdapter(list[NodeRecord])
