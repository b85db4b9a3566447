"""One failing and one passing answers file for every finding code of the public contract."""

from __future__ import annotations

from typing import Any

import pytest

from answersbase import BASE, DELETE, changed
from fueltui.core.answers import Answers
from fueltui.core.model import Severity
from fueltui.core.rules import check_answers
from fueltui.core.rules.codes import CODES

PUBLIC = "environment.networks.public"
MGMT = "environment.networks.management"
NEUTRON = "environment.neutron"
NOVA_BASE = changed(
    {
        "environment.mode": "nova-network",
        "environment.neutron": DELETE,
        "nodes[0].interfaces.eth0": ["fuelweb_admin", "management", "storage", "fixed"],
        "nodes[1].interfaces.eth0": ["fuelweb_admin", "management", "storage", "fixed"],
        "nodes[1].interfaces.eth1": ["public"],  # nova-network: public on every node
    }
)
VLAN_BASE = changed({"environment.mode": "neutron-vlan"})
NODE0_IF = ["fuelweb_admin", "management", "storage", "private"]

# (code, path of the finding, changes that cause it, changes that do not, base document)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    # boot options
    ("ip-invalid", "master.ip", {"master.ip": "10.20.0.300"}, {"master.ip": "10.20.0.3"}, BASE),
    ("netmask-invalid", "master.netmask", {"master.netmask": "255.0.255.0"}, {"master.netmask": "24"}, BASE),
    (
        "gateway-outside-subnet",
        "master.gateway",
        {"master.gateway": "10.30.0.1"},
        {"master.gateway": "10.20.0.254", "master.dhcp_pool.end": "10.20.0.253"},
        BASE,
    ),
    (
        "hostname-invalid",
        "master.hostname",
        {"master.hostname": "Fuel_Host"},
        {"master.hostname": "fuel.lab"},
        BASE,
    ),
    ("dns-invalid", "master.dns[0]", {"master.dns": ["10.20.0.2"]}, {"master.dns": ["10.20.0.1"]}, BASE),
    (
        "dns-too-many",
        "master.dns",
        {"master.dns": ["1.1.1.1", "8.8.8.8", "8.8.4.4", "9.9.9.9"]},
        {"master.dns": ["1.1.1.1", "8.8.8.8", "8.8.4.4"]},
        BASE,
    ),
    (
        "dhcp-pool-invalid",
        "master.dhcp_pool.start",
        {"master.dhcp_pool": {"start": "10.20.0.254", "end": "10.20.0.129"}},
        {"master.dhcp_pool": {"start": "10.20.0.129", "end": "10.20.0.254"}},
        BASE,
    ),
    (
        "dhcp-pool-invalid",
        "master.dhcp_pool",
        {"master.gateway": "10.20.0.200"},
        {"master.gateway": "10.20.0.128"},
        BASE,
    ),
    (
        "dhcp-pool-outside-subnet",
        "master.dhcp_pool.end",
        {"master.dhcp_pool.end": "10.20.1.10"},
        {"master.dhcp_pool.end": "10.20.0.200"},
        BASE,
    ),
    (
        "dhcp-pool-contains-master",
        "master.dhcp_pool",
        {"master.dhcp_pool.start": "10.20.0.2"},
        {"master.dhcp_pool.start": "10.20.0.3"},
        BASE,
    ),
    # networks
    (
        "cidr-invalid",
        f"{PUBLIC}.cidr",
        {f"{PUBLIC}.cidr": "172.16.0.0/16x"},
        {f"{PUBLIC}.cidr": "172.16.0.0/24"},
        BASE,
    ),
    (
        "cidr-invalid",
        f"{MGMT}.cidr",
        {f"{MGMT}.cidr": "192.168.99.0/16"},
        {f"{MGMT}.cidr": "192.168.99.0/24"},
        BASE,
    ),
    (
        "cidr-invalid",
        f"{MGMT}.cidr",
        {f"{MGMT}.cidr": "192.168.0.0/31"},
        {f"{MGMT}.cidr": "192.168.0.0/30"},
        BASE,
    ),
    (
        "cidr-overlap",
        "environment.networks.storage.cidr",
        {"environment.networks.storage.cidr": "192.168.0.128/25"},
        {"environment.networks.storage.cidr": "192.168.5.0/24"},
        BASE,
    ),
    (
        "cidr-overlap",
        f"{MGMT}.cidr",
        {f"{MGMT}.cidr": "10.20.0.0/16"},  # the admin network
        {f"{MGMT}.cidr": "10.21.0.0/16"},
        BASE,
    ),
    (
        "reserved-address-space",
        f"{MGMT}.cidr",
        {f"{MGMT}.cidr": "127.0.0.0/24"},
        {f"{MGMT}.cidr": "126.0.0.0/24"},
        BASE,
    ),
    (
        "reserved-address-space",
        f"{MGMT}.cidr",
        {f"{MGMT}.cidr": "224.0.0.0/24"},
        {f"{MGMT}.cidr": "223.0.0.0/24"},
        BASE,
    ),
    (
        "gateway-outside-cidr",
        f"{PUBLIC}.gateway",
        {f"{PUBLIC}.gateway": "172.16.1.1"},
        {f"{PUBLIC}.gateway": "172.16.0.1"},
        BASE,
    ),
    (
        "gateway-outside-cidr",  # public needs a gateway
        f"{PUBLIC}.gateway",
        {f"{PUBLIC}.gateway": None},
        {f"{MGMT}.gateway": None},
        BASE,
    ),
    (
        "gateway-is-network-or-broadcast",
        f"{PUBLIC}.gateway",
        {f"{PUBLIC}.gateway": "172.16.0.255"},
        {f"{PUBLIC}.gateway": "172.16.0.127"},
        BASE,
    ),
    (
        "gateway-in-range",
        f"{PUBLIC}.gateway",
        {f"{PUBLIC}.gateway": "172.16.0.126"},
        {f"{PUBLIC}.gateway": "172.16.0.127"},
        BASE,
    ),
    (
        "range-invalid",
        f"{PUBLIC}.ip_ranges[0]",
        {f"{PUBLIC}.ip_ranges": [["172.16.0.126", "172.16.0.2"]]},
        {f"{PUBLIC}.ip_ranges": [["172.16.0.2", "172.16.0.2"]]},
        BASE,
    ),
    (
        "range-outside-cidr",
        f"{PUBLIC}.ip_ranges[0]",
        {f"{PUBLIC}.ip_ranges": [["172.15.255.250", "172.16.0.100"]]},
        {f"{PUBLIC}.ip_ranges": [["172.16.0.2", "172.16.0.100"]]},
        BASE,
    ),
    (
        "range-overlap",
        f"{PUBLIC}.ip_ranges[1]",
        {f"{PUBLIC}.ip_ranges": [["172.16.0.2", "172.16.0.60"], ["172.16.0.60", "172.16.0.100"]]},
        {f"{PUBLIC}.ip_ranges": [["172.16.0.2", "172.16.0.60"], ["172.16.0.61", "172.16.0.100"]]},
        BASE,
    ),
    (
        "floating-outside-public",
        f"{NEUTRON}.floating_ranges[0]",
        {f"{NEUTRON}.floating_ranges": [["172.16.0.200", "172.16.1.20"]]},
        {f"{NEUTRON}.floating_ranges": [["172.16.0.200", "172.16.0.254"]]},
        BASE,
    ),
    (
        "floating-overlaps-public-range",
        f"{NEUTRON}.floating_ranges[0]",
        {f"{NEUTRON}.floating_ranges": [["172.16.0.126", "172.16.0.200"]]},
        {f"{NEUTRON}.floating_ranges": [["172.16.0.127", "172.16.0.200"]]},
        BASE,
    ),
    ("vlan-out-of-range", f"{MGMT}.vlan", {f"{MGMT}.vlan": 4095}, {f"{MGMT}.vlan": 4094}, BASE),
    ("vlan-out-of-range", f"{MGMT}.vlan", {f"{MGMT}.vlan": 1}, {f"{MGMT}.vlan": 2}, NOVA_BASE),
    (
        "vlan-in-segmentation-range",
        f"{MGMT}.vlan",
        {f"{MGMT}.vlan": 1030},
        {f"{MGMT}.vlan": 1031},
        VLAN_BASE,
    ),
    (
        "id-range-invalid",
        f"{NEUTRON}.gre_id_range",
        {f"{NEUTRON}.gre_id_range": [2, 65536]},
        {f"{NEUTRON}.gre_id_range": [2, 65535]},
        BASE,
    ),
    (
        "id-range-invalid",
        f"{NEUTRON}.vlan_range",
        {f"{NEUTRON}.vlan_range": [1031, 1000]},
        {f"{NEUTRON}.vlan_range": [1000, 1000]},
        VLAN_BASE,
    ),
    (
        "internal-gateway-outside-cidr",
        f"{NEUTRON}.internal_gateway",
        {f"{NEUTRON}.internal_gateway": "192.168.112.1"},
        {f"{NEUTRON}.internal_gateway": "192.168.111.254"},
        BASE,
    ),
    (
        "internal-cidr-overlap",
        f"{NEUTRON}.internal_cidr",
        {f"{NEUTRON}.internal_cidr": "172.16.0.0/16", f"{NEUTRON}.internal_gateway": "172.16.200.1"},
        {f"{NEUTRON}.internal_cidr": "172.17.0.0/16", f"{NEUTRON}.internal_gateway": "172.17.200.1"},
        BASE,
    ),
    (
        "dns-duplicate",
        f"{NEUTRON}.dns_nameservers[1]",
        {f"{NEUTRON}.dns_nameservers": ["8.8.8.8", "8.8.8.8"]},
        {f"{NEUTRON}.dns_nameservers": ["8.8.4.4", "8.8.8.8"]},
        BASE,
    ),
    (
        "not-enough-ips",  # one controller: 1 node + 2 VIPs
        f"{PUBLIC}.ip_ranges",
        {f"{PUBLIC}.ip_ranges": [["172.16.0.2", "172.16.0.3"]]},
        {f"{PUBLIC}.ip_ranges": [["172.16.0.2", "172.16.0.4"]]},
        BASE,
    ),
    (
        "not-enough-ips",
        "master.dhcp_pool",
        {"master.dhcp_pool.end": "10.20.0.129"},
        {"master.dhcp_pool.end": "10.20.0.130"},
        BASE,
    ),
    (
        "fixed-networks-dont-fit",
        "environment.nova_network.fixed_network_size",
        {"environment.nova_network": {"fixed_networks_cidr": "10.0.0.0/24", "fixed_networks_amount": 2}},
        {"environment.nova_network": {"fixed_networks_cidr": "10.0.0.0/23", "fixed_networks_amount": 2}},
        NOVA_BASE,
    ),
    (
        "range-invalid",
        f"{NEUTRON}.floating_ranges",
        {f"{NEUTRON}.floating_ranges": []},
        {f"{NEUTRON}.floating_ranges": [["172.16.0.254", "172.16.0.254"]]},
        BASE,
    ),
    (
        "internal-gateway-outside-cidr",
        f"{NEUTRON}.internal_gateway",
        {f"{NEUTRON}.internal_gateway": None},
        {f"{NEUTRON}.internal_gateway": "192.168.111.1"},
        BASE,
    ),
    (
        "vlan-in-segmentation-range",  # nova VlanManager: the fixed networks' VLANs are the tenants'
        f"{MGMT}.vlan",
        {
            "environment.nova_network": {"net_manager": "VlanManager", "fixed_networks_amount": 10},
            f"{MGMT}.vlan": 112,
        },
        {
            "environment.nova_network": {"net_manager": "VlanManager", "fixed_networks_amount": 10},
            f"{MGMT}.vlan": 113,
        },
        NOVA_BASE,
    ),
    (
        "gateway-outside-cidr",  # an explicit admin network in the environment is judged too
        "environment.networks.fuelweb_admin.gateway",
        {"environment.networks.fuelweb_admin": {"cidr": "10.20.0.0/24", "gateway": "10.21.0.1"}},
        {"environment.networks.fuelweb_admin": {"cidr": "10.20.0.0/24", "gateway": "10.20.0.1"}},
        BASE,
    ),
    (
        "not-enough-ips",  # public uses range notation: no ranges, no addresses
        f"{PUBLIC}.ip_ranges",
        {f"{PUBLIC}.ip_ranges": []},
        {f"{PUBLIC}.ip_ranges": [["172.16.0.10", "172.16.0.12"]]},
        BASE,
    ),
    (
        "range-includes-network-or-broadcast",
        f"{PUBLIC}.ip_ranges[0]",
        {f"{PUBLIC}.ip_ranges": [["172.16.0.0", "172.16.0.126"]], f"{PUBLIC}.gateway": "172.16.0.254"},
        {f"{PUBLIC}.ip_ranges": [["172.16.0.1", "172.16.0.126"]], f"{PUBLIC}.gateway": "172.16.0.254"},
        changed({f"{NEUTRON}.floating_ranges": [["172.16.0.130", "172.16.0.250"]]}),
    ),
    (
        "range-includes-network-or-broadcast",
        f"{MGMT}.ip_ranges[0]",
        {f"{MGMT}.ip_ranges": [["192.168.0.2", "192.168.0.255"]]},
        {f"{MGMT}.ip_ranges": [["192.168.0.2", "192.168.0.254"]]},
        BASE,
    ),
    (
        "range-includes-network-or-broadcast",
        f"{NEUTRON}.floating_ranges[0]",
        {f"{NEUTRON}.floating_ranges": [["172.16.0.130", "172.16.0.255"]]},
        {f"{NEUTRON}.floating_ranges": [["172.16.0.130", "172.16.0.254"]]},
        BASE,
    ),
    # roles
    (
        "role-unknown",
        "nodes[1].roles[0]",
        {"nodes[1].roles": ["computer"]},
        {"nodes[1].roles": ["compute"]},
        BASE,
    ),
    (
        "role-conflict",
        "nodes[0].roles[1]",
        {"nodes[0].roles": ["controller", "compute"]},
        {"nodes[0].roles": ["controller", "cinder"]},
        BASE,
    ),
    ("role-min", "nodes", {"nodes[0].roles": ["cinder"]}, {"nodes[0].roles": ["controller"]}, BASE),
    (
        "role-restricted",  # the release cannot deploy MongoDB at all
        "nodes[1].roles[1]",
        {"nodes[1].roles": ["compute", "mongo"]},
        {"nodes[1].roles": ["compute", "base-os"]},
        BASE,
    ),
    # interfaces and nodes
    (
        "nic-unknown",
        "nodes[0].interfaces.eth2",
        {"nodes[0].interfaces": {"eth0": NODE0_IF, "eth2": ["public"]}},
        {"nodes[0].interfaces": {"eth0": NODE0_IF, "eth1": ["public"]}},
        BASE,
    ),
    (
        "network-unknown",
        "nodes[0].interfaces.eth1[1]",
        {"nodes[0].interfaces.eth1": ["public", "publik"]},
        {"nodes[0].interfaces.eth1": ["public"]},
        BASE,
    ),
    (
        "network-unknown",
        "environment.networks.publik",
        {"environment.networks.publik": {"vlan": 200}},
        {"environment.networks.storage": {"vlan": 200}},
        BASE,
    ),
    (
        "admin-not-on-pxe",
        "nodes[0].interfaces.eth1[1]",
        {"nodes[0].interfaces": {"eth0": [*NODE0_IF[1:], "public"], "eth1": ["private", "fuelweb_admin"]}},
        {"nodes[0].interfaces": {"eth0": ["fuelweb_admin", *NODE0_IF[1:3]], "eth1": ["private", "public"]}},
        BASE,
    ),
    (
        "untagged-conflict",
        "nodes[0].interfaces.eth0",
        {"nodes[0].interfaces": {"eth0": [*NODE0_IF, "public"], "eth1": []}},
        {f"{PUBLIC}.vlan": 100, "nodes[0].interfaces": {"eth0": [*NODE0_IF, "public"], "eth1": []}},
        BASE,
    ),
    (
        "vlan-duplicate-on-nic",
        "nodes[0].interfaces.eth0[2]",
        {"environment.networks.storage": {"vlan": 101}},
        {"environment.networks.storage": {"vlan": 104}},
        BASE,
    ),
    (
        "network-unassigned",
        "nodes[0].interfaces",
        {"nodes[0].interfaces.eth0": NODE0_IF[:3]},
        {"nodes[0].interfaces.eth1": ["public", "private"], "nodes[0].interfaces.eth0": NODE0_IF[:3]},
        BASE,
    ),
    (
        "network-duplicate",
        "nodes[0].interfaces.eth1[1]",
        {"nodes[0].interfaces.eth1": ["public", "storage"]},
        {"nodes[0].interfaces.eth1": ["public"]},
        BASE,
    ),
    (
        "node-duplicate",
        "nodes[1].mac",
        {"nodes[1].mac": "52:54:00:AA:00:01"},  # MACs compare case-insensitively
        {"nodes[1].mac": "52:54:00:AA:00:03"},
        BASE,
    ),
    (
        "network-unassigned",  # nova-network: a compute needs public too
        "nodes[1].interfaces",
        {"nodes[1].interfaces.eth1": []},
        {"nodes[1].interfaces.eth1": ["public"]},
        NOVA_BASE,
    ),
    (
        "nic-name-invalid",
        "nodes[0].nics[1].name",
        {"nodes[0].nics[1].name": "eth1;touch x", "nodes[0].interfaces.eth1": DELETE},
        {"nodes[0].nics[1].name": "eth1.5", "nodes[0].interfaces": {"eth0": NODE0_IF, "eth1.5": ["public"]}},
        BASE,
    ),
    (
        "nic-name-invalid",
        "nodes[0].interfaces",
        {"nodes[0].nics": DELETE, "nodes[0].interfaces": {"eth0": NODE0_IF, "eth0;touch x": ["public"]}},
        {"nodes[0].nics": DELETE, "nodes[0].interfaces": {"eth0": NODE0_IF, "eth1": ["public"]}},
        BASE,
    ),
    (
        "nic-name-invalid",
        "master.interface",
        {"master.interface": "eth0\nAddress=1.2.3.4/8"},
        {"master.interface": "br-admin"},
        BASE,
    ),
    (
        "environment-name-invalid",
        "environment.name",
        {"environment.name": "../../etc;x"},
        {"environment.name": "prod-1.a_b"},
        BASE,
    ),
    ("hostname-duplicate", "nodes[1].name", {"nodes[1].name": "node-1"}, {"nodes[1].name": "node-01"}, BASE),
    ("hostname-invalid", "nodes[1].name", {"nodes[1].name": "node_2"}, {"nodes[1].name": "node-2"}, BASE),
    (
        "release-unknown",
        "environment.release",
        {"environment.release": "kilo"},
        {"environment.release": DELETE},
        BASE,
    ),
]


def _findings(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.code, f.path, f.severity.value) for f in check_answers(Answers.model_validate(data))]


def test_the_base_documents_have_no_errors() -> None:
    for base in (BASE, NOVA_BASE, VLAN_BASE):
        errors = [f for f in _findings(base) if f[2] == Severity.error]
        # nova-network is checked in full, and refused as a mode this release cannot deploy.
        expected = [("mode-unavailable", "mode", "error")] if base is NOVA_BASE else []
        assert errors == expected


def test_mode_unavailable_fails_and_passes() -> None:
    assert ("mode-unavailable", "mode", "error") in _findings(NOVA_BASE)
    assert all(f[0] != "mode-unavailable" for f in _findings(BASE))


@pytest.mark.parametrize(
    ("code", "path", "bad", "good", "base"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_code_fails_and_passes(
    code: str, path: str, bad: dict[str, Any], good: dict[str, Any], base: dict[str, Any]
) -> None:
    failing = _findings(changed(bad, base))
    assert (code, path, "error") in failing, failing
    passing = _findings(changed(good, base))
    assert all(f[0] != code for f in passing), passing


PUBLIC_CODES = """
    ip-invalid netmask-invalid gateway-outside-subnet hostname-invalid dns-invalid dns-too-many
    dhcp-pool-invalid dhcp-pool-outside-subnet dhcp-pool-contains-master
    cidr-invalid cidr-overlap reserved-address-space gateway-outside-cidr
    gateway-is-network-or-broadcast gateway-in-range range-invalid range-outside-cidr range-overlap
    floating-outside-public floating-overlaps-public-range vlan-out-of-range
    vlan-in-segmentation-range id-range-invalid internal-gateway-outside-cidr
    internal-cidr-overlap dns-duplicate not-enough-ips fixed-networks-dont-fit
    role-unknown role-conflict role-min role-max role-recommended role-restricted
    nic-unknown network-unknown admin-not-on-pxe untagged-conflict vlan-duplicate-on-nic
    network-unassigned network-duplicate node-duplicate hostname-duplicate
    range-includes-network-or-broadcast nic-name-invalid environment-name-invalid
"""


def test_every_public_code_has_a_case() -> None:
    public = set(PUBLIC_CODES.split())
    assert len(public) == 46  # 9 boot options, 20 networks, 6 roles, 10 interfaces and nodes, 1 name
    covered = {case[0] for case in CASES} | {"role-max", "role-recommended"}  # in test_core_roles
    assert public - covered == set()
    assert public <= set(CODES)
    assert covered <= set(CODES)
