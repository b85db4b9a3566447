"""Fuel's Actions tab: rename an environment (delete is `DELETE /environments/{name}`).

A rename carries the revision read (409 when stale) and is refused while a task of the
environment runs; the files the master keeps by the environment's name (its secrets, its
deploy's resume state) move with it, so a renamed cloud keeps its passwords."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request

from fueltui.api.envactions import EnvironmentRename
from fueltui.api.schema import EnvironmentRecord
from fueltui.master.deploy.payload import secrets_path
from fueltui.master.deploy.publictls import tls_files
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.errors import Busy, Conflict, check_name
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["environments"])


def _move(old: Path, new: Path) -> None:
    if old.exists():
        new.parent.mkdir(parents=True, exist_ok=True)
        old.replace(new)


@router.post("/environments/{name}/rename", response_model=EnvironmentRecord, responses=errors(404, 409, 422))
async def rename_environment(request: Request, name: str, body: EnvironmentRename) -> EnvironmentRecord:
    master = master_of(request)
    store = master.store
    store.environment(name)
    new_name = check_name(body.name.strip())
    if new_name == name:
        return store.environment(name)
    if any(r.environment.name == new_name for r in store.environments()):
        raise Conflict(f"an environment {new_name!r} already exists", code="environment-exists")
    busy = master.tasks.active_for(name)
    if busy is not None:
        raise Busy(
            f"environment {name!r} runs task {busy.id}; rename it when it ends", code="environment-busy"
        )
    record = store.rename_environment(name, new_name, body.revision)
    state = master.state_dir
    _move(secrets_path(state, name), secrets_path(state, new_name))
    for old, new in zip(tls_files(state, name), tls_files(state, new_name), strict=True):
        _move(old, new)  # Horizon's pair: a renamed cloud keeps its certificate
    _move(ResumeState.for_environment(state, name).path, ResumeState.for_environment(state, new_name).path)
    return record
