"""What the routes share: the master of the request, error responses for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from fueltui.api.schema import ErrorBody
from fueltui.master.app import Master


def master_of(request: Request) -> Master:
    master: Master = request.app.state.master
    return master


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}
