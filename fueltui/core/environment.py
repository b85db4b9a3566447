"""Environments: creation with the release defaults, merging an answers file, export.

An `Environment` holds every network of its mode with every key filled in (defaults merged),
so it reads the same after a JSON round trip. `effective_network` gives a network's settings
as the rules and the allocator see them: the release's metadata with the environment's values.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TypeVar

from fueltui.core.addr import parse_ip, parse_netmask
from fueltui.core.answers import Answers, AnswersEnvironment, AnswersNode
from fueltui.core.model import (
    BootOptions,
    Environment,
    Mode,
    NetworkConfig,
    NetworkMeta,
    NeutronParams,
    Node,
    NovaParams,
    Release,
    Settings,
)

ADMIN = "fuelweb_admin"
PUBLIC = "public"
CONFIG_KEYS = ("cidr", "gateway", "ip_ranges", "vlan")
VLAN_ID_LIMIT = 4094


def mode_networks(release: Release, mode: Mode) -> list[NetworkMeta]:
    meta = release.modes.get(mode)
    return list(meta.networks) if meta is not None else []


def _config_of(meta: NetworkMeta) -> NetworkConfig:
    return NetworkConfig(cidr=meta.cidr, gateway=meta.gateway, ip_ranges=list(meta.ip_ranges), vlan=meta.vlan)


P = TypeVar("P", NeutronParams, NovaParams)


def _merge_params(default: P | None, given: P | None) -> P | None:
    if given is None:
        return default.model_copy(deep=True) if default is not None else None
    if default is None:
        return given.model_copy(deep=True)
    updates = {key: getattr(given, key) for key in given.model_fields_set}
    merged = default.model_copy(deep=True, update=updates)
    return type(default).model_validate(merged.model_dump())


def new_environment(
    name: str, release: Release, mode: Mode | str, master: BootOptions | None = None
) -> Environment:
    """A new environment with every release default of the mode filled in. With `master`, the
    admin network is the master's (subnet, DHCP pool), as `environment_from_answers` makes it."""
    mode = Mode(mode)
    meta = release.modes.get(mode)
    networks = {net.name: _config_of(net) for net in mode_networks(release, mode)}
    admin = admin_network_from_boot(master) if master is not None else None
    if admin is not None:
        networks[ADMIN] = admin
    return Environment(
        name=name,
        release=release.id,
        mode=mode,
        networks=networks,
        neutron=_merge_params(meta.neutron if meta else None, None),
        nova_network=_merge_params(meta.nova_network if meta else None, None),
    )


def admin_network_from_boot(opts: BootOptions) -> NetworkConfig | None:
    """The admin network as the master's boot options define it (None when they are invalid):
    its subnet, the DHCP pool as the nodes' range, the master as the nodes' gateway."""
    prefix = parse_netmask(opts.netmask)
    ip = parse_ip(opts.ip)
    if prefix is None or ip is None:
        return None
    net = ipaddress.IPv4Interface(f"{ip}/{prefix}").network
    return NetworkConfig(
        cidr=str(net), gateway=opts.ip, ip_ranges=[(opts.dhcp_pool.start, opts.dhcp_pool.end)], vlan=None
    )


def environment_from_answers(
    spec: AnswersEnvironment, release: Release, master: BootOptions | None = None
) -> Environment:
    """The environment an answers file describes: release defaults with the file's values over
    them, key by key. Networks the mode does not know are kept, so the rules can report them.
    With `master`, the admin network follows the master's boot options."""
    env = new_environment(spec.name, release, spec.mode, master if ADMIN not in spec.networks else None)
    for name, given in spec.networks.items():
        if name in env.networks:
            base: dict[str, object] = env.networks[name].model_dump()
        elif name == ADMIN:
            base = _config_of(release.admin_network).model_dump()
        else:
            base = {}  # unknown to the mode: kept as given for the rules to report
        updates = {key: getattr(given, key) for key in given.model_fields_set}
        env.networks[name] = NetworkConfig.model_validate({**base, **updates})
    env.neutron = _merge_params(env.neutron, spec.neutron)
    env.nova_network = _merge_params(env.nova_network, spec.nova_network)
    if spec.settings is not None:
        env.settings = spec.settings.model_copy(deep=True)
    return env


def effective_network(env: Environment, release: Release, name: str) -> NetworkMeta:
    """The release's metadata of a network with the environment's values applied. Keys of the
    environment's config that were never set keep the release value."""
    meta = release.admin_network if name == ADMIN else None
    for net in mode_networks(release, env.mode):
        if net.name == name:
            meta = net
    if meta is None:
        meta = NetworkMeta(name=name)
    config = env.networks.get(name)
    if config is None:
        return meta
    updates = {key: getattr(config, key) for key in config.model_fields_set if key in CONFIG_KEYS}
    if updates.get("ip_ranges") is None:
        updates.pop("ip_ranges", None)
    return meta.model_copy(update=updates)


def network_names(env: Environment, release: Release) -> list[str]:
    """The admin network then the mode's networks, in the release's order."""
    return [ADMIN, *(net.name for net in mode_networks(release, env.mode))]


def networks_for_node(env: Environment, release: Release, roles: Iterable[str]) -> list[str]:
    """The networks a node with these roles must carry. Public only on roles that need it
    (controllers) unless the environment assigns public to all nodes — or runs nova-network,
    whose every compute routes its instances' floating IPs itself (Fuel: multi-host)."""
    roles = list(roles)
    needs_public = (
        env.mode == Mode.nova_network
        or env.settings.assign_public_to_all_nodes
        or any(release.roles[r].public for r in roles if r in release.roles)
    )
    return [name for name in network_names(env, release) if name != PUBLIC or needs_public]


def network_is_tagged(env: Environment, release: Release, name: str) -> bool:
    """Tagged networks may share a NIC with one untagged network."""
    meta = effective_network(env, release, name)
    if meta.carries_vlan_range:
        return True
    if name == "fixed" and env.nova_network is not None:
        nova = env.nova_network
        return nova.net_manager == "VlanManager" or nova.fixed_networks_vlan_start is not None
    return meta.vlan is not None


def network_vlans(env: Environment, release: Release, name: str) -> list[int]:
    """The VLAN ids a network uses on a NIC (one tag, or the fixed networks' tags)."""
    meta = effective_network(env, release, name)
    nova = env.nova_network
    if name == "fixed" and nova is not None and nova.fixed_networks_vlan_start is not None:
        start = nova.fixed_networks_vlan_start
        count = nova.fixed_networks_amount if nova.net_manager == "VlanManager" else 1
        return list(range(start, min(start + max(count, 1), VLAN_ID_LIMIT + 1)))  # beyond 4094: not tags
    return [meta.vlan] if meta.vlan is not None else []


# --------------------------------------------------------------------------- export


def answers_environment(
    env: Environment, release: Release, master: BootOptions | None = None
) -> AnswersEnvironment:
    """The full answers form of an environment: every key written out (`vlan: null` included),
    so applying it gives back the same environment. The admin network is written only when it
    is not what the master's boot options (`master`) give."""
    admin = env.networks.get(ADMIN)
    keep_admin = admin is not None and (master is None or admin != admin_network_from_boot(master))
    networks = {
        name: NetworkConfig(
            cidr=config.cidr, gateway=config.gateway, ip_ranges=config.ip_ranges, vlan=config.vlan
        )
        for name, config in env.networks.items()
        if name != ADMIN or keep_admin
    }
    fields: dict[str, object] = {
        "name": env.name,
        "release": env.release,
        "mode": env.mode,
        "networks": networks,
        "settings": Settings.model_validate(env.settings.model_dump()),
    }
    if env.neutron is not None:
        fields["neutron"] = NeutronParams.model_validate(env.neutron.model_dump())
    if env.nova_network is not None:
        fields["nova_network"] = NovaParams.model_validate(env.nova_network.model_dump())
    return AnswersEnvironment.model_validate(fields)


def answers_node(node: Node) -> AnswersNode:
    fields: dict[str, object] = {"mac": node.mac, "name": node.name, "roles": list(node.roles)}
    if node.facts.nics:
        fields["nics"] = [nic.model_copy() for nic in node.facts.nics]
    if node.interfaces:
        fields["interfaces"] = {nic: list(nets) for nic, nets in node.interfaces.items()}
    if node.bonds:
        fields["bonds"] = [bond.model_copy() for bond in node.bonds]
    if node.mtu:
        fields["mtu"] = dict(node.mtu)
    if node.disks is not None:  # the defaults are not written: they follow the roles
        fields["disks"] = {alloc.disk: dict(alloc.volumes) for alloc in node.disks}
    return AnswersNode.model_validate(fields)


def answers_from_environment(
    env: Environment, release: Release, nodes: Iterable[Node], master: BootOptions | None = None
) -> Answers:
    """An answers document for an environment, its nodes and optionally the master."""
    fields: dict[str, object] = {
        "environment": answers_environment(env, release, master),
        "nodes": [answers_node(n) for n in nodes],
    }
    if master is not None:
        fields["master"] = master.model_copy(deep=True)
    return Answers.model_validate(fields)
