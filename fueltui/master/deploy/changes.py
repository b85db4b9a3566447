"""Deploy Changes: what the next deploy of an environment has to do, and what the last did.

The master keeps, per environment, what it last deployed (table `deployed`): for each node
its name, roles and config hash (`core.nodeconfig.config_hash` of the node's rendered
configuration, payload aside: the payload derives from the environment and the nodes), and
hashes of the environment's settings and networks at the last deploy that succeeded as a
whole. The pending changes are the difference between that and what the nodes and the
environment would render now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, Field

from fueltui.api.changes import NodeAction, NodeChange, PendingChanges
from fueltui.core.model import Environment, Node, NodeStatus, Release
from fueltui.core.nodeconfig import config_hash, node_configs
from fueltui.master.deploy.checks import deploy_untagged
from fueltui.master.store import Store


class DeployedNode(BaseModel):
    name: str
    roles: list[str]
    config: str


class Deployed(BaseModel):
    """What the master last deployed in one environment."""

    settings: str | None = None  # set by a deploy that succeeded as a whole
    networks: str | None = None
    nodes: dict[str, DeployedNode] = Field(default_factory=dict)


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def settings_hash(env: Environment) -> str:
    return _digest(env.settings.model_dump(mode="json"))


def networks_hash(env: Environment) -> str:
    return _digest(
        {
            "mode": env.mode.value,
            "networks": {k: v.model_dump(mode="json") for k, v in env.networks.items()},
            "neutron": env.neutron.model_dump(mode="json") if env.neutron else None,
            "nova_network": env.nova_network.model_dump(mode="json") if env.nova_network else None,
        }
    )


def deployable(nodes: Iterable[Node]) -> list[Node]:
    """The environment's members a deploy configures: with roles, not pending deletion."""
    return [n for n in nodes if n.roles and not n.pending_deletion]


def node_hashes(env: Environment, release: Release, nodes: Iterable[Node]) -> dict[str, str]:
    """Each member's config hash, rendered as a deploy would (the lab's untagged networks too)."""
    members = deployable(nodes)
    if not members:
        return {}
    configs = node_configs(env, release, members, apply_vlans=not deploy_untagged({}))
    return {mac: config_hash(cfg) for mac, cfg in configs.items()}


def _role_diff(before: list[str], after: list[str]) -> str:
    added = [f"+{r}" for r in after if r not in before]
    removed = [f"-{r}" for r in before if r not in after]
    return "roles changed: " + " ".join(added + removed)


def compute_changes(
    env: Environment, nodes: Iterable[Node], hashes: Mapping[str, str], deployed: Deployed
) -> PendingChanges:
    """The pending changes of `env` (pure: every input given). `nodes`: the environment's."""
    changes: list[NodeChange] = []
    for node in sorted(nodes, key=lambda n: (n.name, n.mac)):
        last = deployed.nodes.get(node.mac)
        if node.pending_deletion:
            reason_text = "removed from the environment"
            changes.append(NodeChange(mac=node.mac, name=node.name, action="remove", reason=reason_text))
            continue
        if not node.roles:
            continue
        reason: str | None = None
        action: NodeAction = "redeploy"
        if last is None:
            if node.status == NodeStatus.ready:
                reason = "no record of what was deployed on it"
            else:
                action, reason = "add", "not deployed yet"
        elif node.status != NodeStatus.ready:
            reason = f"it is {node.status.value}" + (f": {node.error}" if node.error else "")
        elif sorted(last.roles) != sorted(node.roles):
            reason = _role_diff(last.roles, node.roles)
        elif last.config != hashes.get(node.mac):
            reason = "its configuration changed"
        if reason is not None:
            changes.append(
                NodeChange(mac=node.mac, name=node.name, action=action, reason=reason[:200], roles=node.roles)
            )
    return PendingChanges(
        environment=env.name,
        nodes=changes,
        settings_changed=deployed.settings is not None and deployed.settings != settings_hash(env),
        networks_changed=deployed.networks is not None and deployed.networks != networks_hash(env),
        deployed_before=deployed.settings is not None,
    )


# --------------------------------------------------------------------------- the store


def load_deployed(store: Store, env_name: str) -> Deployed:
    with store.transaction() as db:
        row = db.execute("SELECT data FROM deployed WHERE env = ?", (env_name,)).fetchone()
    return Deployed.model_validate_json(row[0]) if row else Deployed()


def _save(store: Store, env_name: str, deployed: Deployed) -> None:
    with store.transaction() as db:
        data = deployed.model_dump_json()
        db.execute("INSERT OR REPLACE INTO deployed (env, data) VALUES (?, ?)", (env_name, data))


def pending_changes(store: Store, env_name: str) -> PendingChanges:
    env = store.environment(env_name).environment
    release = store.release(env.release)
    nodes = [r.node for r in store.nodes(env_name)]
    return compute_changes(env, nodes, node_hashes(env, release, nodes), load_deployed(store, env_name))


def record_deployed(
    store: Store,
    env: Environment,
    release: Release,
    members: list[Node],
    ready: Iterable[str],
    whole: bool,
) -> None:
    """After a deploy: the nodes that ended ready are deployed as they are now; `whole` (every
    node ready, the health checks passed) also records the settings and networks."""
    deployed = load_deployed(store, env.name)
    hashes = node_hashes(env, release, members)
    by_mac = {n.mac: n for n in members}
    for mac in ready:
        node = by_mac.get(mac)
        if node is not None and mac in hashes:
            deployed.nodes[mac] = DeployedNode(name=node.name, roles=list(node.roles), config=hashes[mac])
    deployed.nodes = {mac: d for mac, d in deployed.nodes.items() if mac in by_mac}
    if whole:
        deployed.settings, deployed.networks = settings_hash(env), networks_hash(env)
    _save(store, env.name, deployed)


def forget_node(store: Store, env_name: str, mac: str) -> None:
    deployed = load_deployed(store, env_name)
    if deployed.nodes.pop(mac, None) is not None:
        _save(store, env_name, deployed)


def forget_environment(store: Store, env_name: str) -> None:
    """Nothing deployed any more (the environment was reset): everything is pending again."""
    with store.transaction() as db:
        db.execute("DELETE FROM deployed WHERE env = ?", (env_name,))


def changes_params(store: Store, env_name: str) -> dict[str, object]:
    """A deploy's params that do exactly the pending changes: the nodes to add and redeploy,
    resumed (a task that succeeded with this configuration and still checks out is skipped);
    all nodes when settings or networks changed (or only removals are pending: the others'
    configuration lost a peer). Nothing pending: `Busy` with `nothing-to-deploy`."""
    from fueltui.master.errors import Busy

    plan = pending_changes(store, env_name)
    if plan.empty:
        raise Busy(
            f"nothing to deploy: environment {env_name!r} has no pending changes"
            " (--force redeploys it anyway)",
            code="nothing-to-deploy",
        )
    targets = [c.mac for c in plan.nodes if c.action != "remove"]
    if plan.settings_changed or plan.networks_changed or not targets:
        return {"resume": True}
    return {"nodes": targets, "resume": True}
