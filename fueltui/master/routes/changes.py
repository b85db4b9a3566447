"""Deploy Changes: what the next deploy of an environment would do."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fueltui.api.changes import PendingChanges
from fueltui.master.deploy.changes import pending_changes
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["environments"])


@router.get("/environments/{name}/changes", response_model=PendingChanges, responses=errors(404))
async def environment_changes(request: Request, name: str) -> PendingChanges:
    return pending_changes(master_of(request).store, name)
