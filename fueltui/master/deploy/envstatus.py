"""An environment as a whole, after a deployment that may have touched only some of its nodes.

`--nodes` deploys a subset; the environment's status must still say what every node is
(one node left in `error` by an earlier run keeps the environment in `error`), the task
record must list every node so that clients show them all, and Retry must find the
nodes still in error even when the last deployment itself succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fueltui.core.model import EnvStatus, Node, NodeStatus
from fueltui.master.store import Store

NOT_PART = "not part of this deployment"


def derive_env_status(statuses: Iterable[NodeStatus | str]) -> EnvStatus:
    """The environment's status from its deployable nodes' (those with roles)."""
    seen = [NodeStatus(s) for s in statuses]
    if not seen:
        return EnvStatus.new
    if NodeStatus.error in seen:
        return EnvStatus.error
    if NodeStatus.deploying in seen:
        return EnvStatus.deploying
    if all(s == NodeStatus.ready for s in seen):
        return EnvStatus.operational
    if NodeStatus.ready in seen:
        return EnvStatus.stopped  # partly deployed: the next deploy finishes it
    return EnvStatus.new


def env_status_now(store: Store, env_name: str) -> EnvStatus:
    return derive_env_status(r.node.status for r in store.nodes(env_name) if r.node.roles)


def bystanders(nodes: Iterable[Node], targets: Iterable[Node]) -> dict[str, dict[str, object]]:
    """Task-record lines for the environment's nodes this deployment does not touch: their
    stored status, so a client showing the deployment shows every node."""
    touched = {n.mac for n in targets}
    lines: dict[str, dict[str, object]] = {}
    for node in nodes:
        if node.mac in touched or not node.roles:
            continue
        status = node.status.value
        reason = f": {node.error}" if node.status == NodeStatus.error and node.error else ""
        lines[node.mac] = {
            "status": status,
            "progress": 100 if node.status == NodeStatus.ready else 0,
            "task": "",
            "message": f"{NOT_PART} ({status}{reason})",
        }
    return lines


def bystander_results(nodes: Iterable[Node], targets: Iterable[Node]) -> dict[str, dict[str, object]]:
    """The same nodes as entries of the deploy result's `nodes` (`part: false`)."""
    by_mac = {n.mac: n for n in nodes}
    return {
        mac: {
            "name": by_mac[mac].name,
            "status": line["status"],
            "message": line["message"],
            "tasks": 0,
            "done": 0,
            "skipped": 0,
            "failed_task": None,
            "health_skipped": [],
            "part": False,
        }
        for mac, line in bystanders(nodes, targets).items()
    }


def nodes_in_error(store: Store, env_name: str) -> list[str]:
    return [r.node.mac for r in store.nodes(env_name) if r.node.roles and r.node.status == NodeStatus.error]


def retry_params(store: Store, env_name: str, last_params: Mapping[str, object]) -> dict[str, object] | None:
    """Params of a deploy that retries the nodes still in error after a deployment that
    itself succeeded (a `--nodes` run of other nodes, say); None when there is none.
    It resumes: what already succeeded on those nodes (and still checks out) is skipped."""
    macs = nodes_in_error(store, env_name)
    if not macs:
        return None
    return {"nodes": macs, "skip_verify": bool(last_params.get("skip_verify")), "resume": True}
