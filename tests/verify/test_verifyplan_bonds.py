"""Verification probes each slave of a bond: the plan lists every slave with the bond's
networks, and a dead slave is reported alone, though its bond still passes traffic."""

from __future__ import annotations

from factories import RELEASE, environment, node
from test_verifyplan import default_wiring, simulate, summary

from fueltui.core.model import Bond, BondMode, Node
from fueltui.core.verifyplan import build_plan, compare, network_signature

BONDED = {"eth0": ["fuelweb_admin"], "bond0": ["management", "storage"], "eth3": ["public"]}


def bonded(index: int) -> Node:
    return node(index, BONDED).model_copy(update={"bonds": [Bond(name="bond0", slaves=["eth1", "eth2"])]})


def test_the_plan_probes_every_slave_with_the_bonds_networks() -> None:
    plan = build_plan(environment(), RELEASE, [bonded(1), bonded(2)])
    first = plan.nodes[0]
    assert [nic.nic for nic in first.nics] == ["eth0", "eth1", "eth2", "eth3"]
    slaves = {nic.nic: nic for nic in first.nics}
    assert slaves["eth1"].networks == slaves["eth2"].networks == {"management": [101], "storage": [102]}
    assert slaves["eth2"].mac == "52:54:00:00:01:02"


def test_a_dead_slave_is_reported_alone() -> None:
    plan = build_plan(environment(), RELEASE, [bonded(1), bonded(2), bonded(3)])
    wiring = default_wiring(plan)
    assert compare(plan, simulate(plan, wiring)) == []
    del wiring[(plan.nodes[1].node, "eth2")]  # node-2's second slave unplugged
    found = summary(compare(plan, simulate(plan, wiring)))
    assert found == [
        ("node-2", "eth2", "management", 101, ("node-1", "node-3")),
        ("node-2", "eth2", "storage", 102, ("node-1", "node-3")),
    ]


def test_bonding_changes_the_network_signature() -> None:
    env = environment()
    plain = node(1, {"eth0": ["fuelweb_admin"], "eth1": ["management", "storage"], "eth3": ["public"]})
    assert network_signature(env, [plain]) != network_signature(env, [bonded(1)])
    other = bonded(1).model_copy(
        update={"bonds": [Bond(name="bond0", mode=BondMode.lacp, slaves=["eth1", "eth2"])]}
    )
    assert network_signature(env, [bonded(1)]) != network_signature(env, [other])
