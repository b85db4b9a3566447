"""A node's details on the wire: its record, its addresses per network (the environment's IP
allocation) and its history (the tasks that touched it, from the store)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from fueltui.api.schema import NodeRecord, TaskStatus, Wire


class NodeHistoryEntry(Wire):
    task_id: str
    kind: str
    env: str | None = None
    task_status: TaskStatus
    node_status: str  # the node's own outcome in that task
    message: str = ""
    created: datetime
    finished: datetime | None = None


class NodeDetails(Wire):
    record: NodeRecord
    addresses: dict[str, str] = Field(default_factory=dict)  # network -> "ip/prefix"
    history: list[NodeHistoryEntry] = Field(default_factory=list)  # oldest first
