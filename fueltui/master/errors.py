"""Errors the master raises with a stable code; the API turns each into `ErrorBody`."""

from __future__ import annotations

from fueltui.core.model import Finding
from fueltui.core.rules.names import check_environment_name, shown


class MasterError(Exception):
    status = 400
    code = "bad-request"

    def __init__(self, message: str, *, code: str | None = None, findings: list[Finding] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.findings = findings


class NotFound(MasterError):
    status = 404
    code = "not-found"


class Conflict(MasterError):
    """A write based on a stale revision, or a name already taken."""

    status = 409
    code = "conflict"


class Invalid(MasterError):
    """The request is well-formed but the rules refuse it (findings say why)."""

    status = 422
    code = "invalid"


class Busy(MasterError):
    status = 409
    code = "busy"


def check_name(name: str, what: str = "environment") -> str:
    """The core's name rule (the one `fueltui check` applies), raised as the API's error."""
    found = check_environment_name(name)
    if found:
        raise Invalid(
            f"{what} name {shown(name)} is not allowed: use letters, digits, '.', '_' or '-' (at most 64)",
            code="invalid-name",
            findings=found,
        )
    return name
