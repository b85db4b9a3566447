"""The expectation matrix, the attribution of failures, and the deploy gate's signature."""

from __future__ import annotations

from collections.abc import Iterable

from factories import RELEASE, environment, node

from fueltui.core.model import Mode, NetworkConfig, NovaParams
from fueltui.core.verifyplan import VerifyPlan, build_plan, compare, network_signature, network_vlans

Wiring = dict[tuple[str, str], str]  # (node mac, NIC) -> bridge


def default_wiring(plan: VerifyPlan) -> Wiring:
    """The lab's wiring: ethK of every node on bridge K."""
    return {(n.node, nic.nic): f"br{nic.nic[3:]}" for n in plan.nodes for nic in n.nics}


def simulate(plan: VerifyPlan, wiring: Wiring) -> dict[str, dict[str, dict[int, set[tuple[str, str]]]]]:
    """What every NIC would hear when every node sends its plan's VLANs on the given wiring."""
    heard: dict[str, dict[str, dict[int, set[tuple[str, str]]]]] = {}
    for listener in plan.nodes:
        for l_nic in listener.nics:
            bridge = wiring.get((listener.node, l_nic.nic))
            per_vlan = heard.setdefault(listener.node, {}).setdefault(l_nic.nic, {})
            for sender in plan.nodes:
                if sender.node == listener.node:
                    continue
                for s_nic in sender.nics:
                    if bridge is not None and wiring.get((sender.node, s_nic.nic)) == bridge:
                        for vlan in s_nic.vlans:
                            per_vlan.setdefault(vlan, set()).add((sender.node, s_nic.nic))
    return heard


def summary(missing: Iterable[object]) -> list[tuple[object, ...]]:
    return [(m.node, m.nic, m.network, m.vlan, tuple(m.missing)) for m in missing]  # type: ignore[attr-defined]


def three_nodes(**overrides: dict[str, list[str]]) -> VerifyPlan:
    nodes = [node(i, overrides.get(f"node{i}")) for i in (1, 2, 3)]
    return build_plan(environment(), RELEASE, nodes)


def test_vlans_follow_the_release_and_the_environment() -> None:
    env = environment()
    assert network_vlans(env, RELEASE, "fuelweb_admin") == [0]
    assert network_vlans(env, RELEASE, "public") == [0]
    assert network_vlans(env, RELEASE, "management") == [101]
    assert network_vlans(env, RELEASE, "storage") == [102]
    assert network_vlans(env, RELEASE, "private") == [103]
    env.networks["management"] = NetworkConfig(cidr="192.168.0.0/24", vlan=None)
    assert network_vlans(env, RELEASE, "management") == [0]


def test_vlan_segmentation_probes_the_whole_tenant_range() -> None:
    env = environment(Mode.neutron_vlan)
    assert network_vlans(env, RELEASE, "private") == list(range(1000, 1031))


def test_nova_fixed_network_vlans() -> None:
    env = environment(Mode.nova_network)
    assert network_vlans(env, RELEASE, "fixed") == [103]
    env.nova_network = NovaParams(
        net_manager="VlanManager", fixed_networks_vlan_start=200, fixed_networks_amount=3
    )
    assert network_vlans(env, RELEASE, "fixed") == [200, 201, 202]


def test_plan_covers_only_the_environment_s_nodes_and_assigned_nics() -> None:
    outsider = node(9, env="other")
    idle = node(4, {"eth0": ["fuelweb_admin"], "eth1": []})
    plan = build_plan(environment(), RELEASE, [node(2), node(1), outsider, idle])
    assert [n.name for n in plan.nodes] == ["node-1", "node-2", "node-4"]
    assert [nic.nic for nic in plan.nodes[2].nics] == ["eth0"]
    eth0 = plan.nodes[0].nics[0]
    assert eth0.mac == "52:54:00:00:01:00"
    assert eth0.networks == {"fuelweb_admin": [0], "private": [103]}
    assert eth0.vlans == [0, 103]
    assert plan.nodes[0].nics[1].vlans == [0, 101]


def test_all_wired_nothing_missing() -> None:
    plan = three_nodes()
    assert compare(plan, simulate(plan, default_wiring(plan))) == []


def test_nothing_heard_at_all_reports_every_nic_of_every_node() -> None:
    plan = three_nodes()
    missing = compare(plan, {})
    # 3 nodes x (admin, private, management, storage, public)
    assert len(missing) == 15
    assert all(len(m.missing) == 2 for m in missing)


def test_unplugged_nic_is_blamed_alone_with_the_peers_it_missed() -> None:
    plan = three_nodes()
    wiring = default_wiring(plan)
    del wiring[(plan.nodes[0].node, "eth1")]  # node-1's eth1 taken off its bridge
    missing = compare(plan, simulate(plan, wiring))
    assert summary(missing) == [("node-1", "eth1", "management", 101, ("node-2", "node-3"))]
    assert missing[0].mac == "52:54:00:00:01:01"
    assert missing[0].node_mac == "52:54:00:00:01:00"


def test_management_on_a_nic_wired_to_the_storage_bridge_is_reported() -> None:
    plan = three_nodes(node1={"eth0": ["fuelweb_admin", "private"], "eth2": ["management", "storage"]})
    missing = compare(plan, simulate(plan, default_wiring(plan)))
    assert summary(missing) == [("node-1", "eth2", "management", 101, ("node-2", "node-3"))]


def test_two_nodes_that_cannot_hear_each_other_are_both_reported() -> None:
    plan = build_plan(environment(), RELEASE, [node(1), node(2)])
    wiring = default_wiring(plan)
    del wiring[(plan.nodes[0].node, "eth3")]
    missing = compare(plan, simulate(plan, wiring))
    assert summary(missing) == [
        ("node-1", "eth3", "public", 0, ("node-2",)),
        ("node-2", "eth3", "public", 0, ("node-1",)),
    ]


def test_one_way_failure_inside_the_majority_is_reported_for_the_deaf_side_only() -> None:
    plan = three_nodes()
    heard = simulate(plan, default_wiring(plan))
    n1, n2 = plan.nodes[0].node, plan.nodes[1].node
    heard[n2]["eth2"][102].discard((n1, "eth2"))  # node-2 does not hear node-1 on storage
    assert summary(compare(plan, heard)) == [("node-2", "eth2", "storage", 102, ("node-1",))]


def test_a_peer_heard_on_the_wrong_vlan_does_not_count() -> None:
    plan = three_nodes()
    heard = simulate(plan, default_wiring(plan))
    eth1 = heard[plan.nodes[0].node]["eth1"]
    eth1[55] = eth1.pop(101)  # node-1 hears its peers' management frames on VLAN 55 only
    assert summary(compare(plan, heard)) == [("node-1", "eth1", "management", 101, ("node-2", "node-3"))]


def test_a_mute_nic_is_reported_by_the_peers_that_did_not_hear_it() -> None:
    plan = three_nodes()
    heard = simulate(plan, default_wiring(plan))
    n1 = plan.nodes[0].node
    for listener in plan.nodes[1:]:
        heard[listener.node]["eth3"][0].discard((n1, "eth3"))
    assert summary(compare(plan, heard)) == [
        ("node-2", "eth3", "public", 0, ("node-1",)),
        ("node-3", "eth3", "public", 0, ("node-1",)),
    ]


def test_signature_tracks_networks_and_assignments_only() -> None:
    env = environment()
    nodes = [node(1), node(2)]
    base = network_signature(env, nodes)
    assert network_signature(env, list(reversed(nodes))) == base
    renamed = [n.model_copy(update={"name": "x", "online": False}) for n in nodes]
    assert network_signature(env, renamed) == base
    moved = [nodes[0].model_copy(update={"interfaces": {"eth0": ["fuelweb_admin", "management"]}}), nodes[1]]
    assert network_signature(env, moved) != base
    retagged = env.model_copy(deep=True)
    retagged.networks["storage"].vlan = 202
    assert network_signature(retagged, nodes) != base
    assert network_signature(env, [*nodes, node(3, env="other")]) == base
    assert network_signature(env, [*nodes, node(3)]) != base
