"""Deterministic IP allocation on Fuel's defaults."""

from __future__ import annotations

import random

from fueltui.core.environment import new_environment
from fueltui.core.ipalloc import allocate
from fueltui.core.model import Mode, Node
from fueltui.core.releases import default_release

RELEASE = default_release()


def _nodes() -> list[Node]:
    return [
        Node(mac="52:54:00:00:00:03", name="node-3", roles=["compute"]),
        Node(mac="52:54:00:00:00:01", name="node-1", roles=["controller"]),
        Node(mac="52:54:00:00:00:02", name="node-2", roles=["compute"], ip="10.20.0.200"),
    ]


def test_fuel_defaults_neutron_gre() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    result = allocate(env, RELEASE, _nodes())
    assert result.findings == []
    assert result.vips == {
        "public": {"haproxy": "172.16.0.2", "vrouter": "172.16.0.3"},
        "management": {"haproxy": "192.168.0.2", "vrouter": "192.168.0.3"},
    }
    assert result.addresses["52:54:00:00:00:01"] == {
        "fuelweb_admin": "10.20.0.129/24",
        "public": "172.16.0.4/24",
        "management": "192.168.0.4/24",
        "storage": "192.168.1.2/24",
        "private": "192.168.2.2/24",
    }
    # Computes carry no public; node-2 keeps its DHCP lease on the admin network.
    assert result.addresses["52:54:00:00:00:02"] == {
        "fuelweb_admin": "10.20.0.200/24",
        "management": "192.168.0.5/24",
        "storage": "192.168.1.3/24",
        "private": "192.168.2.3/24",
    }
    assert result.addresses["52:54:00:00:00:03"]["fuelweb_admin"] == "10.20.0.130/24"


def test_neutron_vlan_private_and_nova_fixed_get_no_addresses() -> None:
    for mode, net in ((Mode.neutron_vlan, "private"), (Mode.nova_network, "fixed")):
        env = new_environment("t", RELEASE, mode)
        result = allocate(env, RELEASE, _nodes())
        assert all(net not in nets for nets in result.addresses.values())


def test_same_input_same_addresses_whatever_the_order() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    first = allocate(env, RELEASE, _nodes())
    shuffled = _nodes()
    random.Random(7).shuffle(shuffled)
    assert allocate(env, RELEASE, shuffled) == first


def test_public_to_all_nodes_and_gateway_never_given() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    env.settings.assign_public_to_all_nodes = True
    env.networks["management"].gateway = "192.168.0.2"
    result = allocate(env, RELEASE, _nodes())
    assert all("public" in nets for nets in result.addresses.values())
    assert result.vips["management"] == {"haproxy": "192.168.0.3", "vrouter": "192.168.0.4"}


def test_no_vips_without_a_controller() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    result = allocate(env, RELEASE, [Node(mac="52:54:00:00:00:09", name="c", roles=["compute"])])
    assert result.vips == {}
    assert result.addresses["52:54:00:00:00:09"]["management"] == "192.168.0.2/24"


def test_not_enough_ips_still_allocates_what_fits() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    env.networks["management"].cidr = "192.168.0.0/29"  # .2-.6: five addresses for 2 VIPs + 3 nodes
    assert allocate(env, RELEASE, _nodes()).findings == []
    env.networks["management"].cidr = "192.168.0.0/30"  # .2 only
    result = allocate(env, RELEASE, _nodes())
    [finding] = result.findings
    assert (finding.code, finding.path) == ("not-enough-ips", "environment.networks.management.cidr")
    assert "needs 5 address(es) (3 node(s) + 2 VIP(s))" in finding.message
    assert result.vips["management"] == {"haproxy": "192.168.0.2"}
