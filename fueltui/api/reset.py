"""Reset environment: the request (the client's `reset`), answered with the task's record."""

from __future__ import annotations

from pydantic import Field

from fueltui.api.schema import Wire


class ResetRequest(Wire):
    """`revision`: the environment's revision the operator looked at before confirming; a
    reset asked on a stale view is refused (409) instead of wiping what they did not see."""

    revision: int = Field(ge=0)
