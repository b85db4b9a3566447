"""The node lists a client keeps, one per `GET /nodes` query, with the master's ETag.

A console refreshes its node list often and at 1 000 nodes parsing the 1.1 MB answer into
`NodeRecord`s is 30 ms on an idle CPU, 90-150 ms on a loaded one (docs/benchmarks.md, API at
1 000 nodes). With the tag sent back as If-None-Match an unchanged list costs a 304 and no
parse: the kept records are returned again.

`NodeRecord` is a mutable model and a deep copy costs twice the parse (75 ms), so the kept
records are shared between the calls that return them. Before a kept list is handed out again
it is encoded (8 ms, in pydantic-core) and compared with what it encoded to when kept: a record
some caller changed is noticed there and the kept answer is parsed again from the master's
bytes, so a changed record never comes back as the master's word.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from pydantic import TypeAdapter
from pydantic_core import PydanticSerializationError

from fueltui.api.schema import NodeRecord

KEPT_QUERIES = 8  # environments are few; a script walking many drops the oldest


@dataclass
class KeptList:
    etag: str
    body: bytes  # the master's answer, parsed again if a kept record was changed
    records: list[NodeRecord]
    encoded: bytes  # what `records` encode to while nobody changed them

    def current(self) -> list[NodeRecord]:
        """The kept records in a new list, parsed again from the answer if one was changed."""
        try:
            same = _encode(self.records) == self.encoded
        except (PydanticSerializationError, ValueError, TypeError):  # a field set to a stranger
            same = False
        if not same:
            self.records = _records().validate_json(self.body)
            self.encoded = _encode(self.records)
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
        records = _records().validate_json(body)
        self._kept.pop(environment, None)
        if etag:
            while len(self._kept) >= self.limit:
                del self._kept[next(iter(self._kept))]
            # the master's bytes stand for the records until a call finds a difference: encoding
            # here would cost every changed list 8 ms more
            self._kept[environment] = KeptList(etag, body, records, body)
        return list(records)

    def forget(self) -> None:
        self._kept.clear()


@functools.cache
def _records() -> TypeAdapter[list[NodeRecord]]:
    # built on first use, not at import: the models defer their build and start-up is measured
    return TypeAdapter(list[NodeRecord])


def _encode(records: list[NodeRecord]) -> bytes:
    return _records().dump_json(records, by_alias=True, warnings=False)
