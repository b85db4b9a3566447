"""Apply an answers file to the master's state, and export the state back as one.

Apply is all or nothing: the file is read (shape errors name file, line and field), the
resulting environment and nodes are judged by the core rules together, and only when no
finding is an error is everything written in one transaction. `apply(export(env))` changes
nothing: export writes every value out, and apply keeps what the file leaves unsaid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from fueltui.api.schema import ApplyResult
from fueltui.core.answers import (
    Answers,
    AnswersError,
    AnswersNode,
    disks_from_answers,
    dump_answers,
    load_answers,
)
from fueltui.core.bonds import fold_into_bonds
from fueltui.core.disks import normalized
from fueltui.core.environment import answers_from_environment, environment_from_answers, networks_for_node
from fueltui.core.model import Environment, Finding, Node, NodeFacts, Release, Severity
from fueltui.core.rules.settings import check_locked
from fueltui.master import corerules
from fueltui.master.errors import Busy, Conflict, Invalid, NotFound, check_name
from fueltui.master.store import Store


def export(store: Store, name: str) -> str:
    env = store.environment(name).environment
    release = store.release(env.release)
    nodes = [r.node for r in store.nodes(environment=name)]
    answers = answers_from_environment(env, release, nodes, master=store.boot_options().options)
    return dump_answers(answers)


_NODE_PATH = re.compile(r"^nodes\[(\d+)\](.*)$")


def _finding(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message, severity=Severity.error)


def apply(
    store: Store,
    text: str,
    source: str = "<answers>",
    dry_run: bool = False,
    busy: Callable[[str], object] | None = None,
    revision: int | None = None,
) -> ApplyResult:
    """`busy(env_name)` is truthy while a task runs on that environment: apply waits for it.
    `revision` is the environment's the caller read (a dry run answers it); a write to an
    existing environment without it, or with an older one, is refused (409)."""
    try:
        answers = load_answers(text, source)
    except AnswersError as exc:
        raise Invalid(str(exc), code="answers-invalid") from None
    findings: list[Finding] = []
    changes: list[str] = []
    boot = store.boot_options()
    master_opts = answers.master or boot.options
    if answers.master is not None and answers.master != boot.options:
        findings += corerules.boot_findings(answers.master)
        changes.append("master boot options")

    env: Environment | None = None
    env_revision: int | None = None
    release: Release | None = None
    if answers.environment is not None:
        spec = answers.environment
        check_name(spec.name)
        if busy is not None and busy(spec.name):
            raise Busy(
                f"environment {spec.name!r} runs a task; stop it or let it finish before applying",
                code="environment-busy",
            )
        try:
            release = store.release(spec.release) if spec.release else store.releases()[0]
        except NotFound as exc:
            raise Invalid(exc.message, code="release-not-found") from None
        env = environment_from_answers(spec, release, master=master_opts)
        try:
            current = store.environment(spec.name)
        except NotFound:
            changes.append(f"environment {env.name} created")
        else:
            env_revision = current.revision
            env.status = current.environment.status
            findings += check_locked(current.environment, release, env.settings)
            if env != current.environment:
                changes.append(f"environment {env.name} updated")
    elif answers.nodes:
        raise Invalid(
            "nodes can only be applied together with their environment", code="answers-no-environment"
        )

    plan = _plan_nodes(store, answers, env, release)
    node_writes, new_nodes = plan.writes, plan.new
    findings += plan.findings
    changes += plan.changes
    if env is not None and release is not None:
        findings += _judge(store, env, release, plan.aligned)
    findings = list({(f.code, f.path, f.message): f for f in findings}.values())
    errors = corerules.errors(findings)
    if errors:
        raise Invalid(
            f"{source}: {len(errors)} error{'s' if len(errors) != 1 else ''}; nothing was changed",
            code="answers-have-errors",
            findings=findings,
        )
    if dry_run or not changes:  # nothing written: nothing to be stale about
        return ApplyResult(
            environment=env.name if env else None, revision=env_revision, changes=changes, findings=findings
        )
    if env is not None:
        _check_revision(env.name, env_revision, revision)
    created = env is not None and env_revision is None
    # Any change an apply makes to the file's environment or its nodes is a new revision of the
    # environment: that is what the next apply's `revision` is checked against.
    env_changed = env is not None
    store.write_many(
        env if env_changed else None,
        env_revision,
        [(node, rev) for node, rev in node_writes],
        new_nodes=new_nodes,
        boot=(answers.master, boot.revision) if answers.master and "master boot options" in changes else None,
    )
    name = env.name if env else None
    now = store.environment(name).revision if name is not None else None
    return ApplyResult(environment=name, revision=now, created=created, changes=changes, findings=findings)


def _check_revision(name: str, current: int | None, read: int | None) -> None:
    """The environment is as the caller read it: absent (nothing read, or 0) or at `read`."""
    if current is None:
        if read:
            raise Conflict(
                f"environment {name!r} was deleted since revision {read} was read", code="stale-revision"
            )
        return
    if read is None:
        raise Conflict(
            f"environment {name!r} exists (revision {current}): send the revision you read "
            "(a dry run answers it) so that nobody's change is overwritten unseen",
            code="revision-required",
        )
    if read != current:
        raise Conflict(
            f"environment {name!r} changed since revision {read} was read (now {current}); "
            "look at it again and re-apply",
            code="stale-revision",
        )


@dataclass
class _NodePlan:
    writes: list[tuple[Node, int]] = field(default_factory=list)
    new: list[Node] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    aligned: list[Node] = field(default_factory=list)  # one per node of the file, in its order


def _placeholder(spec: AnswersNode) -> Node:
    """A node the file names but the master cannot use; still counted for the role rules."""
    return Node(mac=spec.mac, name=spec.name or "", roles=list(spec.roles))


def _plan_nodes(
    store: Store, answers: Answers, env: Environment | None, release: Release | None
) -> _NodePlan:
    plan = _NodePlan()
    if env is None or release is None:
        return plan
    seen: set[str] = set()
    for index, spec in enumerate(answers.nodes):
        path = f"nodes[{index}]"
        if spec.mac in seen:
            plan.findings.append(_finding("node-duplicate", path, f"node {spec.mac} is listed twice"))
            plan.aligned.append(_placeholder(spec))
            continue
        seen.add(spec.mac)
        try:
            record = store.node(spec.mac)
            before, revision = record.node, record.revision
        except NotFound:
            if not spec.nics:
                plan.findings.append(
                    _finding(
                        "node-unknown",
                        f"{path}.mac",
                        f"no node with admin MAC {spec.mac} has been discovered; boot it, or list its nics",
                    )
                )
                plan.aligned.append(_placeholder(spec))
                continue
            before = Node(mac=spec.mac, name=spec.name or spec.mac, facts=NodeFacts(nics=spec.nics))
            revision = -1
        if before.environment not in (None, env.name):
            plan.findings.append(
                _finding(
                    "node-in-other-environment",
                    path,
                    f"node {spec.mac} belongs to environment {before.environment!r}; remove it there first",
                )
            )
            plan.aligned.append(_placeholder(spec))
            continue
        after = _node_after(before, spec, env, release)
        plan.aligned.append(after)
        if revision < 0:
            plan.new.append(after)
            plan.changes.append(f"node {after.name} ({after.mac}) added")
        elif after != before:
            plan.writes.append((after, revision))
            plan.changes.append(f"node {after.name} ({after.mac}) updated")
    return plan


def _judge(store: Store, env: Environment, release: Release, aligned: list[Node]) -> list[Finding]:
    """The core rules on the environment with the file's nodes first (so `nodes[i]` in a
    finding is the file's i-th node) and then the nodes already assigned but not in the file."""
    named = {node.mac for node in aligned}
    extras = [r.node for r in store.nodes(environment=env.name) if r.node.mac not in named]
    findings = corerules.environment_findings(env, release, [*aligned, *extras])
    if not extras:
        return findings
    moved = []
    for finding in findings:
        match = _NODE_PATH.match(finding.path)
        if match and int(match.group(1)) >= len(aligned):
            extra = extras[int(match.group(1)) - len(aligned)]
            path = f"node {extra.name} ({extra.mac}, assigned, not in the file){match.group(2)}"
            finding = finding.model_copy(update={"path": path})
        moved.append(finding)
    return moved


def _node_after(node: Node, spec: AnswersNode, env: Environment, release: Release) -> Node:
    interfaces = spec.interfaces
    if interfaces is None:
        interfaces = node.interfaces
        if not interfaces and node.facts.nics:
            networks = networks_for_node(env, release, spec.roles)
            interfaces, _ = corerules.default_interfaces(node.facts.nics, networks, env, release)
        interfaces = fold_into_bonds(interfaces, spec.bonds if spec.bonds is not None else node.bonds)
    # Disks the file leaves unsaid are kept, unless the roles change: then the defaults follow.
    disks = disks_from_answers(spec)
    if disks is not None:
        disks = normalized(node.facts.disks, disks)
    elif list(spec.roles) == node.roles:
        disks = node.disks
    return node.model_copy(
        update={
            "name": spec.name or node.name,
            "environment": env.name,
            "roles": list(spec.roles),
            "interfaces": {nic: list(nets) for nic, nets in interfaces.items()},
            "bonds": list(spec.bonds) if spec.bonds is not None else list(node.bonds),
            "mtu": dict(spec.mtu) if spec.mtu is not None else dict(node.mtu),
            "disks": disks,
        }
    )
