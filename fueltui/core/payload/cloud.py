"""After every node is deployed: computes mapped into the cell, Fuel's default networks
(`admin_floating_net` on the public network's floating range, `admin_internal_net` for
tenants, `router04` between them) and a small flavor — as Fuel left a fresh cloud."""

from __future__ import annotations

import json

from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.remote import remote_program
from fueltui.core.payload.shell import heredoc_file, script

CLOUD_READY_PY = remote_program("cloud_ready.py.txt")


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
