"""The Settings page on the wire: the release's fields with the environment's values, and the
writes that change them (with the environment revision they read: a stale one gets 409)."""

from __future__ import annotations

from pydantic import Field

from fueltui.api.schema import Wire
from fueltui.core.model import Finding, SettingType

SettingValue = bool | int | str


class SettingView(Wire):
    key: str  # dotted, e.g. "common.debug"
    type: SettingType
    label: str
    description: str = ""
    value: SettingValue
    default: SettingValue
    choices: list[str] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    restricted: str | None = None  # why the field must keep its default
    locked: bool = False  # locked after a deploy, and the environment was deployed


class SettingsGroupView(Wire):
    id: str
    label: str
    description: str = ""
    fields: list[SettingView]


class SettingsRecord(Wire):
    environment: str
    revision: int = Field(ge=0)  # the environment's revision: send it back with a change
    deployed: bool
    groups: list[SettingsGroupView]
    findings: list[Finding] = Field(default_factory=list)

    def field(self, key: str) -> SettingView | None:
        return next((f for g in self.groups for f in g.fields if f.key == key), None)


class SettingsUpdate(Wire):
    """Values to change, by key (text is parsed like the CLI's `--set`)."""

    revision: int = Field(ge=0)
    changes: dict[str, SettingValue] = Field(min_length=1, max_length=64)


class AdminPassword(Wire):
    """The cloud administrator's generated password: only on request, never logged."""

    environment: str
    user: str
    password: str
