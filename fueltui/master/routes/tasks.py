"""Tasks: list, one, start, stop, resume, and the task's own log."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from fueltui.api.schema import LogChunk, StopRequest, TaskRecord, TaskStart
from fueltui.master.logfiles import MAX_CHUNK, read_chunk
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["tasks"])


@router.get("/tasks", response_model=list[TaskRecord])
async def list_tasks(request: Request, env: str | None = None) -> list[TaskRecord]:
    return master_of(request).store.tasks(env)


@router.post("/tasks", response_model=TaskRecord, status_code=202, responses=errors(404, 409, 422))
async def start_task(request: Request, body: TaskStart) -> TaskRecord:
    return await master_of(request).tasks.start(body.kind, body.env, body.params)


@router.get("/tasks/{task_id}", response_model=TaskRecord, responses=errors(404))
async def get_task(request: Request, task_id: str) -> TaskRecord:
    return master_of(request).store.task(task_id)


@router.post("/tasks/{task_id}/stop", response_model=TaskRecord, responses=errors(404))
async def stop_task(request: Request, task_id: str, body: StopRequest) -> TaskRecord:
    return await master_of(request).tasks.stop(task_id, body.now)


@router.post(
    "/tasks/{task_id}/resume", response_model=TaskRecord, status_code=202, responses=errors(404, 409)
)
async def resume_task(request: Request, task_id: str) -> TaskRecord:
    return await master_of(request).tasks.resume(task_id)


@router.get("/tasks/{task_id}/logs", response_model=LogChunk, responses=errors(404))
async def task_log(
    request: Request,
    task_id: str,
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=MAX_CHUNK, ge=1, le=MAX_CHUNK),
    tail: int | None = Query(default=None, ge=0, le=MAX_CHUNK),
) -> LogChunk:
    master = master_of(request)
    record = master.store.task(task_id)
    return read_chunk(master.logs.task_path(record.id), offset, limit, tail)
