"""The node write with bonds: typed, revisioned, Fuel's bond rules refuse a bad bond with
its finding, unbonding keeps the networks, and apply/export carry bonds both ways."""

from __future__ import annotations

import pytest

from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, ConflictError
from fueltui.core.model import Bond, BondMode, Nic, NodeFacts
from masterfixtures import RunningMaster

MAC = "52:54:00:aa:00:01"


def discover(master: RunningMaster) -> None:
    nics = [
        Nic(name="eth0", mac=MAC, pxe=True, state="up"),
        Nic(name="eth1", mac="52:54:00:bb:00:01", state="up"),
        Nic(name="eth2", mac="52:54:00:cc:00:01", state="up"),
        Nic(name="eth3", mac="52:54:00:dd:00:01", state="up"),
    ]
    master.state.store.upsert_discovered(MAC, "10.20.0.3", NodeFacts(nics=nics))


async def test_bonds_are_written_checked_and_revisioned(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    await client.create_environment("prod")
    record = await client.update_node(MAC, (await client.node(MAC)).revision, environment="prod")
    bond = Bond(
        name="bond0", mode=BondMode.lacp, slaves=["eth1", "eth2"], xmit_hash_policy="layer3+4", mtu=9000
    )
    interfaces = {"eth0": ["fuelweb_admin"], "bond0": ["management", "storage"]}
    bonded = await client.update_node(
        MAC, record.revision, bonds=[bond], interfaces=interfaces, mtu={"eth3": 1400}
    )
    assert bonded.node.bonds == [bond]
    assert bonded.node.interfaces == interfaces and bonded.node.mtu == {"eth3": 1400}
    assert (await client.node(MAC)).node.bonds == [bond]  # stored, read back typed

    with pytest.raises(ConflictError):  # the revision read before the bond: stale
        await client.update_node(MAC, record.revision, bonds=[])

    pxe = Bond(name="bond1", slaves=["eth0", "eth3"])
    with pytest.raises(ApiError) as refused:
        await client.update_node(MAC, bonded.revision, bonds=[bond, pxe])
    assert refused.value.status == 422 and refused.value.code == "bond-pxe-slave"
    assert "eth0" in refused.value.message and "PXE" in refused.value.message
    with pytest.raises(ApiError) as admin:
        await client.update_node(MAC, bonded.revision, interfaces={"bond0": ["fuelweb_admin", "management"]})
    assert admin.value.code == "bond-admin-network"
    with pytest.raises(ApiError) as slave:
        await client.update_node(MAC, bonded.revision, interfaces={**interfaces, "eth1": ["public"]})
    assert slave.value.code == "bond-slave-has-networks"
    with pytest.raises(ApiError) as mtu:
        await client.update_node(MAC, bonded.revision, mtu={"eth3": 9001})
    assert mtu.value.code == "mtu-invalid"
    with pytest.raises(ApiError) as unknown:
        await client.update_node(MAC, bonded.revision, interfaces={"bond7": ["public"]})
    assert unknown.value.code == "unknown-nic"
    assert (await client.node(MAC)).revision == bonded.revision  # nothing refused was written

    unbonded = await client.update_node(MAC, bonded.revision, bonds=[])
    assert unbonded.node.bonds == []
    assert unbonded.node.interfaces == {"eth0": ["fuelweb_admin"], "eth1": ["management", "storage"]}


ANSWERS = """\
environment:
  name: lab
nodes:
  - mac: 52:54:00:aa:00:01
    name: ctrl-1
    roles: [controller]
    bonds:
      - {name: bond0, mode: 802.3ad, slaves: [eth1, eth2], lacp_rate: fast}
    interfaces:
      eth0: [fuelweb_admin, management, storage, private]
      bond0: [public]
"""


async def test_apply_and_export_carry_bonds(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    result = await client.apply(ANSWERS, source="lab.yaml")
    assert result.created, result.findings
    node = (await client.node(MAC)).node
    assert node.bonds == [Bond(name="bond0", mode=BondMode.lacp, slaves=["eth1", "eth2"], lacp_rate="fast")]
    exported = await client.export("lab")
    assert "bond0" in exported and "802.3ad" in exported
    assert (await client.apply(exported, source="export.yaml")).changes == []
    bad = ANSWERS.replace("[eth1, eth2]", "[eth0, eth2]")
    with pytest.raises(ApiError) as refused:
        await client.apply(bad, source="bad.yaml")
    found = [(f.code, f.path) for f in refused.value.findings or []]
    assert ("bond-pxe-slave", "nodes[0].bonds[0].slaves[0]") in found
    assert (await client.node(MAC)).node.bonds == node.bonds


async def test_a_node_leaving_its_environment_loses_its_bonds(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    result = await client.apply(ANSWERS, source="lab.yaml")
    assert result.created and (await client.node(MAC)).node.bonds
    await client.delete_environment("lab")
    node = (await client.node(MAC)).node
    assert (node.environment, node.bonds, node.interfaces) == (None, [], {})
    await client.apply(ANSWERS, source="lab.yaml")
    record = await client.node(MAC)
    moved = await client.update_node(MAC, record.revision, environment=None)
    assert moved.node.bonds == [] and moved.node.interfaces == {}
