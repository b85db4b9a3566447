"""Taking a node out of a deployed environment (Fuel's "pending deletion", deployed).

Two scripts: one for the primary controller, which deletes the node's services from the
cloud (its nova-compute service — and with it its hypervisor — and its Neutron agents), and
one for the node, which takes off what the deploy configured (its addresses, VLAN devices
and routes, through the network script's own convergence, then fueltui's files). The host
name reaches the shell only `shlex.quote`d.
"""

from __future__ import annotations

import shlex

from fueltui.core import netscript
from fueltui.core.payload.shell import script

# Files a deploy leaves on every node (see the release's base graph).
NODE_FILES = (
    "/etc/fueltui/node.yaml",
    "/etc/fueltui/netplan/50-fueltui.yaml",
    "/etc/fueltui/network.sh",
    netscript.APPLIED,
)
REMOVER = "/etc/fueltui/network-remove.sh"


def render_cloud_removal(host: str) -> str:
    """For the primary controller: the node's compute services and network agents deleted.
    Idempotent: a second run finds nothing left and says so."""
    q = shlex.quote
    body = f"""export OS_CLOUD=fueltui-admin
HOST={q(host)}
found=0
for id in $(openstack compute service list --host "$HOST" -f value -c ID); do
  openstack compute service delete "$id"
  say "compute service $id of $HOST deleted"
  found=1
done
for id in $(openstack network agent list --host "$HOST" -f value -c ID); do
  openstack network agent delete "$id"
  say "network agent $id of $HOST deleted"
  found=1
done
[ "$found" = 1 ] || say "the cloud has no service of $HOST"
"""
    return script("remove-node", [body])


# What a payload may run on a node that leaves the cloud. A daemon left running would put the
# node back: a Neutron agent's next state report re-creates the agent the controller deleted.
NODE_DAEMONS = (
    "nova-compute",
    "neutron-openvswitch-agent",
    "neutron-dhcp-agent",
    "neutron-l3-agent",
    "neutron-metadata-agent",
)


def render_node_stop(name: str) -> str:
    """For the node, before the controller deletes its services: its instances and OpenStack
    daemons stopped, its Open vSwitch bridges (and the addresses on them) deleted. Idempotent."""
    daemons = " ".join(NODE_DAEMONS)
    body = f"""stop_svc() {{
  [ -x "/etc/init.d/$1" ] && running "$1" || return 0
  /etc/init.d/"$1" stop </dev/null >/dev/null 2>&1 || true
  say "$1 stopped"
}}
for d in {daemons}; do stop_svc "$d"; done
if command -v virsh >/dev/null 2>&1 && running libvirtd; then
  for vm in $(virsh list --name 2>/dev/null); do
    virsh destroy "$vm" >/dev/null 2>&1 && say "instance $vm stopped"
  done
fi
for d in libvirtd virtlogd; do stop_svc "$d"; done
if command -v ovs-vsctl >/dev/null 2>&1 && ovs-appctl -t ovs-vswitchd version >/dev/null 2>&1; then
  for br in $(ovs-vsctl list-br); do
    ovs-vsctl --if-exists del-br "$br"
    say "Open vSwitch bridge $br deleted"
  done
  ovs-appctl -t ovs-vswitchd exit >/dev/null 2>&1 || true
  ovs-appctl -t ovsdb-server exit >/dev/null 2>&1 || true
  say "Open vSwitch stopped"
fi
say {shlex.quote(f"{name}: no OpenStack service runs here any more")}
"""
    return script("node-stop", [body])


def render_node_cleanup(name: str, admin_ip: str | None) -> str:
    """For the node itself: the network script run with nothing wanted takes off everything
    the deploys applied (never the admin address); then fueltui's files go."""
    remover = netscript.render(netscript.WantedNetwork(nics=[], admin_ip=admin_ip), _comment(name))
    marker = "FUELTUI_EOF"
    while marker in remover:
        marker += "_"
    files = " ".join(shlex.quote(f) for f in NODE_FILES)
    body = (
        f"mkdir -p /etc/fueltui\ncat > {REMOVER} <<'{marker}'\n{remover}{marker}\n"
        f"sh {REMOVER} apply\n"
        f"rm -f {files} {REMOVER}\n"
        'say "the environment\'s configuration is removed"\n'
    )
    return script("node-cleanup", [body])


def _comment(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-._" else "_" for c in name)
