"""Role limits, restrictions, blockers for the role grid, and the summary lines."""

from __future__ import annotations

from fueltui.core.environment import new_environment
from fueltui.core.model import Mode, Node, Release, RoleLimits, Severity
from fueltui.core.releases import default_release
from fueltui.core.rules import check_roles, role_blockers, role_summary


def fuel_roles() -> Release:
    """The rule engine on Fuel 6.1's roles with every one deployable: the shipped release
    marks the roles its payload cannot deploy unavailable (tested below)."""
    release = default_release()
    roles = {k: v.model_copy(update={"unavailable": None}) for k, v in release.roles.items()}
    return release.model_copy(update={"roles": roles})


def test_the_shipped_release_offers_only_what_it_deploys() -> None:
    release = default_release()
    env = new_environment("t", release, Mode.neutron_gre)
    env.settings.ceilometer = True
    for role in ("mongo", "cinder", "ceph-osd"):
        assert release.roles[role].unavailable
        assert role_blockers(role, [], env, release) == release.roles[role].unavailable
    assert role_blockers("compute", [], env, release) is None
    codes = _codes(release, _nodes(["controller"], ["compute", "mongo"]), ceilometer=True)
    assert ("role-restricted", "nodes[1].roles[1]", Severity.error) in codes
    assert all(code != "role-min" for code, _, _ in codes)  # limits only where a role can be used


def _nodes(*roles: list[str]) -> list[Node]:
    return [Node(mac=f"52:54:00:00:00:{i:02x}", name=f"node-{i}", roles=r) for i, r in enumerate(roles, 1)]


def _codes(release: Release, nodes: list[Node], **settings: object) -> list[tuple[str, str, Severity]]:
    env = new_environment("t", release, Mode.neutron_gre)
    env.settings = env.settings.model_validate({**env.settings.model_dump(), **settings})
    return [(f.code, f.path, f.severity) for f in check_roles(env, release, nodes)]


def _with_max(release: Release, role: str, maximum: int) -> Release:
    roles = dict(release.roles)
    roles[role] = roles[role].model_copy(update={"limits": RoleLimits(max=maximum, max_message="Too many.")})
    return release.model_copy(update={"roles": roles})


def test_role_max() -> None:
    release = _with_max(fuel_roles(), "mongo", 1)
    failing = _codes(release, _nodes(["controller"], ["mongo"], ["mongo"]), ceilometer=True)
    assert ("role-max", "nodes", Severity.error) in failing
    passing = _codes(release, _nodes(["controller"], ["mongo"]), ceilometer=True)
    assert all(code != "role-max" for code, _, _ in passing)


def test_role_recommended_is_a_warning() -> None:
    release = fuel_roles()
    one = _codes(release, _nodes(["controller"], ["compute"], ["cinder"]))
    assert ("role-recommended", "nodes", Severity.warning) in one
    three = _codes(release, _nodes(["controller"], ["controller"], ["controller"], ["compute"], ["cinder"]))
    assert [c for c in three if c[0] == "role-recommended"] == []


def test_limits_apply_only_where_the_role_can_be_used() -> None:
    release = fuel_roles()
    # Telemetry off: no MongoDB is fine; on: at least one is required.
    assert all(c[0] != "role-min" for c in _codes(release, _nodes(["controller"], ["compute"])))
    on = _codes(release, _nodes(["controller"], ["compute"]), ceilometer=True)
    assert ("role-min", "nodes", Severity.error) in on


def test_no_limits_without_nodes() -> None:
    assert _codes(fuel_roles(), []) == []


def test_role_blockers() -> None:
    release = fuel_roles()
    env = new_environment("t", release, Mode.neutron_gre)
    assert (
        role_blockers("compute", ["controller"], env, release)
        == "Compute cannot share a node with Controller"
    )
    assert role_blockers("controller", ["cinder"], env, release) is None
    assert role_blockers("mongo", [], env, release) == "Enable Telemetry (Ceilometer) in the settings first."
    assert "not a role" in (role_blockers("nope", [], env, release) or "")
    env.settings.ceilometer = True
    assert (
        role_blockers("mongo", ["ceph-osd"], env, release)
        == "Telemetry - MongoDB cannot share a node with Storage - Ceph OSD"
    )
    assert role_blockers("mongo", ["controller"], env, release) is None


def test_role_summary() -> None:
    release = fuel_roles()
    env = new_environment("t", release, Mode.neutron_gre)
    lines = role_summary(env, release, _nodes(["controller"], ["compute"]))
    assert lines[0] == "Controller 1 — min 1, 3 recommended for HA"
    assert "Compute 1 — 1 recommended" in lines
    assert any(line.startswith("Telemetry - MongoDB 0 — unavailable: Enable Telemetry") for line in lines)
    env.settings.storage.images_ceph = True
    assert "Storage - Ceph OSD 0 — min 2" in role_summary(env, release, [])
