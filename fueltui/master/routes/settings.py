"""The Settings page: an environment's settings as the release declares them, their changes
(revisioned; locked fields refused after a deploy), and the admin password on request."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from fueltui.api.schema import EnvironmentRecord
from fueltui.api.settings import AdminPassword, SettingsGroupView, SettingsRecord, SettingsUpdate, SettingView
from fueltui.core.model import Release, Settings
from fueltui.core.rules import check_locked, check_settings
from fueltui.core.rules import errors as error_findings
from fueltui.core.settings import (
    SettingError,
    apply_changes,
    changed_keys,
    get_value,
    is_deployed,
    locked_keys,
    restriction,
)
from fueltui.master.deploy.payload import ensure_secrets
from fueltui.master.errors import Busy, Conflict, Invalid
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["settings"])


def settings_record(record: EnvironmentRecord, release: Release) -> SettingsRecord:
    env = record.environment
    locked = locked_keys(release, env)
    groups = [
        SettingsGroupView(
            id=group.id,
            label=group.label,
            description=group.description,
            fields=[
                SettingView(
                    key=f.key,
                    type=f.type,
                    label=f.label,
                    description=f.description,
                    value=_value(env.settings, f.key, f.default),
                    default=f.default,
                    choices=list(f.choices),
                    min=f.min,
                    max=f.max,
                    restricted=restriction(f, env.settings),
                    locked=f.key in locked,
                )
                for f in group.fields
            ],
        )
        for group in release.settings
    ]
    return SettingsRecord(
        environment=env.name,
        revision=record.revision,
        deployed=is_deployed(env),
        groups=groups,
        findings=check_settings(env.settings, release),
    )


def _value(settings: Settings, key: str, default: bool | int | str) -> bool | int | str:
    found = get_value(settings, key)
    return default if found is None else found


@router.get("/environments/{name}/settings", response_model=SettingsRecord, responses=errors(404))
async def get_settings(request: Request, name: str) -> SettingsRecord:
    store = master_of(request).store
    record = store.environment(name)
    return settings_record(record, store.release(record.environment.release))


@router.put("/environments/{name}/settings", response_model=SettingsRecord, responses=errors(404, 409, 422))
async def put_settings(request: Request, name: str, body: SettingsUpdate) -> SettingsRecord:
    master = master_of(request)
    store = master.store
    record = store.environment(name)
    env = record.environment
    release = store.release(env.release)
    if record.revision != body.revision:
        raise Conflict(
            f"environment {name!r} was changed by someone else (revision {record.revision}, you had "
            f"{body.revision}); reload the settings and try again",
            code="stale-revision",
        )
    try:
        new = apply_changes(release, env.settings, body.changes)
    except SettingError as exc:
        raise Invalid(str(exc), code=exc.code) from None
    locked = check_locked(env, release, new)
    if locked:
        raise Conflict("; ".join(f.message for f in locked), code="setting-locked", findings=locked)
    changed = {f"environment.settings.{key}" for key in changed_keys(release, env.settings, new)}
    refused = [f for f in error_findings(check_settings(new, release)) if f.path in changed]
    if refused:
        raise Invalid("; ".join(f.message for f in refused), code="settings-invalid", findings=refused)
    busy = master.tasks.active_for(name)
    if busy is not None:
        raise Busy(f"environment {name!r} runs task {busy.id}; its settings wait until it ends",
                   code="environment-busy")  # fmt: skip
    stored = store.update_environment(env.model_copy(update={"settings": new}), body.revision)
    return settings_record(stored, release)


@router.post(
    "/environments/{name}/settings/password",
    response_model=AdminPassword,
    responses=errors(404),
)
async def admin_password(request: Request, name: str) -> JSONResponse:
    """The generated password (created now when no deploy made it yet: it is never a default).
    A POST, not cached: it is asked for, not browsed to."""
    master = master_of(request)
    env = master.store.environment(name).environment
    secrets = ensure_secrets(master.state_dir, env.name)
    body = AdminPassword(environment=env.name, user=env.settings.access.user, password=secrets["admin"])
    return JSONResponse(body.model_dump(mode="json"), headers={"Cache-Control": "no-store"})
