"""What the payload's scripts need beyond one node's network scheme: the cloud as a whole.

`PayloadData` is built by the master for a deployment (`build_payload`) and attached to
every node's `NodeConfig`; the renderers read nothing else. Secrets are generated once per
environment by the master and kept 0600 in its state directory, never in the database,
the answers file, an export or a log line.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets as _secrets
from collections.abc import Mapping, Sequence

from pydantic import Field

from fueltui.core.environment import PUBLIC, effective_network
from fueltui.core.model import Environment, Mode, Release, Strict

MANAGEMENT = "management"
PRIVATE = "private"
# Services with their own database and service user (name -> keystone service type).
SERVICES = ("keystone", "glance", "placement", "nova", "neutron")
SECRET_NAMES = (
    "admin",
    "rabbit",
    "metadata",
    "horizon_key",
    *(f"db_{s}" for s in SERVICES),
    *(f"user_{s}" for s in SERVICES if s != "keystone"),
    "erlang_cookie",  # HA: the RabbitMQ cluster's shared cookie
    "vrrp",  # HA: keepalived's VRRP password
)
# HA: Keystone's Fernet and credential keys, the same on every controller (a token issued
# by one validates on the others). Fernet keys are 32 random bytes, URL-safe base64.
KEY_NAMES = ("fernet_0", "fernet_1", "credential_0", "credential_1")


HTTP_PORT = 8080  # the master's read-only file server on the admin network


def mirror_url(master_ip: str, os_name: str) -> str:
    """The repository as nodes see it: the master's file server on the admin network."""
    return f"http://{master_ip}:{HTTP_PORT}/mirror/{os_name}/repo"


class PayloadSecrets(Strict):
    """Every password of one environment: `values[name]`, 32 random URL-safe characters."""

    values: dict[str, str] = Field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    @classmethod
    def generate(cls, existing: Mapping[str, str] | None = None) -> PayloadSecrets:
        """Keep what exists (a redeploy must not rotate passwords), add what is missing."""
        values = dict(existing or {})
        for name in SECRET_NAMES:
            if not values.get(name):
                values[name] = _secrets.token_hex(16)
        for name in KEY_NAMES:
            if not values.get(name):
                values[name] = base64.urlsafe_b64encode(os.urandom(32)).decode()
        return cls(values=values)


class PublicTls(Strict):
    """Horizon's TLS on the public VIP (the Settings page's public TLS): the pair the master
    generated (self-signed) or the operator gave, as PEM. The key is a secret like the
    passwords: kept 0600 on the master, shipped to controllers inside their scripts only."""

    cert: str  # the certificate first, then any chain the operator's file carries
    key: str
    host: str  # the name clients check: the public VIP, or the operator certificate's DNS name


class PayloadData(Strict):
    os_name: str
    suite: str
    mirror_url: str
    health_image_url: str  # the master's test guest (kernel + initramfs), next to the mirror
    mirror_key: str  # the mirror's public signing key (armored)
    packages: dict[str, list[str]] = Field(default_factory=dict)
    mode: Mode
    region: str = "RegionOne"
    admin_user: str = "admin"
    admin_project: str = "admin"
    management_vip: str
    management_prefix: int
    public_vip: str
    public_prefix: int
    public_cidr: str
    public_gateway: str | None = None
    floating_range: tuple[str, str]
    internal_cidr: str
    internal_gateway: str
    dns_nameservers: list[str] = Field(default_factory=list)
    gre_id_range: tuple[int, int] | None = None
    vlan_range: tuple[int, int] | None = None
    controllers: list[str] = Field(default_factory=list)  # names; the first is the primary
    # HA only (several controllers): name -> network -> address (no prefix).
    controller_addresses: dict[str, dict[str, str]] = Field(default_factory=dict)
    secrets: PayloadSecrets
    debug: bool = False  # the Settings page's debug logging: `debug = true` in every service
    syslog: str = ""  # the Settings page's remote syslog, host:port ("": none)
    kernel_params: str = ""  # the Settings page's kernel parameters ("": none)
    tls: PublicTls | None = None  # the Settings page's public TLS for Horizon (None: off)

    @property
    def keystone_public(self) -> str:
        return f"http://{self.public_vip}:5000/v3"

    @property
    def keystone_internal(self) -> str:
        return f"http://{self.management_vip}:5000/v3"

    @property
    def horizon_url(self) -> str:
        if self.tls is not None:
            return f"https://{self.tls.host}/"
        return f"http://{self.public_vip}/"


def network_vip(vips: Mapping[str, Mapping[str, str]], network: str) -> str | None:
    """The VIP the cloud answers on in `network` ("ip/prefix"): HAProxy's, else the only one."""
    found = vips.get(network, {})
    return found.get("haproxy") or next(iter(found.values()), None)


def _prefix(cidr: str | None) -> int:
    return ipaddress.ip_network(cidr, strict=False).prefixlen if cidr else 24


def build_payload(
    env: Environment,
    release: Release,
    vips: Mapping[str, Mapping[str, str]],
    controllers: Sequence[str],
    master_ip: str,
    mirror_key: str,
    secrets: PayloadSecrets,
    addresses: Mapping[str, Mapping[str, str]] | None = None,
    tls: PublicTls | None = None,
) -> PayloadData | None:
    """The payload of a Neutron environment whose release has one; None otherwise (a release
    without a payload deploys the base system only). `addresses`: node name -> network ->
    "ip/prefix", read for the controllers of an HA layout (more than one)."""
    if release.os is None or release.payload is None or env.neutron is None:
        return None
    management = effective_network(env, release, MANAGEMENT)
    public = effective_network(env, release, PUBLIC)
    mgmt_vip, public_vip = network_vip(vips, MANAGEMENT), network_vip(vips, PUBLIC)
    if not mgmt_vip or not public_vip or not public.cidr or not env.neutron.floating_ranges:
        return None
    neutron = env.neutron
    return PayloadData(
        os_name=release.os.name,
        suite=release.os.suite,
        mirror_url=mirror_url(master_ip, release.os.name),
        health_image_url=f"http://{master_ip}:{HTTP_PORT}/mirror/images/health",
        mirror_key=mirror_key,
        packages=release.payload.packages,
        mode=env.mode,
        management_vip=mgmt_vip.split("/")[0],
        management_prefix=_prefix(management.cidr),
        public_vip=public_vip.split("/")[0],
        public_prefix=_prefix(public.cidr),
        public_cidr=public.cidr,
        public_gateway=public.gateway,
        floating_range=neutron.floating_ranges[0],
        internal_cidr=neutron.internal_cidr or "192.168.111.0/24",
        internal_gateway=neutron.internal_gateway or "192.168.111.1",
        dns_nameservers=list(neutron.dns_nameservers),
        gre_id_range=neutron.gre_id_range,
        vlan_range=neutron.vlan_range,
        controllers=list(controllers),
        controller_addresses=_controller_addresses(controllers, addresses or {}),
        secrets=secrets,
        debug=env.settings.common.debug,
        syslog=env.settings.common.syslog.strip(),
        kernel_params=env.settings.common.kernel_params.strip(),
        tls=tls,
    )


def _controller_addresses(
    controllers: Sequence[str], addresses: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    if len(controllers) < 2:
        return {}  # one controller: the VIPs are its own, nothing else to know
    return {
        name: {
            net: a.split("/")[0] for net, a in addresses.get(name, {}).items() if net in (MANAGEMENT, PUBLIC)
        }
        for name in controllers
    }


def bridged_device(payload: PayloadData | None, roles: Sequence[str], network: str, device: str) -> str:
    """Where a network's address lives once the payload's Open vSwitch bridges exist: the GRE
    tunnel endpoint on `br-mesh`, a controller's public addresses on `br-ex` (each bridge
    takes the NIC as a port). As `bridge|device` — the node's network script uses the bridge
    when it exists and the device until then, so a redeploy does not pull them apart."""
    if payload is None:
        return device
    if network == PRIVATE and payload.mode == Mode.neutron_gre:
        return f"br-mesh|{device}"
    if network == PUBLIC and {"controller", "primary-controller"} & set(roles):
        return f"br-ex|{device}"
    return device
