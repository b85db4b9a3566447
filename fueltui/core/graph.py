"""The deployment graph: tasks as data, checked on load, ordered for the orchestrator.

A release ships its graph as a list of `GraphTask`s, in the spirit of Fuel's
`deployment_tasks.yaml`:

* `stage` tasks are synchronisation points (`deploy_start`, `deploy_end`);
* `group` tasks are role groups: the nodes whose roles match deploy together under a
  strategy (`one_by_one`, or `parallel` with an optional `amount` cap), and a group waits
  for every group before it in the graph;
* node tasks (`shell`, `upload_file`, `sync`, `reboot`, `master_shell`) run on each node
  of the groups they name (`groups`) or whose roles they name (`roles`, `"*"` = all), in
  the graph's order. A node task that comes after a stage which itself comes after a group
  (e.g. `requires: [deploy_end]`) is *post-deployment*: it runs on every node once every
  group has finished — that is where the health check lives, since it needs every peer up.

Parameters every node task may have: `timeout`, `retries`, `interval` (seconds),
`always_run` (never skipped on resume) and `check` — a shell command run where the task
runs (exit 0: the node still is as the task made it). A resume skips a task done before
with the same signature only when its check passes; `upload_file` tasks need none, they
are checked by content and mode. Tasks with neither are trusted to their record.

`requires: [x]` means "after x"; `required_for: [y]` means "before y". Errors (unknown
ids, cycles, unknown types, bad strategies or parameters) are gathered and raised together
in one `GraphError`, so a broken release says everything that is wrong with it at once.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import get_args

import yaml
from pydantic import ValidationError

from fueltui.core.model import GraphTask, Release, TaskType

TASK_TYPES: tuple[str, ...] = get_args(TaskType)
NODE_TASK_TYPES = frozenset({"shell", "upload_file", "script", "sync", "reboot", "master_shell"})
STRATEGIES = ("one_by_one", "parallel")
ALL_ROLES = "*"
PRIMARY_PREFIX = "primary-"

DEFAULT_TIMEOUT = 300.0
UPLOAD_SOURCES = ("node_yaml", "hosts", "hostname", "netplan", "network_script", "healthcheck_script")


class GraphError(ValueError):
    """The graph is unusable; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("deployment graph: " + "; ".join(self.problems))


@dataclass(frozen=True)
class Strategy:
    type: str = "parallel"
    amount: int | None = None  # parallel only: at most this many nodes at once

    @property
    def limit(self) -> int | None:
        return 1 if self.type == "one_by_one" else self.amount


@dataclass(frozen=True)
class RoleGroup:
    id: str
    roles: tuple[str, ...]
    strategy: Strategy
    after: frozenset[str]  # ids of every group this one waits for


@dataclass(frozen=True)
class TaskRun:
    """What running a node task needs, read from its `parameters` once, on load."""

    timeout: float = DEFAULT_TIMEOUT
    retries: int = 0  # extra attempts after the first failure
    interval: float = 0.0  # seconds between attempts


@dataclass
class Graph:
    tasks: dict[str, GraphTask]
    order: list[str]  # every id, topologically sorted (ties broken by file order)
    groups: list[RoleGroup]  # in graph order
    post: frozenset[str]  # node tasks that run after every group finished
    runs: dict[str, TaskRun] = field(default_factory=dict)

    @property
    def node_tasks(self) -> list[GraphTask]:
        return [self.tasks[i] for i in self.order if self.tasks[i].type in NODE_TASK_TYPES]

    def group(self, group_id: str) -> RoleGroup:
        for group in self.groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)

    def groups_for(self, deploy_roles: Iterable[str]) -> list[RoleGroup]:
        """The groups a node with these deploy roles (see `deploy_roles`) belongs to."""
        wanted = set(deploy_roles)
        return [g for g in self.groups if wanted & set(g.roles)]

    def tasks_for(self, deploy_roles: Iterable[str]) -> list[GraphTask]:
        """The node tasks a node with these deploy roles runs, in order, deduplicated."""
        roles = set(deploy_roles) | {r.removeprefix(PRIMARY_PREFIX) for r in deploy_roles}
        group_ids = {g.id for g in self.groups_for(deploy_roles)}
        chosen: list[GraphTask] = []
        for task in self.node_tasks:
            by_group = bool(group_ids & set(task.groups))
            by_role = ALL_ROLES in task.roles or bool(roles & set(task.roles))
            if by_group or by_role:
                chosen.append(task)
        return chosen

    def run(self, task_id: str) -> TaskRun:
        return self.runs.get(task_id, TaskRun())


def deploy_roles(
    nodes: Sequence[tuple[str, Sequence[str]]], primary_roles: Iterable[str]
) -> dict[str, list[str]]:
    """Roles as the graph sees them: the first node (by name) holding a role that has a
    primary gets `primary-<role>` in its place. `nodes` are (name, roles) pairs."""
    result: dict[str, list[str]] = {name: list(roles) for name, roles in nodes}
    for role in primary_roles:
        holders = sorted(name for name, roles in nodes if role in roles)
        if holders:
            first = holders[0]
            result[first] = [PRIMARY_PREFIX + r if r == role else r for r in result[first]]
    return result


def task_signature(task: GraphTask) -> str:
    """A stable hash of a task's definition: resume redoes a task whose definition changed."""
    text = json.dumps(task.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- loading


def parse_graph(text: str, source: str = "<graph>") -> Graph:
    """Load a graph from YAML text (a list of tasks)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GraphError([f"{source}: not valid YAML: {exc}"]) from exc
    if not isinstance(data, list):
        raise GraphError([f"{source}: expected a list of tasks"])
    return load_graph_data(data)


def load_graph_data(items: Sequence[object]) -> Graph:
    """Validate raw task mappings (types checked by name first, for a clear message)."""
    problems: list[str] = []
    tasks: list[GraphTask] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            problems.append(f"task #{index + 1}: expected a mapping")
            continue
        label = str(item.get("id", f"#{index + 1}"))
        kind = item.get("type")
        if kind not in TASK_TYPES:
            problems.append(f"task {label}: unknown type {kind!r} (known: {', '.join(TASK_TYPES)})")
            continue
        try:
            tasks.append(GraphTask.model_validate(dict(item)))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"task {label}: {where}: {err['msg']}")
    if problems:
        raise GraphError(problems)
    return load_graph(tasks)


def graph_for_release(release: Release) -> Graph:
    return load_graph(release.deployment_tasks)


def load_graph(tasks: Sequence[GraphTask]) -> Graph:
    problems: list[str] = []
    by_id: dict[str, GraphTask] = {}
    for task in tasks:
        if task.id in by_id:
            problems.append(f"task {task.id}: defined twice")
        by_id[task.id] = task

    edges: dict[str, set[str]] = {t: set() for t in by_id}  # before -> afters
    for task in by_id.values():
        for dep in task.requires:
            if dep not in by_id:
                problems.append(f"task {task.id}: requires unknown task {dep!r}")
            else:
                edges[dep].add(task.id)
        for dep in task.required_for:
            if dep not in by_id:
                problems.append(f"task {task.id}: required_for unknown task {dep!r}")
            else:
                edges[task.id].add(dep)
        for gid in task.groups:
            target = by_id.get(gid)
            if target is None:
                problems.append(f"task {task.id}: names unknown group {gid!r}")
            elif target.type != "group":
                problems.append(f"task {task.id}: {gid!r} in groups is a {target.type}, not a group")
        problems.extend(_check_task(task))

    runs = {t.id: _task_run(t) for t in by_id.values() if t.type in NODE_TASK_TYPES}
    if problems:
        raise GraphError(problems)

    order = _toposort([t.id for t in tasks], edges)
    if order is None:
        raise GraphError([f"cycle: {' -> '.join(_find_cycle(edges))}"])

    ancestors = _ancestors(order, edges)
    group_ids = [i for i in order if by_id[i].type == "group"]
    groups = [
        RoleGroup(
            id=gid,
            roles=tuple(by_id[gid].roles),
            strategy=_strategy(by_id[gid]),
            after=frozenset(a for a in ancestors[gid] if by_id[a].type == "group"),
        )
        for gid in group_ids
    ]
    closing_stages = {
        i for i in order if by_id[i].type == "stage" and any(by_id[a].type == "group" for a in ancestors[i])
    }
    post = frozenset(i for i in order if by_id[i].type in NODE_TASK_TYPES and ancestors[i] & closing_stages)
    return Graph(tasks=by_id, order=order, groups=groups, post=post, runs=runs)


def _check_task(task: GraphTask) -> list[str]:
    problems: list[str] = []
    params = task.parameters
    if task.type == "group":
        if not task.roles:
            problems.append(f"group {task.id}: names no roles")
        raw = params.get("strategy", {"type": "parallel"})
        if not isinstance(raw, Mapping) or raw.get("type") not in STRATEGIES:
            problems.append(f"group {task.id}: strategy.type must be one of {', '.join(STRATEGIES)}")
        else:
            amount = raw.get("amount")
            if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool) or amount < 1):
                problems.append(f"group {task.id}: strategy.amount must be a positive whole number")
            if amount is not None and raw.get("type") == "one_by_one":
                problems.append(f"group {task.id}: strategy.amount only applies to parallel")
    elif task.type in NODE_TASK_TYPES:
        if not task.groups and not task.roles:
            problems.append(f"task {task.id}: runs on no node (give it groups or roles)")
        if task.type in ("shell", "master_shell") and not isinstance(params.get("cmd"), str):
            problems.append(f"task {task.id}: parameters.cmd (a command line) is required")
        if task.type == "upload_file":
            if not isinstance(params.get("path"), str) or not str(params.get("path")).startswith("/"):
                problems.append(f"task {task.id}: parameters.path must be an absolute path")
            has_data = isinstance(params.get("data"), str)
            source = params.get("source")
            if has_data == (source is not None):
                problems.append(f"task {task.id}: give exactly one of parameters.data or parameters.source")
            elif source is not None and source not in UPLOAD_SOURCES:
                known = ", ".join(UPLOAD_SOURCES)
                problems.append(f"task {task.id}: unknown parameters.source {source!r} (known: {known})")
        if task.type == "script" and not known_script(params.get("source")):
            problems.append(f"task {task.id}: parameters.source must name a script the master renders")
        if task.type == "sync":
            for key in ("src", "dst"):
                if not isinstance(params.get(key), str):
                    problems.append(f"task {task.id}: parameters.{key} (a path) is required")
        check = params.get("check")
        if check is not None:
            if task.type == "upload_file":
                problems.append(
                    f"task {task.id}: parameters.check: an upload is checked by its content already"
                )
            elif task.type == "reboot":
                problems.append(f"task {task.id}: parameters.check does not apply to a reboot")
            elif not isinstance(check, str) or not check.strip():
                problems.append(f"task {task.id}: parameters.check must be a command line")
        for key in ("timeout", "interval"):
            value = params.get(key)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                problems.append(f"task {task.id}: parameters.{key} must be a number of seconds ≥ 0")
        retries = params.get("retries")
        if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int) or retries < 0):
            problems.append(f"task {task.id}: parameters.retries must be a whole number ≥ 0")
    elif task.type == "stage" and (task.roles or task.groups):
        problems.append(f"stage {task.id}: a stage runs on no node; remove roles/groups")
    return problems


def _strategy(task: GraphTask) -> Strategy:
    raw = task.parameters.get("strategy", {"type": "parallel"})
    assert isinstance(raw, Mapping)
    amount = raw.get("amount")
    return Strategy(type=str(raw["type"]), amount=amount if isinstance(amount, int) else None)


def known_script(source: object) -> bool:
    """A `script` task's source: a payload script the master can render."""
    if not isinstance(source, str) or not source.startswith("payload:"):
        return False
    from fueltui.core.payload.scripts import SCRIPTS  # the payload's renderers import the node config

    return source.removeprefix("payload:") in SCRIPTS


def _task_run(task: GraphTask) -> TaskRun:
    params = task.parameters

    def number(key: str, default: float) -> float:
        value = params.get(key)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default

    retries = params.get("retries")
    return TaskRun(
        timeout=number("timeout", DEFAULT_TIMEOUT),
        retries=retries if isinstance(retries, int) and not isinstance(retries, bool) else 0,
        interval=number("interval", 0.0),
    )


def _toposort(ids: list[str], edges: Mapping[str, set[str]]) -> list[str] | None:
    """Kahn's algorithm; among ready tasks the earlier one in the file goes first."""
    position = {t: n for n, t in enumerate(ids)}
    indegree = dict.fromkeys(ids, 0)
    for targets in edges.values():
        for t in targets:
            indegree[t] += 1
    ready = [(position[t], t) for t in ids if indegree[t] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, current = heapq.heappop(ready)
        order.append(current)
        for nxt in edges[current]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (position[nxt], nxt))
    return order if len(order) == len(ids) else None


def _find_cycle(edges: Mapping[str, set[str]]) -> list[str]:
    color: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        color[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if color.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if color.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        color[node] = 2
        stack.pop()
        return None

    for start in sorted(edges):
        if color.get(start) is None:
            found = visit(start)
            if found:
                return found
    return []


def _ancestors(order: list[str], edges: Mapping[str, set[str]]) -> dict[str, set[str]]:
    parents: dict[str, set[str]] = {t: set() for t in order}
    for src, targets in edges.items():
        for t in targets:
            parents[t].add(src)
    result: dict[str, set[str]] = {}
    for t in order:  # parents come first in topological order
        acc: set[str] = set()
        for p in parents[t]:
            acc.add(p)
            acc |= result[p]
        result[t] = acc
    return result
