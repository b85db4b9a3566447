"""`POST /environments/{name}/reset`: the environment's nodes back to the bootstrap, disks
wiped, deploy state cleared (task kind `reset`, see fueltui.master.pxe.reset)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fueltui.api.reset import ResetRequest
from fueltui.api.schema import TaskRecord
from fueltui.master.errors import Conflict
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["actions"])


@router.post(
    "/environments/{name}/reset", response_model=TaskRecord, status_code=202, responses=errors(404, 409, 422)
)
async def reset(request: Request, name: str, body: ResetRequest) -> TaskRecord:
    master = master_of(request)
    current = master.store.environment(name)
    if current.revision != body.revision:
        raise Conflict(
            f"environment {name!r} changed since it was read (revision {body.revision}, now "
            f"{current.revision}); look at it again before resetting it",
            code="stale-revision",
        )
    return await master.tasks.start("reset", name, {})
