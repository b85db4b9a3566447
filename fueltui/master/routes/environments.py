"""Releases, the master's boot options, environments, their findings, apply and export."""

from __future__ import annotations

import os

from fastapi import APIRouter, Query, Request, Response

from fueltui import __version__ as VERSION
from fueltui.api.schema import (
    ApplyRequest,
    ApplyResult,
    BootOptionsRecord,
    BootOptionsUpdate,
    EnvironmentCreate,
    EnvironmentRecord,
    EnvironmentUpdate,
    ExportResponse,
    FindingsResponse,
    MasterStatus,
)
from fueltui.core.environment import new_environment
from fueltui.core.model import Mode, Release
from fueltui.core.rules.settings import check_locked
from fueltui.master import applyexport, corerules
from fueltui.master.deploy.payload import forget_secrets
from fueltui.master.errors import Busy, Conflict, Invalid, check_name
from fueltui.master.routes.common import errors, master_of

router = APIRouter()


@router.get("/master", response_model=MasterStatus, tags=["master"])
async def master_status(request: Request) -> MasterStatus:
    master = master_of(request)
    return MasterStatus(
        version=VERSION,
        pid=os.getpid(),
        state_dir=str(master.state_dir),
        started=master.started,
        listen=master.listen,
        task_kinds=master.tasks.kinds(),
    )


@router.get("/releases", response_model=list[Release], tags=["releases"])
async def list_releases(request: Request) -> list[Release]:
    return master_of(request).store.releases()


@router.get("/releases/{release_id}", response_model=Release, responses=errors(404), tags=["releases"])
async def get_release(request: Request, release_id: str) -> Release:
    return master_of(request).store.release(release_id)


@router.get("/boot-options", response_model=BootOptionsRecord, tags=["master"])
async def get_boot_options(request: Request) -> BootOptionsRecord:
    return master_of(request).store.boot_options()


@router.put("/boot-options", response_model=BootOptionsRecord, responses=errors(409, 422), tags=["master"])
async def put_boot_options(request: Request, body: BootOptionsUpdate) -> BootOptionsRecord:
    found = corerules.errors(corerules.boot_findings(body.options))
    if found:
        raise Invalid("the boot options have errors", code="boot-options-invalid", findings=found)
    return master_of(request).store.set_boot_options(body.options, body.revision)


@router.get("/environments", response_model=list[EnvironmentRecord], tags=["environments"])
async def list_environments(request: Request) -> list[EnvironmentRecord]:
    return master_of(request).store.environments()


@router.post(
    "/environments",
    response_model=EnvironmentRecord,
    status_code=201,
    responses=errors(404, 409, 422),
    tags=["environments"],
)
async def create_environment(request: Request, body: EnvironmentCreate) -> EnvironmentRecord:
    store = master_of(request).store
    name = check_name(body.name)
    release = store.release(body.release) if body.release else store.releases()[0]
    mode = body.mode or (Mode.neutron_gre if Mode.neutron_gre in release.modes else next(iter(release.modes)))
    if mode not in release.modes:
        known = ", ".join(m.value for m in release.modes)
        raise Invalid(f"release {release.id} has no mode {mode.value} (it has {known})", code="unknown-mode")
    return store.create_environment(new_environment(name, release, mode, master=store.boot_options().options))


@router.get(
    "/environments/{name}", response_model=EnvironmentRecord, responses=errors(404), tags=["environments"]
)
async def get_environment(request: Request, name: str) -> EnvironmentRecord:
    return master_of(request).store.environment(name)


@router.put(
    "/environments/{name}",
    response_model=EnvironmentRecord,
    responses=errors(404, 409, 422),
    tags=["environments"],
)
async def put_environment(request: Request, name: str, body: EnvironmentUpdate) -> EnvironmentRecord:
    store = master_of(request).store
    if body.environment.name != name:
        raise Invalid(
            f"the body names environment {body.environment.name!r} but the path {name!r};"
            " renaming is not supported",
            code="name-mismatch",
        )
    current = store.environment(name).environment
    if body.environment.status != current.status:
        raise Invalid(
            f"status is the master's to set (it is {current.status.value}); send the status you read",
            code="status-read-only",
        )
    release = store.release(body.environment.release)
    if body.environment.mode not in release.modes:
        raise Invalid(f"release {release.id} has no mode {body.environment.mode.value}", code="unknown-mode")
    locked = check_locked(current, release, body.environment.settings)
    if locked:
        raise Conflict("; ".join(f.message for f in locked), code="setting-locked", findings=locked)
    busy = master_of(request).tasks.active_for(name)
    if busy is not None:
        raise Busy(
            f"environment {name!r} runs task {busy.id}; its settings wait until it ends",
            code="environment-busy",
        )
    return store.update_environment(body.environment, body.revision)


@router.delete("/environments/{name}", status_code=204, responses=errors(404, 409), tags=["environments"])
async def delete_environment(
    request: Request, name: str, revision: int | None = Query(default=None, ge=0)
) -> Response:
    master = master_of(request)
    store = master.store
    store.environment(name)
    busy = master.tasks.active_for(name)
    if busy is not None:
        raise Busy(f"environment {name!r} runs task {busy.id}; stop it first", code="environment-busy")
    store.delete_environment(name, revision)
    forget_secrets(master.state_dir, name)  # a new environment of that name gets new passwords
    return Response(status_code=204)


@router.get(
    "/environments/{name}/findings",
    response_model=FindingsResponse,
    responses=errors(404),
    tags=["environments"],
)
async def environment_findings(request: Request, name: str) -> FindingsResponse:
    store = master_of(request).store
    env = store.environment(name).environment
    release = store.release(env.release)
    nodes = [r.node for r in store.nodes(environment=name)]
    return FindingsResponse(findings=corerules.environment_findings(env, release, nodes))


@router.get(
    "/environments/{name}/export", response_model=ExportResponse, responses=errors(404), tags=["environments"]
)
async def export_environment(request: Request, name: str) -> ExportResponse:
    return ExportResponse(answers=applyexport.export(master_of(request).store, name))


@router.post("/apply", response_model=ApplyResult, responses=errors(404, 409, 422), tags=["environments"])
async def apply_answers(request: Request, body: ApplyRequest) -> ApplyResult:
    master = master_of(request)
    return applyexport.apply(
        master.store,
        body.answers,
        body.source,
        dry_run=body.dry_run,
        busy=master.tasks.active_for,
        revision=body.revision,
    )
