"""Neutron's agents (Open vSwitch everywhere; DHCP, L3 and metadata on controllers) and
nova-compute with libvirt/QEMU on computes."""

from __future__ import annotations

from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.services import neutron_conf, nova_conf
from fueltui.core.payload.shell import heredoc_file, ini, q, script

# The OVS agent is alive once it has made its bridges; DHCP must not start before (a port
# bound while the agent is not yet reporting ends `binding_failed`).
WAIT_OVS_AGENT = (
    'n=0; until ovs-vsctl br-exists br-int && [ -n "$(ovs-vsctl get-controller br-int)" ]; do '
    "n=$((n+1)); [ $n -lt 90 ] || { say 'the Open vSwitch agent did not set up br-int'; tail -n 20 "
    "/var/log/neutron/neutron-openvswitch-agent.log; exit 1; }; sleep 1; done"
)


def ovs_agent_conf(view: NodeView) -> str:
    mappings = []
    if view.controller:
        mappings.append("physnet-ex:br-ex")
    if not view.gre:
        mappings.append("physnet-prv:br-prv")
    ovs: dict[str, object] = {
        "datapath_type": "netdev",  # no kernel datapath here: Open vSwitch in userspace
        "integration_bridge": "br-int",
        "ovsdb_connection": "tcp:127.0.0.1:6640",
        "bridge_mappings": ",".join(mappings) or None,
    }
    agent: dict[str, object] = {}
    if view.gre:
        ovs["local_ip"] = view.ip("private")
        ovs["tunnel_bridge"] = "br-tun"
        agent["tunnel_types"] = "gre"
    return ini(
        {
            "ovs": ovs,
            "agent": agent,
            "securitygroup": {"firewall_driver": "openvswitch", "enable_security_group": True},
        },
        f"Neutron Open vSwitch agent on {view.name}",
    )


def render_neutron_agents(view: NodeView) -> str:
    data = view.data
    lines = [
        "mkdir -p /var/lib/neutron/tmp && chown neutron:neutron /var/lib/neutron/tmp",
        "FT_CHANGED=0",
        heredoc_file("/etc/neutron/neutron.conf", "0640", "root:neutron", neutron_conf(view)),
        heredoc_file(
            "/etc/neutron/plugins/ml2/openvswitch_agent.ini", "0640", "root:neutron", ovs_agent_conf(view)
        ),
        "svc neutron-openvswitch-agent",
        WAIT_OVS_AGENT,
    ]
    if view.controller:
        dhcp = ini(
            {
                "DEFAULT": {
                    "interface_driver": "openvswitch",
                    "dhcp_driver": "neutron.agent.linux.dhcp.Dnsmasq",
                    # Metadata for networks without a router only: with force_metadata every
                    # network got a proxy, and deleting the network removed its namespace
                    # before the agent's `ip netns exec … kill` could reach it — one haproxy
                    # left running per deleted network (seen: one per health check round).
                    "enable_isolated_metadata": True,
                },
                "ovs": {"ovsdb_connection": "tcp:127.0.0.1:6640"},
            },
            "Neutron DHCP agent",
        )
        l3 = ini(
            {
                "DEFAULT": {"interface_driver": "openvswitch"},
                "ovs": {"ovsdb_connection": "tcp:127.0.0.1:6640"},
            },
            "Neutron L3 agent",
        )
        metadata = ini(
            {
                "DEFAULT": {
                    "nova_metadata_host": data.management_vip,
                    "metadata_proxy_shared_secret": data.secrets["metadata"],
                    "metadata_workers": 1,
                }
            },
            "Neutron metadata agent",
        )
        for name, path, content in (
            ("neutron-dhcp-agent", "/etc/neutron/dhcp_agent.ini", dhcp),
            ("neutron-l3-agent", "/etc/neutron/l3_agent.ini", l3),
            ("neutron-metadata-agent", "/etc/neutron/metadata_agent.ini", metadata),
        ):
            lines += [
                "FT_CHANGED=0",
                heredoc_file(path, "0640", "root:neutron", content),
                f"svc {name}",
            ]
    return script("neutron_agents", lines)


LIBVIRTD_CONF = """# fueltui: nova-compute (group libvirt) manages guests through the local socket.
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
"""


def render_nova_compute(view: NodeView) -> str:
    return script(
        "nova_compute",
        [
            "mkdir -p /var/lib/nova/tmp /var/lib/nova/instances /run/libvirt",
            "chown nova:nova /var/lib/nova/tmp",
            heredoc_file("/etc/nova/nova.conf", "0640", "root:nova", nova_conf(view)),
            # libvirt asks the system bus (polkit) who may connect: dbus first, and the socket
            # opened to the libvirt group (nova is in it) instead of a polkit rule.
            "FT_SAVED=$FT_CHANGED; FT_CHANGED=0",
            "mkdir -p /run/dbus",
            "svc dbus",
            heredoc_file("/etc/libvirt/libvirtd.conf", "0644", "root:root", LIBVIRTD_CONF),
            "svc virtlogd",
            "svc libvirtd",
            "FT_CHANGED=$FT_SAVED",
            "n=0; until virsh -c qemu:///system version >/dev/null 2>&1; do n=$((n+1)); "
            "[ $n -lt 30 ] || { say 'libvirtd does not answer'; exit 1; }; sleep 1; done",
            # libvirt's own NAT network is not OpenStack's: keep it off.
            "if virsh -q net-list --name 2>/dev/null | grep -qx default; then",
            "  virsh -q net-destroy default",
            "fi",
            "virsh -q net-autostart --disable default >/dev/null 2>&1 || true",
            "svc nova-compute",
            "say 'nova-compute: started; the controller maps it into the cell'",
            f"say {q('hypervisor: QEMU (software emulation) on ' + view.name)}",
        ],
    )
