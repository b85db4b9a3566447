"""Small builders for verification tests: an environment and nodes wired as a test says."""

from __future__ import annotations

from fueltui.core.model import Environment, Mode, NetworkConfig, Nic, Node, NodeFacts
from fueltui.core.releases import default_release

RELEASE = default_release()

# Each network on its own NIC, as the lab wires them: one bridge per NIC index.
ASSIGNMENT = {
    "eth0": ["fuelweb_admin", "private"],
    "eth1": ["management"],
    "eth2": ["storage"],
    "eth3": ["public"],
}


def environment(mode: Mode = Mode.neutron_gre, name: str = "demo") -> Environment:
    meta = RELEASE.modes[mode]
    networks = {
        n.name: NetworkConfig(cidr=n.cidr, gateway=n.gateway, ip_ranges=n.ip_ranges or None, vlan=n.vlan)
        for n in meta.networks
    }
    return Environment(
        name=name,
        release=RELEASE.id,
        mode=mode,
        networks=networks,
        neutron=meta.neutron,
        nova_network=meta.nova_network,
    )


def node(
    index: int, interfaces: dict[str, list[str]] | None = None, env: str | None = "demo", nics: int = 4
) -> Node:
    nic_list = [
        Nic(name=f"eth{k}", mac=f"52:54:00:00:{index:02x}:{k:02x}", state="up", pxe=k == 0)
        for k in range(nics)
    ]
    return Node(
        mac=nic_list[0].mac,
        name=f"node-{index}",
        online=True,
        environment=env,
        facts=NodeFacts(nics=nic_list),
        interfaces=dict(interfaces if interfaces is not None else ASSIGNMENT),
    )
