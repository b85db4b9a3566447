"""Environment actions on the wire (Fuel's Actions tab): rename, with the revision read."""

from __future__ import annotations

from pydantic import Field

from fueltui.api.schema import Wire


class EnvironmentRename(Wire):
    name: str = Field(min_length=1, max_length=64)  # the new name
    revision: int = Field(ge=0)
