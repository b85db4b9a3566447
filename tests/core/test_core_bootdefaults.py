"""Boot options offered on a fresh machine follow the admin NIC's own subnet."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from fueltui.core.bootdefaults import FUEL_DEFAULTS, default_boot_options_for, dhcp_pool_for
from fueltui.core.rules import check_boot_options


def test_fuel_default_network_gives_fuel_defaults() -> None:
    opts = default_boot_options_for("10.20.0.2", 24, "10.20.0.1")
    assert opts == FUEL_DEFAULTS
    assert check_boot_options(opts) == []


def test_a_fresh_nic_gets_a_consistent_prefill() -> None:
    opts = default_boot_options_for("192.0.2.2", "24", "192.0.2.1", interface="ens3")
    assert (opts.interface, opts.ip, opts.netmask, opts.gateway) == (
        "ens3",
        "192.0.2.2",
        "255.255.255.0",
        "192.0.2.1",
    )
    assert (opts.dhcp_pool.start, opts.dhcp_pool.end) == ("192.0.2.129", "192.0.2.254")
    assert [f.code for f in check_boot_options(opts)] == []


def test_a_default_route_off_the_subnet_is_not_offered() -> None:
    assert default_boot_options_for("192.0.2.2", 24, "10.0.0.1").gateway is None
    assert default_boot_options_for("192.0.2.2", 24, None).gateway is None
    assert default_boot_options_for("192.0.2.2", 24, "192.0.2.255").gateway is None


@pytest.mark.parametrize(
    ("master", "cidr", "pool"),
    [
        ("10.20.0.2", "10.20.0.0/24", ("10.20.0.129", "10.20.0.254")),
        ("172.16.5.10", "172.16.0.0/16", ("172.16.128.1", "172.16.255.254")),
        ("192.168.1.200", "192.168.1.0/24", ("192.168.1.129", "192.168.1.199")),
        ("192.168.1.130", "192.168.1.0/24", ("192.168.1.131", "192.168.1.254")),
        ("10.0.0.1", "10.0.0.0/30", ("10.0.0.2", "10.0.0.2")),
        ("10.0.0.9", "10.0.0.8/29", ("10.0.0.13", "10.0.0.14")),
    ],
)
def test_pool_is_the_upper_half_without_the_master(master: str, cidr: str, pool: tuple[str, str]) -> None:
    found = dhcp_pool_for(IPv4Address(master), IPv4Network(cidr))
    assert found is not None and (str(found[0]), str(found[1])) == pool
    assert not found[0] <= IPv4Address(master) <= found[1]


def test_no_room_no_pool() -> None:
    assert dhcp_pool_for(IPv4Address("10.0.0.1"), IPv4Network("10.0.0.0/31")) is None
    opts = default_boot_options_for("10.0.0.1", 31, None)
    assert opts == FUEL_DEFAULTS  # beyond /30 there is nothing to derive


def test_unusable_address_falls_back_to_fuel_defaults() -> None:
    assert default_boot_options_for("not-an-ip", 24, None, interface="eth1") == FUEL_DEFAULTS.model_copy(
        update={"interface": "eth1"}
    )
    assert default_boot_options_for("192.0.2.2", "garbage", None).ip == "10.20.0.2"
