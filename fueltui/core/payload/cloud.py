"""After every node is deployed: computes mapped into the cell, Fuel's default networks
(`admin_floating_net` on the public network's floating range, `admin_internal_net` for
tenants, `router04` between them) and a small flavor — as Fuel left a fresh cloud."""

from __future__ import annotations

import json

from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.shell import heredoc_file, script

CLOUD_READY_PY = r'''#!/usr/bin/python3
"""fueltui: computes in the cell, default networks, router and flavor (idempotent)."""
import json
import subprocess
import sys
import time

import openstack

spec = json.load(open(sys.argv[1]))
conn = openstack.connect(cloud="fueltui-admin")

deadline = time.monotonic() + 240
while True:
    up = {s.host for s in conn.compute.services(binary="nova-compute") if s.state == "up"}
    missing = sorted(set(spec["computes"]) - up)
    if not missing:
        break
    if time.monotonic() > deadline:
        sys.exit(f"nova-compute not up on: {', '.join(missing)}")
    time.sleep(3)
subprocess.run(["runuser", "-u", "nova", "--", "nova-manage", "cell_v2", "discover_hosts"], check=True)
deadline = time.monotonic() + 120
while True:
    hypervisors = {h.name.split(".")[0] for h in conn.compute.hypervisors()}
    if set(spec["computes"]) <= hypervisors:
        break
    if time.monotonic() > deadline:
        sys.exit(f"hypervisors not in placement: {sorted(set(spec['computes']) - hypervisors)}")
    time.sleep(3)
print(f"hypervisors: {', '.join(sorted(hypervisors))}")

agents = list(conn.network.agents())
dead = [f"{a.agent_type} on {a.host}" for a in agents if not a.is_alive]
if dead:
    sys.exit(f"network agents down: {', '.join(dead)}")
print(f"network agents alive: {len(agents)}")

admin = conn.identity.find_project(spec["admin_project"])
ext = conn.network.find_network(spec["ext_net"])
if ext is None:
    ext = conn.network.create_network(name=spec["ext_net"], is_router_external=True, is_shared=False,
                                      provider_network_type="flat", provider_physical_network="physnet-ex",
                                      project_id=admin.id)
    print(f"network {ext.name} created")
if not list(conn.network.subnets(network_id=ext.id)):
    conn.network.create_subnet(name=spec["ext_net"] + "__subnet", network_id=ext.id, ip_version=4,
                               cidr=spec["public_cidr"], gateway_ip=spec["public_gateway"], is_dhcp_enabled=False,
                               allocation_pools=[{"start": spec["floating"][0], "end": spec["floating"][1]}])
    print("floating subnet created")
net = conn.network.find_network(spec["int_net"])
if net is None:
    net = conn.network.create_network(name=spec["int_net"], project_id=admin.id)
    print(f"network {net.name} created")
subnet = next(iter(conn.network.subnets(network_id=net.id)), None)
if subnet is None:
    subnet = conn.network.create_subnet(name=spec["int_net"] + "__subnet", network_id=net.id, ip_version=4,
                                        cidr=spec["internal_cidr"], gateway_ip=spec["internal_gateway"],
                                        dns_nameservers=spec["dns"], project_id=admin.id)
    print("tenant subnet created")
router = conn.network.find_router(spec["router"])
if router is None:
    router = conn.network.create_router(name=spec["router"], project_id=admin.id,
                                        external_gateway_info={"network_id": ext.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    print(f"router {router.name} created")
if conn.compute.find_flavor("m1.micro") is None:
    conn.compute.create_flavor(name="m1.micro", ram=192, vcpus=1, disk=1)
    print("flavor m1.micro created")
print("cloud ready")
'''


def render_cloud_ready(view: NodeView) -> str:
    data = view.data
    computes = sorted(p.name for p in view.cfg.peers if "compute" in p.roles)
    spec = {
        "computes": computes,
        "admin_project": data.admin_project,
        "ext_net": "admin_floating_net",
        "int_net": "admin_internal_net",
        "router": "router04",
        "public_cidr": data.public_cidr,
        "public_gateway": data.public_gateway,
        "floating": list(data.floating_range),
        "internal_cidr": data.internal_cidr,
        "internal_gateway": data.internal_gateway,
        "dns": data.dns_nameservers,
    }
    return script(
        "cloud_ready",
        [
            heredoc_file("/etc/fueltui/payload/cloud_ready.py", "0700", "root:root", CLOUD_READY_PY),
            heredoc_file(
                "/etc/fueltui/payload/cloud_ready.json", "0600", "root:root", json.dumps(spec) + "\n"
            ),
            "python3 /etc/fueltui/payload/cloud_ready.py /etc/fueltui/payload/cloud_ready.json",
        ],
    )
