"""A valid answers document (no errors) and helpers to change it along a findings path."""

from __future__ import annotations

import copy
from typing import Any

from fueltui.core.answers import parse_path

DELETE = object()

BASE: dict[str, Any] = {
    "master": {
        "interface": "eth0",
        "ip": "10.20.0.2",
        "netmask": "255.255.255.0",
        "gateway": "10.20.0.1",
        "dns": ["10.20.0.1"],
        "hostname": "fuel.example.com",
        "ntp": ["pool.ntp.org"],
        "dhcp_pool": {"start": "10.20.0.129", "end": "10.20.0.254"},
    },
    "environment": {
        "name": "demo",
        "release": "epoxy-debian-13",
        "mode": "neutron-gre",
        "networks": {
            "public": {
                "cidr": "172.16.0.0/24",
                "gateway": "172.16.0.1",
                "ip_ranges": [["172.16.0.2", "172.16.0.126"]],
                "vlan": None,
            },
            "management": {"cidr": "192.168.0.0/24", "vlan": 101},
        },
        "neutron": {
            "floating_ranges": [["172.16.0.130", "172.16.0.254"]],
            "internal_cidr": "192.168.111.0/24",
        },
    },
    "nodes": [
        {
            "mac": "52:54:00:aa:00:01",
            "name": "node-1",
            "roles": ["controller"],
            "nics": [
                {"name": "eth0", "mac": "52:54:00:aa:00:01", "pxe": True},
                {"name": "eth1", "mac": "52:54:00:aa:00:02"},
            ],
            "interfaces": {"eth0": ["fuelweb_admin", "management", "storage", "private"], "eth1": ["public"]},
        },
        {
            "mac": "52:54:00:aa:01:01",
            "name": "node-2",
            "roles": ["compute"],
            "nics": [
                {"name": "eth0", "mac": "52:54:00:aa:01:01", "pxe": True},
                {"name": "eth1", "mac": "52:54:00:aa:01:02"},
            ],
            "interfaces": {"eth0": ["fuelweb_admin", "management", "storage", "private"], "eth1": []},
        },
    ],
}


def changed(changes: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of `base` (default BASE) with each path set to its value (DELETE removes it)."""
    data = copy.deepcopy(BASE if base is None else base)
    for path, value in changes.items():
        parts = parse_path(path)
        target: Any = data
        for part in parts[:-1]:
            target = target.setdefault(part, {}) if isinstance(target, dict) else target[part]
        last = parts[-1]
        if value is DELETE:
            del target[last]
        else:
            target[last] = copy.deepcopy(value)
    return data
