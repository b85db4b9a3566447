"""Rules for roles: unknown roles, conflicts, restrictions by settings, and node-count limits.

A role's limits apply only where the role can be used (its restrictions do not hold), e.g.
MongoDB's minimum only with Telemetry on. Limits are checked once at least one node is in the
environment: an environment without nodes has nothing to deploy yet (the deploy pre-check and
`role_summary` still say what is needed).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from fueltui.core.model import Environment, Finding, Node, Release, RoleMeta, Severity


def _f(code: str, path: str, message: str, severity: Severity = Severity.error) -> Finding:
    return Finding(code=code, path=path, message=message, severity=severity)


def setting_value(env: Environment, key: str) -> object:
    """A setting by dotted name ("storage.volumes_lvm"), or None when there is no such setting."""
    value: object = env.settings
    for part in key.split("."):
        if not isinstance(value, BaseModel) or part not in type(value).model_fields:
            return None
        value = getattr(value, part)
    return value


def restriction(meta: RoleMeta, env: Environment) -> str | None:
    """Why the release or the settings make the role unavailable, or None."""
    if meta.unavailable:
        return meta.unavailable
    for rule in meta.restrictions:
        if all(setting_value(env, key) == wanted for key, wanted in rule.when.items()):
            return rule.message
    return None


def role_min(meta: RoleMeta, env: Environment) -> int | None:
    value = meta.limits.min
    if isinstance(value, str):
        setting = setting_value(env, value)
        return setting if isinstance(setting, int) and not isinstance(setting, bool) else None
    return value


def _conflict(role: str, other: str, release: Release) -> bool:
    a, b = release.roles.get(role), release.roles.get(other)
    return (a is not None and other in a.conflicts) or (b is not None and role in b.conflicts)


def role_blockers(role: str, node_roles: Sequence[str], env: Environment, release: Release) -> str | None:
    """Why `role` cannot be added to a node that has `node_roles` (None: it can)."""
    meta = release.roles.get(role)
    if meta is None:
        return f"{role!r} is not a role of {release.name}"
    why = restriction(meta, env)
    if why is not None:
        return why
    for other in node_roles:
        if other != role and _conflict(role, other, release):
            other_name = release.roles[other].name if other in release.roles else other
            return f"{meta.name} cannot share a node with {other_name}"
    return None


def role_counts(nodes: Sequence[Node]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for node in nodes:
        for role in set(node.roles):
            counts[role] = counts.get(role, 0) + 1
    return counts


def check_roles(env: Environment, release: Release, nodes: Sequence[Node]) -> list[Finding]:
    findings: list[Finding] = []
    for i, node in enumerate(nodes):
        for j, role in enumerate(node.roles):
            path = f"nodes[{i}].roles[{j}]"
            meta = release.roles.get(role)
            if meta is None:
                findings.append(
                    _f("role-unknown", path, f"{role!r} is not a role; use one of {', '.join(release.roles)}")
                )
                continue
            why = restriction(meta, env)
            if why is not None:
                findings.append(_f("role-restricted", path, f"{meta.name} is not available: {why}"))
            for other in node.roles[:j]:
                if _conflict(role, other, release):
                    other_name = release.roles[other].name if other in release.roles else other
                    findings.append(
                        _f(
                            "role-conflict",
                            path,
                            f"{meta.name} cannot share a node with {other_name}; remove one of them",
                        )
                    )
    if nodes:
        findings += _check_limits(env, release, role_counts(nodes))
    return findings


def _check_limits(env: Environment, release: Release, counts: dict[str, int]) -> list[Finding]:
    findings: list[Finding] = []
    for role, meta in release.roles.items():
        if restriction(meta, env) is not None:
            continue
        count, limits = counts.get(role, 0), meta.limits
        low = role_min(meta, env)
        if low is not None and count < low:
            text = limits.min_message or f"At least {low} {meta.name} node(s) are required."
            findings.append(
                _f("role-min", "nodes", f"{text} There are {count}; assign the role to more nodes.")
            )
        elif limits.max is not None and count > limits.max:
            text = limits.max_message or f"At most {limits.max} {meta.name} node(s) are allowed."
            findings.append(_f("role-max", "nodes", f"{text} There are {count}; remove the role from some."))
        elif limits.recommended is not None and count < limits.recommended:
            text = (
                limits.recommended_message
                or f"At least {limits.recommended} {meta.name} node(s) recommended."
            )
            findings.append(_f("role-recommended", "nodes", f"{text} There are {count}.", Severity.warning))
    return findings


def role_summary(env: Environment, release: Release, nodes: Sequence[Node]) -> list[str]:
    """One line per role for the role grid, e.g. "Controller 1 — min 1, 3 recommended for HA"."""
    counts = role_counts(nodes)
    lines: list[str] = []
    for role, meta in release.roles.items():
        why = restriction(meta, env)
        parts: list[str] = []
        low = role_min(meta, env)
        if low is not None:
            parts.append(f"min {low}")
        if meta.limits.max is not None:
            parts.append(f"max {meta.limits.max}")
        if meta.limits.recommended is not None:
            ha = " for HA" if meta.has_primary and meta.limits.recommended > 1 else ""
            parts.append(f"{meta.limits.recommended} recommended{ha}")
        text = f"{meta.name} {counts.get(role, 0)}"
        if why is not None:
            text += f" — unavailable: {why}"
        elif parts:
            text += " — " + ", ".join(parts)
        lines.append(text)
    return lines
