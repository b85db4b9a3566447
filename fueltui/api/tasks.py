"""The task kinds, each declared once: its parameters, its result, the events it emits.

The master plugs a handler in for a declaration on its task manager
(`tasks.register(VERIFY, handle_verify)`, the handler typed
`async def handle_verify(ctx: TaskContext[VerifyRequest]) -> VerifyResult`), refuses parameters
that do not fit (422) and a result that does not fit (the task ends in error); the clients read
a record's parameters and result through the same declaration (`VERIFY.result_of(record)` is a
`VerifyResult`). A record travels with plain JSON `params` and `result`; the declaration is what
gives them a type at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from fueltui.api.events import BaseEvent, TaskCreated, TaskFinished, TaskLog, TaskProgress
from fueltui.api.schema import (
    DeployRequest,
    DiscoverRequest,
    HealthRequest,
    TaskRecord,
    VerifyRequest,
    Wire,
)
from fueltui.core.verifyplan import Missing, VerifyPlan

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)

# Every task emits these (the task manager does, for whatever kind runs).
TASK_EVENTS: tuple[type[BaseEvent], ...] = (TaskCreated, TaskProgress, TaskLog, TaskFinished)


class Result(BaseModel):
    """A task's result. Unknown fields are ignored when read (a newer master may add some);
    the master itself refuses a handler's result with a field its declaration lacks."""

    model_config = ConfigDict(extra="ignore")


class NoParams(Wire):
    pass


class NoResult(Result):
    pass


# --------------------------------------------------------------------------- verify


class DhcpServerSeen(Result):
    address: str  # its server identifier, else the source address of its offer
    mac: str
    offered: str | None = None


class ProbeFailure(Result):
    failure: str | None = None
    nics: dict[str, str] = Field(default_factory=dict)  # NIC → why it could not listen or send

    def describe(self) -> str:
        parts = [self.failure] if self.failure else []
        if self.nics:
            parts.append("NICs: " + ", ".join(f"{nic} ({msg})" for nic, msg in sorted(self.nics.items())))
        return "; ".join(parts) or "unknown"


class VerifyResult(Result):
    ok: bool = False
    summary: str = ""
    missing: list[Missing] = Field(default_factory=list)
    dhcp: list[DhcpServerSeen] = Field(default_factory=list)
    dhcp_error: str | None = None
    signature: str | None = None  # set when every node of the environment was verified
    complete: bool = False
    plan: VerifyPlan = Field(default_factory=VerifyPlan)
    # node name → NIC → VLAN → the "peer/nic"s heard; None: not known (nothing is blamed on it)
    heard: dict[str, dict[str, dict[str, list[str]]]] | None = None
    skipped: dict[str, str] = Field(default_factory=dict)  # node name → why
    errors: dict[str, ProbeFailure] = Field(default_factory=dict)
    seconds: float | None = None
    probe_seconds: float | None = None


# --------------------------------------------------------------------------- health


class HealthTestResult(Result):
    id: str = ""
    name: str
    group: str = ""
    status: Literal["passed", "failed", "skipped"]
    duration: float = 0.0
    message: str = ""


class HealthResult(Result):
    tests: list[HealthTestResult] = Field(default_factory=list)
    passed: int = 0
    failed: int = 0
    ok: bool = False
    seconds: float | None = None
    error: str | None = None  # the check could not run


# --------------------------------------------------------------------------- deploy


class DeployParams(DeployRequest):
    resume: bool = False  # a retry: keep what already succeeded
    untagged: bool = False  # deploy without the environment's VLANs (lab runs)
    base_only: bool = False  # the base graph without the OpenStack payload (the VM tests: TCG is slow)


class NodeOutcome(Result):
    name: str
    status: str
    message: str = ""
    tasks: int = 0
    done: int = 0
    skipped: int = 0
    failed_task: str | None = None
    health_skipped: list[str] = Field(default_factory=list)
    blamed: list[str] = Field(default_factory=list)
    part: bool = True  # False: a node of the environment this deploy left alone


class DeployResult(Result):
    nodes: dict[str, NodeOutcome] = Field(default_factory=dict)
    ready: bool = False
    health: list[dict[str, JsonValue]] = Field(default_factory=list)  # the nodes' own health checks
    health_ok: bool = False
    halted: str | None = None
    stopped: bool = False
    skipped: int = 0
    ran: int = 0
    skip_verify: str | None = None  # why deploying unverified networks was allowed
    cloud_health: HealthResult | None = None


# --------------------------------------------------------------------------- discovery, provisioning


class DiscoverResult(Result):
    found: list[str] = Field(default_factory=list)  # MACs
    failed: dict[str, str] = Field(default_factory=dict)  # address → why


class NodeParams(Wire):
    node: str = Field(min_length=1, max_length=64)  # a MAC or a node's name


class AcceptResult(Result):
    accepted: str | None = None
    address: str | None = None


class ProvisionResult(Result):
    provisioned: str | None = None


class ResetOutcome(Result):
    name: str
    action: str  # reinstall | wipe | state-only | unreachable
    message: str = ""


class ResetResult(Result):
    nodes: dict[str, ResetOutcome] = Field(default_factory=dict)  # MAC → what was done
    failed: dict[str, str] = Field(default_factory=dict)  # MAC → why


# --------------------------------------------------------------------------- the declarations


class ResultMismatch(ValueError):
    """A handler's result does not fit its kind's declaration."""


@dataclass(frozen=True)
class TaskKind(Generic[P, R]):
    name: str
    params: type[P]
    result: type[R]
    events: tuple[type[BaseEvent], ...] = TASK_EVENTS

    def params_of(self, record: TaskRecord) -> P:
        return self.params.model_validate(record.params)

    def result_of(self, record: TaskRecord) -> R:
        """The record's result as this kind declares it (its defaults while there is none)."""
        return self.result.model_validate(record.result)

    def check_result(self, raw: BaseModel | dict[str, object]) -> dict[str, JsonValue]:
        """The handler's result as stored: validated, with no field the declaration lacks."""
        try:
            model = raw if isinstance(raw, self.result) else self.result.model_validate(raw)
        except ValidationError as exc:
            raise ResultMismatch(f"the {self.name} result does not fit its declaration: {exc}") from None
        if isinstance(raw, dict):
            extra = sorted(set(raw) - set(self.result.model_fields))
            if extra:
                raise ResultMismatch(f"the {self.name} result has undeclared fields: {', '.join(extra)}")
        dumped: dict[str, JsonValue] = model.model_dump(mode="json", exclude_unset=isinstance(raw, dict))
        return dumped


VERIFY = TaskKind("verify", VerifyRequest, VerifyResult)
DEPLOY = TaskKind("deploy", DeployParams, DeployResult)
HEALTH = TaskKind("health", HealthRequest, HealthResult)
DISCOVER = TaskKind("discover", DiscoverRequest, DiscoverResult)
ACCEPT = TaskKind("accept-host-key", NodeParams, AcceptResult)
PROVISION = TaskKind("provision", NodeParams, ProvisionResult)
RESET = TaskKind("reset", NoParams, ResetResult)

TASK_KINDS: dict[str, TaskKind[BaseModel, BaseModel]] = {
    kind.name: kind  # type: ignore[misc]
    for kind in (VERIFY, DEPLOY, HEALTH, DISCOVER, ACCEPT, PROVISION, RESET)
}
