"""The deploy gate: no deploy on networks nobody verified.

A verification records the signature of the network settings and NIC assignments it
verified (`fueltui.core.verifyplan.network_signature`). Deploy is refused while the current
signature differs from the last successful verification's, unless the operator skips the
check explicitly — the deploy records that it did.
"""

from __future__ import annotations

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import VERIFY
from fueltui.core.model import Finding
from fueltui.core.verifyplan import network_signature
from fueltui.master.store import Store

CODE = "network-not-verified"


def last_good_verification(store: Store, env_name: str) -> TaskRecord | None:
    good = [
        t
        for t in store.tasks(env_name)
        if t.kind == VERIFY.name and t.status == TaskStatus.done and VERIFY.result_of(t).ok
    ]
    return good[-1] if good else None


def current_signature(store: Store, env_name: str) -> str:
    env = store.environment(env_name).environment
    return network_signature(env, [r.node for r in store.nodes(env_name)])


def verification_findings(store: Store, env_name: str, skip_verify: bool = False) -> list[Finding]:
    """Why deploy must wait for a verification; empty when it may go (or is told to skip)."""
    if skip_verify:
        return []
    last = last_good_verification(store, env_name)
    if last is not None and VERIFY.result_of(last).signature == current_signature(store, env_name):
        return []
    if last is None:
        message = (
            f"the networks of {env_name!r} were never verified successfully: run `fueltui verify "
            f"{env_name}` and fix what it reports, or deploy with --skip-verify"
        )
    else:
        when = last.finished.strftime("%Y-%m-%d %H:%M") if last.finished else last.id
        message = (
            f"network settings or NIC assignments of {env_name!r} changed since the last successful "
            f"verification ({last.id}, {when}): verify again, or deploy with --skip-verify"
        )
    return [Finding(code=CODE, path="environment.networks", message=message)]


def skip_note(store: Store, env_name: str) -> str | None:
    """What a deploy run with --skip-verify records in its history (None when nothing was skipped)."""
    if not verification_findings(store, env_name):
        return None
    last = last_good_verification(store, env_name)
    since = f"last successful verification {last.id}" if last else "never verified"
    return f"deployed with --skip-verify: networks not verified in this configuration ({since})"
