"""The cloud an environment's deploy built: its addresses, an admin openrc, the health check.

The openrc carries the admin password: it is served only to the master's owner (the unix
socket, or TCP with the token), never logged, never in an export.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from fueltui.api.schema import CloudAccess, ErrorBody, HealthRequest, TaskRecord
from fueltui.core.model import EnvStatus
from fueltui.core.payload.data import PayloadData
from fueltui.core.payload.services import openrc
from fueltui.master.deploy.payload import cloud_payload
from fueltui.master.errors import NotFound
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["cloud"])
ERROR_SCHEMA = f"#/components/schemas/{ErrorBody.__name__}"


def _payload(request: Request, name: str) -> tuple[PayloadData, bool]:
    master = master_of(request)
    env = master.store.environment(name).environment
    release = master.store.release(env.release)
    members = [r.node for r in master.store.nodes(name) if r.node.roles]
    boot = master.store.boot_options().options
    data = cloud_payload(master.state_dir, env, release, members, boot.ip if boot else None)
    if data is None:
        raise NotFound(f"environment {name!r} has no cloud yet: deploy it first", code="no-cloud")
    return data, env.status == EnvStatus.operational


@router.get("/environments/{name}/cloud", response_model=CloudAccess, responses=errors(404))
async def cloud(request: Request, name: str) -> CloudAccess:
    data, deployed = _payload(request, name)
    return CloudAccess(
        horizon_url=data.horizon_url,
        keystone_url=data.keystone_public,
        admin_user=data.admin_user,
        admin_project=data.admin_project,
        region=data.region,
        deployed=deployed,
    )


@router.get(
    "/environments/{name}/openrc",
    response_class=PlainTextResponse,
    # The errors are JSON like every error of the API, whatever the success's media type.
    responses={
        404: {
            "description": "Not Found",
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}}
            },
        }
    },
)
async def admin_openrc(request: Request, name: str) -> PlainTextResponse:
    data, _deployed = _payload(request, name)
    text = f"# The admin of environment {name}'s cloud (keep it private: it holds the password).\n"
    return PlainTextResponse(text + openrc(data, data.keystone_public), headers={"Cache-Control": "no-store"})


@router.post(
    "/environments/{name}/health", response_model=TaskRecord, status_code=202, responses=errors(404, 409, 422)
)
async def health(request: Request, name: str, body: HealthRequest | None = None) -> TaskRecord:
    params: dict[str, object] = {"groups": list(body.groups) if body and body.groups else None}
    return await master_of(request).tasks.start("health", name, params)
