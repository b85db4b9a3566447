"""Node-level payload steps: the mirror as the only apt source, the packages of the node's
roles, Open vSwitch on its userspace datapath with the tunnel/external bridges, the VIPs."""

from __future__ import annotations

from fueltui.core.payload import ha
from fueltui.core.payload.data import PRIVATE
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.shell import heredoc_file, q, script

POLICY_RC = (
    "#!/bin/sh\n# fueltui: packages never start daemons; the deployment starts them when configured.\n"
    "exit 101\n"
)
APT_CONF = (
    'APT::Install-Recommends "false";\n'
    'APT::Get::Assume-Yes "true";\n'
    'Dpkg::Options { "--force-confdef"; "--force-confold"; };\n'
)

# Components each role installs (besides "common").
ROLE_COMPONENTS = {
    "controller": ["mysql", "rabbitmq", "memcached", "keystone", "glance", "placement", "nova_controller",
                   "neutron_server", "openvswitch", "neutron_agents", "horizon"],
    "compute": ["openvswitch", "neutron_agents", "nova_compute"],
}  # fmt: skip


def packages_for(view: NodeView) -> list[str]:
    components: list[str] = []
    if view.controller:
        components += ROLE_COMPONENTS["controller"]
        if ha.is_ha(view.data):
            components.append("haproxy")  # HAProxy and keepalived: HA layouts only
    if view.compute:
        components += ROLE_COMPONENTS["compute"]
    if not components:
        return []
    wanted = ["common", *components]
    found: set[str] = set()
    for name in wanted:
        found.update(view.data.packages.get(name, []))
    return sorted(found)


def render_apt(view: NodeView) -> str:
    data = view.data
    sources = (
        "Types: deb\n"
        f"URIs: {data.mirror_url}\n"
        f"Suites: {data.suite}\n"
        "Components: main\n"
        "Signed-By: /etc/apt/keyrings/fueltui-mirror.asc\n"
    )
    return script(
        "apt",
        [
            "mkdir -p /run/lock /var/lib/fueltui",
            heredoc_file("/etc/apt/keyrings/fueltui-mirror.asc", "0644", "root:root", data.mirror_key),
            heredoc_file("/etc/apt/sources.list.d/fueltui.sources", "0644", "root:root", sources),
            "rm -f /etc/apt/sources.list",
            heredoc_file("/usr/sbin/policy-rc.d", "0755", "root:root", POLICY_RC),
            heredoc_file("/etc/apt/apt.conf.d/90fueltui", "0644", "root:root", APT_CONF),
            "apt-get -q update -o Acquire::Retries=3",
            f"say {q('apt: ' + data.mirror_url + ' (signed by the master)')}",
        ],
    )


def render_packages(view: NodeView) -> str:
    packages = packages_for(view)
    if not packages:
        return script("packages", ["say 'no OpenStack packages for this node'"])
    names = " ".join(q(p) for p in packages)
    return script(
        "packages",
        [
            f"want='{' '.join(packages)}'",
            "missing=''",
            "for p in $want; do",
            '  [ "$(dpkg-query -W -f \'${db:Status-Status}\' "$p" 2>/dev/null)" = installed ] || '
            'missing="$missing $p"',
            "done",
            'if [ -z "$missing" ]; then say "all $(echo $want | wc -w) packages installed"; exit 0; fi',
            'say "installing:$missing"',
            f"apt-get -q -y install {names}",
            'say "installed $(echo $want | wc -w) packages"',
        ],
    )


def _move_addresses(device: str, bridge: str) -> list[str]:
    """Every IPv4 address (and the default route) of `device` onto `bridge`: the NIC becomes a
    port of an OVS bridge and the bridge carries its addresses (the userspace datapath's
    native tunnels need the endpoint on the bridge). All are added to the bridge before any
    is removed from the NIC: removing a primary address takes its secondaries (a VIP) and
    the default route with it."""
    d, b = q(device), q(bridge)
    return [
        # The NIC keeps answering ARP for addresses it no longer holds ("ARP flux"): a peer
        # that takes the NIC's MAC for the endpoint sends its GRE there, and the userspace
        # datapath terminates tunnels only for frames to the bridge's own MAC. Only the
        # bridge answers for, and announces, its addresses.
        f"echo 1 > /proc/sys/net/ipv4/conf/{d}/arp_ignore",
        f"echo 2 > /proc/sys/net/ipv4/conf/{d}/arp_announce",
        f"ip link set dev {b} up",
        f"gw=$(ip -4 route show default dev {d} | awk '{{print $3; exit}}')",
        f"addrs=$(ip -4 -o addr show dev {d} | awk '{{print $4}}')",
        "for a in $addrs; do",
        f'  ip addr replace "$a" dev {b}',
        "done",
        "for a in $addrs; do",
        f'  ip addr del "$a" dev {d} 2>/dev/null || true  # a secondary went with its primary',
        f'  say "moved $a from {device} to {bridge}"',
        "done",
        'if [ -n "$gw" ]; then',
        f'  ip route replace default via "$gw" dev {b}',
        f'  say "default route via $gw on {bridge}"',
        "fi",
    ]


def _bridge(name: str, port: str | None) -> list[str]:
    lines = [f"ovs-vsctl --may-exist add-br {q(name)} -- set bridge {q(name)} datapath_type=netdev"]
    if port:
        lines += [
            f"ovs-vsctl --may-exist add-port {q(name)} {q(port)}",
            # Partial checksums the userspace datapath does not complete break TCP (not ping).
            f"ethtool -K {q(port)} tx off >/dev/null 2>&1 || true",
        ]
    return lines


def render_openvswitch(view: NodeView) -> str:
    lines = [
        "mkdir -p /etc/openvswitch /run/openvswitch /var/log/openvswitch",
        "if [ ! -e /dev/net/tun ]; then",
        "  say 'no /dev/net/tun: the userspace datapath cannot create ports'",
        "  exit 1",
        "fi",
        "[ -f /etc/openvswitch/conf.db ] || "
        "ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema",
        "if ! ovs-appctl -t ovsdb-server version >/dev/null 2>&1; then",
        "  ovsdb-server /etc/openvswitch/conf.db --remote=punix:/run/openvswitch/db.sock "
        "--pidfile --detach --log-file </dev/null >/dev/null 2>&1",
        "  say 'ovsdb-server started'",
        "fi",
        # Neutron's agents speak to the database on loopback TCP (the node's own namespace).
        "ovs-appctl -t ovsdb-server ovsdb-server/list-remotes | grep -qx 'ptcp:6640:127.0.0.1' || "
        "ovs-appctl -t ovsdb-server ovsdb-server/add-remote ptcp:6640:127.0.0.1",
        "ovs-vsctl --no-wait init",
        f"ovs-vsctl --no-wait set Open_vSwitch . external_ids:hostname={q(view.name)}",
        "if ! ovs-appctl -t ovs-vswitchd version >/dev/null 2>&1; then",
        "  ovs-vswitchd --pidfile --detach --log-file </dev/null >/dev/null 2>&1",
        "  say 'ovs-vswitchd started (userspace datapath)'",
        "fi",
    ]
    if view.gre:
        lines += _bridge("br-mesh", view.private_device)
        lines += _move_addresses(view.private_device, "br-mesh")
    else:
        lines += _bridge("br-prv", view.private_device if view.has(PRIVATE) else None)
    if view.controller:
        lines += _bridge("br-ex", view.public_device)
        lines += _move_addresses(view.public_device, "br-ex")
    lines.append("ovs-vsctl show | sed -n '1,40p'")
    return script("openvswitch", lines)


def render_vips(view: NodeView) -> str:
    """One controller: the VIPs are plain addresses on it. Several: keepalived owns them and
    HAProxy on every controller listens on them (`ha.render_vips_ha`)."""
    data = view.data
    if ha.is_ha(data):
        return ha.render_vips_ha(view)
    lines = []
    for vip, prefix, network in (
        (data.management_vip, data.management_prefix, "management"),
        (data.public_vip, data.public_prefix, "public"),
    ):
        ip = view.ip(network)
        lines += [
            f"dev=$(ip -4 -o addr show to {q(ip)} | awk '{{print $2; exit}}')",
            f'[ -n "$dev" ] || {{ say {q(f"no device holds {ip} ({network})")}; exit 1; }}',
            f'ip addr replace {q(f"{vip}/{prefix}")} dev "$dev"',
            f'say "{network} VIP {vip} on $dev"',
        ]
    return script("vips", lines)
