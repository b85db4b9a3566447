"""The domain model of a deployment: one place, used by every other part.

Values that an operator types (addresses, CIDRs, hostnames) are kept as the strings
they typed. The model only checks their *shape* (types, unknown keys); the rules in
`fueltui.core.rules` judge their *meaning* and explain themselves with findings, so
that a wrong address is a finding the operator can read, not a parser traceback.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Base of every model: unknown keys are errors, a typo must not pass silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


_MAC = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")


def normalize_mac(value: str) -> str:
    """MACs compare case-insensitively; store them lower-case with colons."""
    if _MAC.fullmatch(value) is not None:  # already stored so: every record read from the master
        return value
    text = value.strip().lower().replace("-", ":")
    # one regex, not a loop per character: every stored node's NICs pass here on each read
    # (bench/api.py: GET /nodes of 1 000 nodes)
    if _MAC.fullmatch(text) is None:
        raise ValueError(f"{value!r} is not a MAC address (expected six hex pairs, e.g. 52:54:00:aa:00:01)")
    return text


MacAddress = Annotated[str, AfterValidator(normalize_mac)]


# --------------------------------------------------------------------------- findings


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class Finding(Strict):
    """One thing the rules have to say: a stable code, where, and what to change."""

    code: str
    path: str
    message: str
    severity: Severity = Severity.error


# --------------------------------------------------------------------------- master


class DhcpPool(Strict):
    start: str
    end: str


class BootOptions(Strict):
    """The master's own settings, as Fuel's ISO took them on the kernel line."""

    interface: str = "eth0"
    ip: str
    netmask: str = "255.255.255.0"  # dotted quad, or a prefix length ("24" or "/24")
    gateway: str | None = None
    dns: list[str] = Field(default_factory=list)
    hostname: str = "fuel.domain.tld"
    ntp: list[str] = Field(default_factory=list)
    dhcp_pool: DhcpPool

    @field_validator("netmask", mode="before")
    @classmethod
    def _prefix_as_text(cls, value: object) -> object:
        # `netmask: 24` in YAML is a number; it means the prefix length "24".
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# --------------------------------------------------------------------------- release


class Mode(StrEnum):
    nova_network = "nova-network"
    neutron_gre = "neutron-gre"
    neutron_vlan = "neutron-vlan"


class RoleLimits(Strict):
    # `min` may name a setting ("storage.osd_pool_size") whose value is the minimum.
    min: int | str | None = None
    max: int | None = None
    recommended: int | None = None
    min_message: str | None = None
    max_message: str | None = None
    recommended_message: str | None = None


class Restriction(Strict):
    """The role is unavailable when every setting in `when` has the given value."""

    when: dict[str, bool | int | str]
    message: str


class RoleMeta(Strict):
    name: str
    description: str = ""
    conflicts: list[str] = Field(default_factory=list)
    limits: RoleLimits = Field(default_factory=RoleLimits)
    restrictions: list[Restriction] = Field(default_factory=list)
    has_primary: bool = False
    public: bool = False  # needs the public network even when it is not assigned to all nodes
    # Why the release cannot deploy this role at all (shown with the role, refused on nodes).
    unavailable: str | None = None


Notation = Literal["cidr", "ip_ranges"]


class NetworkMeta(Strict):
    """A logical network as the release defines it for a mode."""

    name: str
    cidr: str | None = None
    gateway: str | None = None
    ip_ranges: list[tuple[str, str]] = Field(default_factory=list)
    vlan: int | None = None
    use_gateway: bool = False
    notation: Notation | None = None
    map_priority: int = 2
    vips: list[str] = Field(default_factory=list)
    configurable: bool = True
    unmovable: bool = False  # fuelweb_admin: stays on the PXE NIC
    carries_vlan_range: bool = False  # neutron-vlan private: tagged, no CIDR


class NeutronParams(Strict):
    floating_ranges: list[tuple[str, str]] = Field(default_factory=list)
    vlan_range: tuple[int, int] | None = None
    gre_id_range: tuple[int, int] | None = None
    internal_cidr: str | None = None
    internal_gateway: str | None = None
    dns_nameservers: list[str] = Field(default_factory=list)
    base_mac: str | None = None


NetManager = Literal["FlatDHCPManager", "VlanManager"]


class NovaParams(Strict):
    net_manager: NetManager = "FlatDHCPManager"
    fixed_networks_cidr: str | None = None
    fixed_networks_vlan_start: int | None = None
    fixed_network_size: int = 256
    fixed_networks_amount: int = 1
    floating_ranges: list[tuple[str, str]] = Field(default_factory=list)
    dns_nameservers: list[str] = Field(default_factory=list)


class ModeMeta(Strict):
    """The networks and their parameters' defaults of one network mode."""

    networks: list[NetworkMeta]
    neutron: NeutronParams | None = None
    nova_network: NovaParams | None = None
    # Why the release cannot deploy this mode; its answers files are still fully checked.
    unavailable: str | None = None


TaskType = Literal["stage", "group", "shell", "upload_file", "script", "sync", "master_shell", "reboot"]


class GraphTask(Strict):
    """One node of the deployment graph (see `fueltui.core.graph`)."""

    id: str
    type: TaskType
    roles: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    requires: list[str] = Field(default_factory=list)
    required_for: list[str] = Field(default_factory=list)
    parameters: dict[str, object] = Field(default_factory=dict)


class OsImage(Strict):
    """The operating system the release installs, and where its packages come from."""

    name: str  # e.g. "debian-13-amd64": the image and the mirror's folder
    suite: str  # e.g. "trixie"
    upstream: str  # the Debian archive the master's mirror is synced from
    security_upstream: str | None = None
    security_suite: str | None = None
    keyring: str = "/usr/share/keyrings/debian-archive-keyring.gpg"
    # How a node running this OS names it (os-release PRETTY_NAME starts so): only such
    # nodes get the payload; others (before provisioning) deploy the base system only.
    pretty_name: str = "Debian GNU/Linux 13"
    base_packages: list[str] = Field(default_factory=list)  # in the OS image


class PayloadMeta(Strict):
    """The OpenStack payload: the packages each component installs from the mirror."""

    packages: dict[str, list[str]] = Field(default_factory=dict)
    mirror_only: list[str] = Field(default_factory=list)  # fetched alone, installed by no role

    def all_packages(self) -> list[str]:
        return sorted({p for pkgs in self.packages.values() for p in pkgs})


SettingType = Literal["text", "bool", "select", "int"]


class SettingField(Strict):
    """One field of the Settings page: `key` is its dotted path in `Environment.settings`."""

    key: str
    type: SettingType
    label: str
    description: str = ""
    default: bool | int | str
    choices: list[str] = Field(default_factory=list)  # select
    min: int | None = None  # int
    max: int | None = None
    # The field may not leave its default while a restriction holds (or ever, when unavailable).
    restrictions: list[Restriction] = Field(default_factory=list)
    unavailable: str | None = None
    locked_after_deploy: bool = False


class SettingsGroup(Strict):
    id: str
    label: str
    description: str = ""
    fields: list[SettingField]


class Release(Strict):
    id: str
    name: str
    openstack_version: str
    operating_system: str
    description: str = ""
    roles: dict[str, RoleMeta]
    modes: dict[Mode, ModeMeta]
    admin_network: NetworkMeta
    deployment_tasks: list[GraphTask] = Field(default_factory=list)
    os: OsImage | None = None
    payload: PayloadMeta | None = None
    settings: list[SettingsGroup] = Field(default_factory=list)


# --------------------------------------------------------------------------- environment


class NetworkConfig(Strict):
    """One logical network's settings; in an answers file every key is optional and an
    omitted one takes the release default (`vlan: null` said explicitly means untagged)."""

    cidr: str | None = None
    gateway: str | None = None
    ip_ranges: list[tuple[str, str]] | None = None
    vlan: int | None = None


class StorageSettings(Strict):
    volumes_lvm: bool = True
    volumes_ceph: bool = False
    images_ceph: bool = False
    ephemeral_ceph: bool = False
    objects_ceph: bool = False
    osd_pool_size: int = 2


class AccessSettings(Strict):
    """The cloud's administrator. The password is not here: the master generates it per
    environment and keeps it 0600 in its secrets (never a default, never in an export)."""

    user: str = "admin"
    tenant: str = "admin"
    email: str = "admin@localhost"


HorizonTls = Literal["off", "self-signed", "operator"]


class CommonSettings(Strict):
    debug: bool = False
    syslog: str = ""  # "host:port" of a remote syslog; empty: none
    kernel_params: str = ""  # extra kernel command line for deployed nodes
    horizon_tls: HorizonTls = "off"
    tls_cert: str = ""  # the operator's certificate (a path on the master), with horizon_tls: operator
    tls_key: str = ""


class Settings(Strict):
    storage: StorageSettings = Field(default_factory=StorageSettings)
    ceilometer: bool = False
    assign_public_to_all_nodes: bool = False
    access: AccessSettings = Field(default_factory=AccessSettings)
    common: CommonSettings = Field(default_factory=CommonSettings)


class EnvStatus(StrEnum):
    new = "new"
    deploying = "deploying"
    stopped = "stopped"
    operational = "operational"
    error = "error"


class Environment(Strict):
    """A cluster being built. `networks` holds every network of the mode, defaults merged."""

    name: str
    release: str
    mode: Mode
    networks: dict[str, NetworkConfig] = Field(default_factory=dict)
    neutron: NeutronParams | None = None
    nova_network: NovaParams | None = None
    settings: Settings = Field(default_factory=Settings)
    status: EnvStatus = EnvStatus.new


# --------------------------------------------------------------------------- nodes


class Nic(Strict):
    name: str
    mac: MacAddress
    state: Literal["up", "down", "unknown"] = "unknown"
    speed_mbps: int | None = None
    driver: str | None = None
    pxe: bool = False


class Cpu(Strict):
    model: str = ""
    count: int = 0


class Memory(Strict):
    total_bytes: int = 0


class Disk(Strict):
    name: str
    size_bytes: int = 0
    model: str | None = None
    rotational: bool | None = None
    by_path: str | None = None  # udev's /dev/disk/by-path name: stable across reboots, unlike vda/sda


class SystemInfo(Strict):
    manufacturer: str | None = None
    product: str | None = None
    serial: str | None = None


class NodeFacts(Strict):
    nics: list[Nic] = Field(default_factory=list)
    cpu: Cpu = Field(default_factory=Cpu)
    memory: Memory = Field(default_factory=Memory)
    disks: list[Disk] = Field(default_factory=list)
    system: SystemInfo = Field(default_factory=SystemInfo)
    os: str | None = None
    hostname: str | None = None
    warnings: list[str] = Field(default_factory=list)  # values the node sent that discovery rejected
    can_vlan: bool | None = None  # the kernel can make 802.1Q devices (None: not known)
    can_bond: bool | None = None  # the kernel can make bonding devices (None: not known)


class DiskAllocation(Strict):
    """One disk's share of a node's volumes (Configure Disks): volume id -> MiB."""

    disk: str  # the disk's by-path name when the node reports one, else its kernel name
    volumes: dict[str, int] = Field(default_factory=dict)

    @field_validator("volumes")
    @classmethod
    def _sizes(cls, value: dict[str, int]) -> dict[str, int]:
        for volume, mib in value.items():
            if mib < 0:
                raise ValueError(f"{volume}: a size cannot be negative ({mib} MiB)")
        return value


class NodeStatus(StrEnum):
    discover = "discover"
    provisioning = "provisioning"
    provisioned = "provisioned"
    deploying = "deploying"
    ready = "ready"
    error = "error"


class BondMode(StrEnum):
    """Fuel 6.1's bond modes (balance-slb was Open vSwitch's; see `fueltui.core.bonds`)."""

    active_backup = "active-backup"
    balance_slb = "balance-slb"
    lacp = "802.3ad"


class Bond(Strict):
    """NICs bonded into one device; networks are assigned to `name` as to a NIC. The options
    apply to LACP (802.3ad) only; `fueltui.core.rules.bonds` judges them."""

    name: str
    mode: BondMode = BondMode.active_backup
    slaves: list[str] = Field(default_factory=list)
    lacp_rate: Literal["slow", "fast"] | None = None
    xmit_hash_policy: Literal["layer2", "layer2+3", "layer3+4"] | None = None
    mtu: int | None = None


class Node(Strict):
    """A server on the admin network. Its identity is the MAC of its admin (PXE) NIC."""

    mac: MacAddress
    name: str
    ip: str | None = None
    status: NodeStatus = NodeStatus.discover
    online: bool = False
    untrusted: bool = False
    error: str | None = None
    environment: str | None = None
    facts: NodeFacts = Field(default_factory=NodeFacts)
    roles: list[str] = Field(default_factory=list)
    interfaces: dict[str, list[str]] = Field(default_factory=dict)  # NIC or bond name -> networks
    bonds: list[Bond] = Field(default_factory=list)
    mtu: dict[str, int] = Field(default_factory=dict)  # NIC name -> MTU (a bond's is in the bond)
    # Configure Disks: the operator's allocation; None follows the release's role defaults.
    disks: list[DiskAllocation] | None = None
    # Removed from its environment after it was deployed: it stays (roles, networks) until the
    # next deploy cleans it up (see `fueltui.core.lifecycle`).
    pending_deletion: bool = False

    @property
    def pxe_nic(self) -> Nic | None:
        for nic in self.facts.nics:
            if nic.pxe:
                return nic
        for nic in self.facts.nics:
            if nic.mac == self.mac:
                return nic
        return None
