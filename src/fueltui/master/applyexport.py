"""Apply an answers file to the master's state, and export the state back as one.

Apply is all or nothing: the file is read (shape errors name file, line and field), the
resulting environment and nodes are judged by the core rules together, and only when no
finding is an error is everything written in one transaction. `apply(export(env))` changes
nothing: export writes every value out, and apply keeps what the file leaves unsaid.
"""

from __future__ import annotations

from collections.abc import Callable

from fueltui.api.schema import ApplyResult
from fueltui.core.answers import Answers, AnswersError, AnswersNode, dump_answers, load_answers
from fueltui.core.environment import answers_from_environment, environment_from_answers, networks_for_node
from fueltui.core.model import Environment, Finding, Node, NodeFacts, Release, Severity
from fueltui.master import corerules
from fueltui.master.errors import Busy, Invalid, NotFound, check_name
from fueltui.master.store import Store


def export(store: Store, name: str) -> str:
    env = store.environment(name).environment
    release = store.release(env.release)
    nodes = [r.node for r in store.nodes(environment=name)]
    answers = answers_from_environment(env, release, nodes, master=store.boot_options().options)
    return dump_answers(answers)


def _finding(code: str, path: str, message: str) -> Finding:
    return Finding(code=code, path=path, message=message, severity=Severity.error)


def apply(
    store: Store,
    text: str,
    source: str = "<answers>",
    dry_run: bool = False,
    busy: Callable[[str], object] | None = None,
) -> ApplyResult:
    """`busy(env_name)` is truthy while a task runs on that environment: apply waits for it."""
    try:
        answers = load_answers(text, source)
    except AnswersError as exc:
        raise Invalid(str(exc), code="answers-invalid") from None
    findings = corerules.answers_findings(answers)
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
            if env != current.environment:
                changes.append(f"environment {env.name} updated")
    elif answers.nodes:
        raise Invalid(
            "nodes can only be applied together with their environment", code="answers-no-environment"
        )

    node_writes, new_nodes, node_findings, node_changes = _plan_nodes(store, answers, env, release)
    findings += node_findings
    changes += node_changes
    if env is not None and release is not None:
        target_nodes = _nodes_after(store, env.name, node_writes, new_nodes)
        findings += corerules.environment_findings(env, release, target_nodes)
    errors = corerules.errors(findings)
    if errors:
        raise Invalid(
            f"{source}: {len(errors)} error{'s' if len(errors) != 1 else ''}; nothing was changed",
            code="answers-have-errors",
            findings=findings,
        )
    if dry_run or not changes:
        return ApplyResult(environment=env.name if env else None, changes=changes, findings=findings)
    created = env is not None and env_revision is None
    env_changed = any(c.startswith("environment ") for c in changes)
    store.write_many(
        env if env_changed else None,
        env_revision,
        [(node, rev) for node, rev in node_writes],
        new_nodes=new_nodes,
        boot=(answers.master, boot.revision) if "master boot options" in changes else None,
    )
    name = env.name if env else None
    return ApplyResult(environment=name, created=created, changes=changes, findings=findings)


def _plan_nodes(
    store: Store, answers: Answers, env: Environment | None, release: Release | None
) -> tuple[list[tuple[Node, int]], list[Node], list[Finding], list[str]]:
    writes: list[tuple[Node, int]] = []
    new: list[Node] = []
    findings: list[Finding] = []
    changes: list[str] = []
    if env is None or release is None:
        return writes, new, findings, changes
    seen: set[str] = set()
    for index, spec in enumerate(answers.nodes):
        path = f"nodes[{index}]"
        if spec.mac in seen:
            findings.append(_finding("node-duplicate", path, f"node {spec.mac} is listed twice"))
            continue
        seen.add(spec.mac)
        try:
            record = store.node(spec.mac)
            before, revision = record.node, record.revision
        except NotFound:
            if not spec.nics:
                findings.append(
                    _finding(
                        "node-unknown",
                        f"{path}.mac",
                        f"no node with admin MAC {spec.mac} has been discovered; boot it, or list its nics",
                    )
                )
                continue
            before, revision = (
                Node(mac=spec.mac, name=spec.name or spec.mac, facts=NodeFacts(nics=spec.nics)),
                -1,
            )
        if before.environment not in (None, env.name):
            findings.append(
                _finding(
                    "node-in-other-environment",
                    path,
                    f"node {spec.mac} belongs to environment {before.environment!r}; remove it there first",
                )
            )
            continue
        after = _node_after(before, spec, env, release)
        if revision < 0:
            new.append(after)
            changes.append(f"node {after.name} ({after.mac}) added")
        elif after != before:
            writes.append((after, revision))
            changes.append(f"node {after.name} ({after.mac}) updated")
    return writes, new, findings, changes


def _node_after(node: Node, spec: AnswersNode, env: Environment, release: Release) -> Node:
    interfaces = spec.interfaces
    if interfaces is None:
        interfaces = node.interfaces
        if not interfaces and node.facts.nics:
            networks = networks_for_node(env, release, spec.roles)
            interfaces, _ = corerules.default_interfaces(node.facts.nics, networks, env, release)
    return node.model_copy(
        update={
            "name": spec.name or node.name,
            "environment": env.name,
            "roles": list(spec.roles),
            "interfaces": {nic: list(nets) for nic, nets in interfaces.items()},
        }
    )


def _nodes_after(store: Store, env_name: str, writes: list[tuple[Node, int]], new: list[Node]) -> list[Node]:
    by_mac = {r.node.mac: r.node for r in store.nodes(environment=env_name)}
    for node, _ in writes:
        by_mac[node.mac] = node
    for node in new:
        by_mac[node.mac] = node
    return [by_mac[mac] for mac in sorted(by_mac)]
