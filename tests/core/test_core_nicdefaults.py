"""Fuel's default NIC assignment."""

from __future__ import annotations

from fueltui.core.environment import networks_for_node, new_environment
from fueltui.core.model import Mode, Nic, Severity
from fueltui.core.nicdefaults import default_interfaces
from fueltui.core.releases import default_release

RELEASE = default_release()


def _nics(count: int, pxe: int = 0) -> list[Nic]:
    return [Nic(name=f"eth{i}", mac=f"52:54:00:00:01:{i:02x}", pxe=i == pxe) for i in range(count)]


def test_controller_with_two_nics_on_fuel_defaults() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    wanted = networks_for_node(env, RELEASE, ["controller"])
    assignment, notes = default_interfaces(_nics(2), wanted, env, RELEASE)
    assert assignment == {"eth0": ["fuelweb_admin", "management", "storage", "private"], "eth1": ["public"]}
    assert notes == []


def test_compute_gets_no_public_and_a_spare_nic_stays_empty() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_vlan)
    wanted = networks_for_node(env, RELEASE, ["compute"])
    assignment, notes = default_interfaces(_nics(3), wanted, env, RELEASE)
    assert assignment == {
        "eth0": ["fuelweb_admin", "management", "storage", "private"],
        "eth1": [],
        "eth2": [],
    }
    assert notes == []


def test_admin_follows_the_pxe_nic() -> None:
    env = new_environment("t", RELEASE, Mode.nova_network)
    wanted = networks_for_node(env, RELEASE, ["controller"])
    assignment, _ = default_interfaces(_nics(2, pxe=1), wanted, env, RELEASE)
    assert assignment == {"eth0": ["public", "management", "storage", "fixed"], "eth1": ["fuelweb_admin"]}


def test_untagged_leftover_goes_to_the_first_nic_with_a_warning() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    wanted = networks_for_node(env, RELEASE, ["controller"])
    assignment, notes = default_interfaces(_nics(1), wanted, env, RELEASE)
    assert assignment == {"eth0": ["fuelweb_admin", "public", "management", "storage", "private"]}
    assert [(n.code, n.severity) for n in notes] == [("untagged-conflict", Severity.warning)]


def test_same_vlan_goes_to_another_nic() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    env.networks["storage"].vlan = 101
    wanted = networks_for_node(env, RELEASE, ["compute"])
    assignment, notes = default_interfaces(_nics(2), wanted, env, RELEASE)
    assert assignment == {"eth0": ["fuelweb_admin", "management", "private"], "eth1": ["storage"]}
    assert notes == []


def test_no_nics() -> None:
    env = new_environment("t", RELEASE, Mode.neutron_gre)
    assert default_interfaces([], ["fuelweb_admin"], env, RELEASE) == ({}, [])


def test_nic_sets_match_for_bulk_editing() -> None:
    from fueltui.core.nicdefaults import nic_sets_match

    assert nic_sets_match([_nics(2), _nics(2)])
    assert nic_sets_match([])
    assert not nic_sets_match([_nics(2), _nics(3)])
    assert not nic_sets_match([_nics(2), _nics(2, pxe=1)])
