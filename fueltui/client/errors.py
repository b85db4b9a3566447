"""Errors of the master's client: one exception carrying the API's `{code, message, findings}`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the TUI imports this before its first frame, pydantic after
    from fueltui.core.model import Finding


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, findings: list[Finding] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.findings: list[Finding] = list(findings or [])

    def __str__(self) -> str:
        return self.message


class ConflictError(ApiError):
    """409: someone else changed the object (reload and retry), or the name is taken."""


class NotFoundError(ApiError):
    """404: no such environment, node, task, release."""


class MasterUnavailable(ApiError):
    """No master answers (and none could be started)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "master-unavailable", message)
