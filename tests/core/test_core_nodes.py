"""Rules over stored nodes: check_environment, check_drop (the TUI's drag map), answers nodes
without NICs (offline check) and the default assignment inside check_answers."""

from __future__ import annotations

from answersbase import BASE, DELETE, changed
from fueltui.core.answers import Answers
from fueltui.core.environment import new_environment
from fueltui.core.model import Mode, Nic, Node, NodeFacts
from fueltui.core.releases import default_release
from fueltui.core.rules import check_answers, check_drop, check_environment

RELEASE = default_release()
FULL = ["fuelweb_admin", "management", "storage", "private"]


def _node(
    mac_tail: int, roles: list[str], interfaces: dict[str, list[str]] | None = None, nics: int = 2
) -> Node:
    base = f"52:54:00:aa:{mac_tail:02x}"
    return Node(
        mac=f"{base}:00",
        name=f"node-{mac_tail}",
        roles=roles,
        facts=NodeFacts(nics=[Nic(name=f"eth{i}", mac=f"{base}:{i:02x}", pxe=i == 0) for i in range(nics)]),
        interfaces=interfaces if interfaces is not None else {"eth0": FULL, "eth1": ["public"]},
    )


def test_check_environment_on_a_good_cluster_has_only_warnings() -> None:
    env = new_environment("demo", RELEASE, Mode.neutron_gre)
    nodes = [_node(1, ["controller"]), _node(2, ["compute"], {"eth0": FULL, "eth1": []})]
    findings = check_environment(env, RELEASE, nodes)
    assert [f.code for f in findings if f.severity == "error"] == []


def test_check_environment_paths_follow_the_node_list() -> None:
    env = new_environment("demo", RELEASE, Mode.neutron_gre)
    nodes = [_node(1, ["controller"]), _node(2, ["compute"], {"eth0": FULL[:3]}), _node(3, ["compute"], {})]
    codes = {(f.code, f.path) for f in check_environment(env, RELEASE, nodes)}
    assert ("network-unassigned", "nodes[1].interfaces") in codes
    assert ("network-unassigned", "nodes[2].interfaces") in codes  # NICs known, nothing assigned


def test_nodes_without_nics_or_interfaces_are_not_judged_on_interfaces() -> None:
    env = new_environment("demo", RELEASE, Mode.neutron_gre)
    bare = Node(mac="52:54:00:aa:09:00", name="node-9", roles=["compute"])
    findings = check_environment(env, RELEASE, [_node(1, ["controller"]), bare])
    assert all(not f.path.startswith("nodes[1].interfaces") for f in findings)


def test_drop_refuses_what_the_move_breaks_only() -> None:
    env = new_environment("demo", RELEASE, Mode.neutron_gre)
    node = _node(1, ["controller"])
    assert (
        check_drop(
            node,
            {"eth0": ["fuelweb_admin", "management"], "eth1": ["public", "storage", "private"]},
            env,
            RELEASE,
        )
        is None
    )
    refused = check_drop(node, {"eth0": FULL[1:], "eth1": ["public", "fuelweb_admin"]}, env, RELEASE)
    assert refused is not None and refused.code == "admin-not-on-pxe"
    refused = check_drop(node, {"eth0": [*FULL, "public"], "eth1": []}, env, RELEASE)
    assert refused is not None and refused.code == "untagged-conflict"
    # Unassigning is not a drop error (the node-level check reports it).
    assert check_drop(node, {"eth0": FULL, "eth1": []}, env, RELEASE) is None


def test_offline_node_without_nics_skips_nic_checks() -> None:
    data = changed({"nodes[0].nics": DELETE, "nodes[0].interfaces": {"eth7": FULL, "eth8": ["public"]}})
    findings = check_answers(Answers.model_validate(data))
    assert [f for f in findings if f.severity == "error"] == []
    data = changed({"nodes[0].nics": DELETE, "nodes[0].interfaces": {"eth7": FULL}})
    assert ("network-unassigned", "nodes[0].interfaces") in {
        (f.code, f.path) for f in check_answers(Answers.model_validate(data))
    }


def test_offline_node_with_nics_and_no_interfaces_gets_fuel_defaults() -> None:
    data = changed({"nodes[0].interfaces": DELETE, "nodes[1].interfaces": DELETE})
    assert [f for f in check_answers(Answers.model_validate(data)) if f.severity == "error"] == []
    one_nic = changed({"nodes[0].interfaces": DELETE, "nodes[0].nics": BASE["nodes"][0]["nics"][:1]})
    codes = {(f.code, f.path, f.severity.value) for f in check_answers(Answers.model_validate(one_nic))}
    assert ("untagged-conflict", "nodes[0].interfaces.eth0", "warning") in codes
    assert ("untagged-conflict", "nodes[0].interfaces.eth0", "error") in codes
