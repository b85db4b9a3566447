"""Environment actions that start or stop tasks of the plug-in kinds (deploy, verify, discover).

The handlers belong to their parts; these routes only start them through the task framework.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from fueltui.api.schema import (
    DeployRequest,
    DiscoverRequest,
    StopRequest,
    TaskRecord,
    TaskStatus,
    VerifyRequest,
)
from fueltui.master.deploy.changes import changes_params
from fueltui.master.deploy.envstatus import retry_params
from fueltui.master.errors import Busy, NotFound
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["actions"])


@router.post(
    "/environments/{name}/deploy", response_model=TaskRecord, status_code=202, responses=errors(404, 409, 422)
)
async def deploy(request: Request, name: str, body: DeployRequest) -> TaskRecord:
    params: dict[str, object] = {"nodes": body.nodes, "skip_verify": body.skip_verify}
    master = master_of(request)
    if not body.nodes and not body.force:
        params.update(changes_params(master.store, name))
    return await master.tasks.start("deploy", name, params)


@router.post("/environments/{name}/stop", response_model=TaskRecord, responses=errors(404))
async def stop(request: Request, name: str, body: StopRequest) -> TaskRecord:
    return await master_of(request).tasks.stop_env(name, body.now)


@router.post(
    "/environments/{name}/retry", response_model=TaskRecord, status_code=202, responses=errors(404, 409)
)
async def retry(request: Request, name: str) -> TaskRecord:
    """Resume the environment's last deploy that did not finish (stopped, failed, interrupted)."""
    master = master_of(request)
    master.store.environment(name)
    deploys = [t for t in master.store.tasks(name) if t.kind == "deploy"]
    if not deploys:
        raise NotFound(f"environment {name!r} has no deploy to retry", code="no-task")
    last = deploys[-1]
    if last.status == TaskStatus.done:
        # The last deploy may have covered other nodes (`--nodes`): retry those still in error.
        params = retry_params(master.store, name, last.params)
        if params is None:
            raise Busy(
                f"the last deploy of {name!r} ({last.id}) succeeded and no node is in error; "
                "nothing to retry",
                code="task-done",
            )
        return await master.tasks.start("deploy", name, params)
    return await master.tasks.resume(last.id)


@router.post(
    "/environments/{name}/verify", response_model=TaskRecord, status_code=202, responses=errors(404, 409, 422)
)
async def verify(request: Request, name: str, body: VerifyRequest | None = None) -> TaskRecord:
    params: dict[str, object] = {"nodes": body.nodes if body else None}
    return await master_of(request).tasks.start("verify", name, params)


@router.post("/discover", response_model=TaskRecord, status_code=202, responses=errors(404, 409, 422))
async def discover(request: Request, body: DiscoverRequest) -> TaskRecord:
    return await master_of(request).tasks.start("discover", None, {"targets": list(body.targets)})
