"""Fuel's Health Check (OSTF), the sanity and smoke tests, run on the primary controller.

The master renders `health.sh` (a spec and a Python program using the controller's own
openstacksdk); each test prints one line `FUELTUI-OSTF {json}` with its id, name, group,
status (passed/failed/skipped), duration and message, which the master collects
(`parse_ostf_line`). Smoke tests create what they need under names starting with
`fueltui-health-` and delete it all afterwards, whether they passed or not.
"""

from __future__ import annotations

import json

from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.remote import remote_program
from fueltui.core.payload.shell import heredoc_file, script

OSTF_MARK = "FUELTUI-OSTF "
HEALTH_CIDR = "10.254.254.0/28"  # the smoke test's tenant subnet: small, so the guests scan it fast

HEALTH_PY = remote_program("health.py.txt")
HORIZON_CA = "/etc/fueltui/payload/horizon-ca.pem"


def render_health(view: NodeView, groups: list[str]) -> str:
    data = view.data
    spec: dict[str, object] = {
        "groups": groups,
        "computes": sorted(p.name for p in view.cfg.peers if "compute" in p.roles),
        "keystone_public": data.keystone_public,
        "horizon": data.horizon_url,
        "cidr": HEALTH_CIDR,
        "kernel_url": f"{data.health_image_url}/fueltui-health.vmlinuz",
        "initrd_url": f"{data.health_image_url}/fueltui-health.initrd",
    }
    ca = []
    if data.tls is not None:
        # Public TLS: Horizon is checked over HTTPS against the pair the controllers serve
        # (its certificate as the trust anchor), at the VIP, with the name clients use.
        spec |= {"horizon_ca": HORIZON_CA, "horizon_ip": data.public_vip}
        ca = [heredoc_file(HORIZON_CA, "0644", "root:root", data.tls.cert)]
    return script(
        "health",
        [
            *ca,
            heredoc_file("/etc/fueltui/payload/health.py", "0700", "root:root", HEALTH_PY),
            heredoc_file("/etc/fueltui/payload/health.json", "0600", "root:root", json.dumps(spec) + "\n"),
            "python3 /etc/fueltui/payload/health.py /etc/fueltui/payload/health.json",
        ],
    )


def parse_ostf_line(line: str) -> dict[str, object] | None:
    """One test's result from the script's output, or None for any other line."""
    if not line.startswith(OSTF_MARK):
        return None
    try:
        value = json.loads(line[len(OSTF_MARK) :])
    except ValueError:
        return None
    if not isinstance(value, dict) or not {"id", "name", "group", "status"} <= value.keys():
        return None
    return {
        "id": str(value["id"]),
        "name": str(value["name"]),
        "group": str(value["group"]),
        "status": str(value["status"]) if value["status"] in ("passed", "failed", "skipped") else "failed",
        "duration": float(value.get("duration") or 0),
        "message": str(value.get("message") or "")[:400],
    }
