"""Pre-deploy checks: reasons to refuse a deployment before touching any node.

Each check is a function of a `PredeployContext` returning findings; any `error` finding
refuses the deploy. The gates are listed here, in order: a new one is a function and a line
in `PREDEPLOY_CHECKS` (the network verification gate, from `fueltui.master.verify.gate`, is
one: "verified with these settings, or `--skip-verify`").
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fueltui.core.environment import ADMIN, effective_network
from fueltui.core.model import Environment, Finding, Node, Release, Severity
from fueltui.master.store import Store

# The lab's master runs with these set; the lab's kernel has no 802.1Q, so tagged
# networks go on bare NICs there (the netplan file still renders them tagged).
LAB_MARKERS = ("FUELTUI_LAB", "FUELTUI_DEPLOY_UNTAGGED")
LAB_BOOT_ENV = "FUELTUI_LAB_BOOT_OPTIONS"  # set only for the lab's master (see lab.py)


def deploy_untagged(params: Mapping[str, object]) -> bool:
    """Tagged networks go on bare NICs: asked for (`untagged`), or the lab's master."""
    return (
        bool(params.get("untagged"))
        or any(os.environ.get(v) == "1" for v in LAB_MARKERS)
        or bool(os.environ.get(LAB_BOOT_ENV))
    )


@dataclass
class PredeployContext:
    store: Store
    env: Environment
    release: Release
    nodes: list[Node]  # every node of the environment
    targets: list[Node]  # the nodes this deployment works on
    params: dict[str, object] = field(default_factory=dict)

    @property
    def skip_verify(self) -> bool:
        return bool(self.params.get("skip_verify"))


PredeployCheck = Callable[[PredeployContext], list[Finding]]


def environment_valid(ctx: PredeployContext) -> list[Finding]:
    from fueltui.core.rules import check_environment

    return [f for f in check_environment(ctx.env, ctx.release, ctx.nodes) if f.severity == Severity.error]


def nodes_reachable(ctx: PredeployContext) -> list[Finding]:
    findings: list[Finding] = []
    for node in ctx.targets:
        path = f"nodes.{node.name}"
        if node.untrusted:
            findings.append(
                Finding(
                    code="node-untrusted",
                    path=path,
                    message=f"{node.name} ({node.mac}) offered a changed SSH host key; "
                    "accept the new key or fix the node",
                )
            )
        elif not node.online:
            findings.append(
                Finding(code="node-offline", path=path, message=f"{node.name} ({node.mac}) is offline")
            )
        elif not node.ip:
            findings.append(
                Finding(
                    code="node-no-address",
                    path=path,
                    message=f"{node.name} ({node.mac}) has no admin address",
                )
            )
        if not node.roles:
            findings.append(Finding(code="node-no-roles", path=path, message=f"{node.name} has no role"))
    return findings


def has_controller(ctx: PredeployContext) -> list[Finding]:
    if any("controller" in node.roles for node in ctx.nodes):
        return []
    return [
        Finding(
            code="no-controller",
            path="nodes",
            message=f"environment {ctx.env.name} has no controller; assign the controller role to a node",
        )
    ]


def has_nodes(ctx: PredeployContext) -> list[Finding]:
    if ctx.targets:
        return []
    return [Finding(code="no-nodes", path="nodes", message="there is no node to deploy")]


def vlans_possible(ctx: PredeployContext) -> list[Finding]:
    """A node whose kernel cannot make 802.1Q devices (discovery's `can_vlan`) cannot carry
    a tagged network: say so now, not half-way through its network task."""
    if deploy_untagged(ctx.params):
        return []
    findings: list[Finding] = []
    for node in ctx.targets:
        if node.facts.can_vlan is not False:
            continue
        tagged = []
        for nic, networks in sorted(node.interfaces.items()):
            for network in networks:
                vlan = None if network == ADMIN else effective_network(ctx.env, ctx.release, network).vlan
                if vlan is not None:
                    tagged.append(f"{network} (VLAN {vlan}) on {nic}")
        if tagged:
            findings.append(
                Finding(
                    code="node-no-vlan",
                    path=f"nodes.{node.name}.interfaces",
                    message=f"{node.name} cannot create 802.1Q VLAN devices (its kernel has no 8021q) "
                    f"but carries tagged networks: {', '.join(tagged)}; untag them or give the node "
                    "a kernel with 8021q",
                )
            )
    return findings


def bonds_possible(ctx: PredeployContext) -> list[Finding]:
    """A node whose kernel cannot bond (discovery's `can_bond`) gets no bond: said now."""
    from fueltui.core.rules.bonds import check_bond_capability

    return [finding for node in ctx.targets for finding in check_bond_capability(node)]


def networks_verified(ctx: PredeployContext) -> list[Finding]:
    """The verification gate (`fueltui.master.verify.gate`): verified as configured, or skipped."""
    from fueltui.master.verify.gate import verification_findings

    return verification_findings(ctx.store, ctx.env.name, ctx.skip_verify)


def mirror_synced(ctx: PredeployContext) -> list[Finding]:
    from fueltui.master.deploy.payload import payload_findings, tls_findings

    return payload_findings(ctx.release) + tls_findings(ctx.env, ctx.release, ctx.nodes)


PREDEPLOY_CHECKS: tuple[PredeployCheck, ...] = (
    has_nodes,
    environment_valid,
    nodes_reachable,
    vlans_possible,
    bonds_possible,
    has_controller,
    mirror_synced,
    networks_verified,
)


def predeploy_findings(ctx: PredeployContext) -> list[Finding]:
    findings: list[Finding] = []
    for check in PREDEPLOY_CHECKS:
        findings.extend(f for f in check(ctx) if f.severity == Severity.error)
    return findings
