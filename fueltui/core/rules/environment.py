"""Whole-environment validation: every rule over a stored environment or an answers file.

`check_environment` is what the master runs on a stored environment; `check_answers` is what
`fueltui check` runs on an answers file, offline. They live apart from the package's
`__init__` so that a caller wanting one rule module (discovery wants only `rules.names`) does
not import every rule, `core.answers` (yaml) and `core.ipalloc`.
"""

from __future__ import annotations

from collections.abc import Sequence

from fueltui.core.answers import Answers, AnswersNode, disks_from_answers
from fueltui.core.bonds import fold_into_bonds
from fueltui.core.environment import ADMIN, environment_from_answers, networks_for_node
from fueltui.core.ipalloc import allocate
from fueltui.core.model import Environment, Finding, Node, NodeFacts, Release, Severity
from fueltui.core.nicdefaults import default_interfaces
from fueltui.core.releases import default_release, get_release, shipped_releases
from fueltui.core.rules.bootopts import check_boot_options
from fueltui.core.rules.disks import check_disks
from fueltui.core.rules.interfaces import check_interfaces, check_nodes
from fueltui.core.rules.names import check_environment_name
from fueltui.core.rules.networks import check_networks
from fueltui.core.rules.roles import check_roles
from fueltui.core.rules.settings import check_settings


def errors(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.error]


def warnings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.warning]


def check_mode(env: Environment, release: Release) -> list[Finding]:
    """A mode the release cannot deploy (nova-network in an Epoxy release) is an error, while
    every other rule still runs on its networks: a Fuel-era file gets its full diagnosis."""
    meta = release.modes.get(env.mode)
    if meta is None or not meta.unavailable:
        return []
    return [
        Finding(
            code="mode-unavailable",
            path="mode",
            message=f"{release.name} cannot deploy {env.mode.value}: {meta.unavailable}",
            severity=Severity.error,
        )
    ]


def check_environment(env: Environment, release: Release, nodes: Sequence[Node]) -> list[Finding]:
    """Networks, roles, every node's interfaces (nodes with neither NICs nor an assignment are
    skipped: nothing is known yet), the node list, and IP capacity. Node paths are `nodes[i]`
    with i the position in `nodes`."""
    findings = check_environment_name(env.name)
    findings += check_networks(env, release)
    findings += check_mode(env, release)
    findings += check_roles(env, release, nodes)
    findings += check_settings(env.settings, release)
    for i, node in enumerate(nodes):
        if node.interfaces or node.facts.nics:
            findings += check_interfaces(node, env, release, path=f"nodes[{i}]")
        findings += check_disks(node, release, path=f"nodes[{i}]")
    findings += check_nodes(nodes)
    findings += allocate(env, release, nodes).findings
    return findings


def node_from_answers(spec: AnswersNode) -> Node:
    """A node as an answers file describes it (no interfaces yet when the file gives none)."""
    return Node(
        mac=spec.mac,
        name=spec.name or "",
        roles=list(spec.roles),
        facts=NodeFacts(nics=list(spec.nics or [])),
        interfaces=dict(spec.interfaces or {}),
        bonds=list(spec.bonds or []),
        mtu=dict(spec.mtu or {}),
        disks=disks_from_answers(spec),
    )


def check_answers(answers: Answers) -> list[Finding]:
    """Everything `fueltui check` reports about an answers file."""
    findings: list[Finding] = []
    if answers.master is not None:
        findings += check_boot_options(answers.master)
    nodes = [node_from_answers(spec) for spec in answers.nodes]
    findings += check_nodes(nodes, [spec.name is not None for spec in answers.nodes])
    spec = answers.environment
    if spec is None:
        return findings
    release = get_release(spec.release) if spec.release is not None else default_release()
    if release is None:
        known = ", ".join(shipped_releases())
        findings.append(
            Finding(
                code="release-unknown",
                path="environment.release",
                message=f"{spec.release!r} is not a shipped release; use one of {known}",
            )
        )
        return findings
    findings += check_environment_name(spec.name)
    env = environment_from_answers(spec, release, answers.master)
    findings += check_networks(env, release, check_admin=ADMIN in spec.networks)
    findings += check_mode(env, release)
    findings += check_roles(env, release, nodes)
    findings += check_settings(env.settings, release)
    for i, (node, given) in enumerate(zip(nodes, answers.nodes, strict=True)):
        if given.interfaces is None and given.nics:
            wanted = networks_for_node(env, release, node.roles)
            node.interfaces, notes = default_interfaces(list(given.nics), wanted, env, release)
            node.interfaces = fold_into_bonds(node.interfaces, node.bonds)
            findings += [f.model_copy(update={"path": f"nodes[{i}].{f.path}"}) for f in notes]
        if given.interfaces is not None or given.nics or given.bonds:
            findings += check_interfaces(node, env, release, path=f"nodes[{i}]")
        findings += check_disks(node, release, path=f"nodes[{i}]")
    findings += allocate(env, release, nodes).findings
    return findings
