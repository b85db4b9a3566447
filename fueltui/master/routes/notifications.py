"""Notifications: the list (unread, or the latest with `all`), and marking them read."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from fueltui.api.notifications import MarkedRead, MarkRead, NotificationList
from fueltui.master.notifications import LIST_LIMIT, Notifications
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["notifications"])


@router.get("/notifications", response_model=NotificationList)
async def list_notifications(
    request: Request,
    all: bool = Query(default=False, description="read ones too"),
    limit: int = Query(default=LIST_LIMIT, ge=1, le=1000),
) -> NotificationList:
    return Notifications(master_of(request).store).listing(include_read=all, limit=limit)


@router.post("/notifications/read", response_model=MarkedRead, responses=errors(404, 422))
async def mark_read(request: Request, body: MarkRead) -> MarkedRead:
    return Notifications(master_of(request).store).mark_read(body.ids)
