"""Notifications: what happened while nobody watched (Fuel's bell), kept by the master.

`GET /notifications` (unread; `?all=true`: the latest, read or not), `POST /notifications/read`
(`ids`, or all of them); the event stream says `notification.added` / `notification.read`
with the unread count, so a badge needs no polling."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from fueltui.api.schema import Wire

Level = Literal["info", "warning", "error"]


class Notification(Wire):
    id: int
    created: datetime
    kind: str  # node.discovered, node.offline, deploy.done, deploy.failed, verify.*, health.*
    level: Level = "info"
    message: str
    env: str | None = None
    mac: str | None = None
    read: bool = False


class NotificationList(Wire):
    notifications: list[Notification] = Field(default_factory=list)  # newest first
    unread: int = 0


class MarkRead(Wire):
    ids: list[int] | None = Field(default=None, max_length=10_000)  # None: every unread one


class MarkedRead(Wire):
    marked: int
    unread: int
