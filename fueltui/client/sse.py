"""A minimal server-sent events reader over an httpx streaming response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class SseMessage:
    event: str
    data: str
    id: str | None = None


async def read_sse(response: httpx.Response) -> AsyncIterator[SseMessage]:
    event, ident = "message", None
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield SseMessage(event, "\n".join(data), ident)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue  # a keepalive comment
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        elif field == "id":
            ident = value
