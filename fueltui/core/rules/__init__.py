"""Fuel-grade validation. Every finding has a stable `code` (a public contract), a `path` into
the answers file, a `message` telling the operator what to change, and a severity.

`check_environment` is what the master runs on a stored environment; `check_answers` is what
`fueltui check` runs on an answers file, offline (both in `rules.environment`).

The names below are imported on first use: `from fueltui.core.rules import names` (discovery's
facts, a cold fan-out) or `check_boot_options` (the TUI's first page) must not pay for every
rule module, `core.answers` (yaml) and `core.ipalloc` (bench/startup.py, bench/fanout.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fueltui.lazyexports import lazy_exports

if TYPE_CHECKING:
    from fueltui.core.rules.bootopts import check_boot_options
    from fueltui.core.rules.disks import check_disks
    from fueltui.core.rules.environment import (
        check_answers,
        check_environment,
        check_mode,
        errors,
        node_from_answers,
        warnings,
    )
    from fueltui.core.rules.interfaces import check_drop, check_interfaces, check_nodes
    from fueltui.core.rules.names import check_environment_name, check_nic_name
    from fueltui.core.rules.networks import check_networks
    from fueltui.core.rules.roles import check_roles, role_blockers, role_summary
    from fueltui.core.rules.settings import check_locked, check_settings

__all__ = [
    "check_answers",
    "check_boot_options",
    "check_disks",
    "check_drop",
    "check_environment",
    "check_environment_name",
    "check_interfaces",
    "check_locked",
    "check_mode",
    "check_networks",
    "check_nic_name",
    "check_nodes",
    "check_roles",
    "check_settings",
    "errors",
    "node_from_answers",
    "role_blockers",
    "role_summary",
    "warnings",
]

# Each public name and the submodule that defines it.
_HOMES = {
    "check_answers": "environment",
    "check_environment": "environment",
    "check_mode": "environment",
    "errors": "environment",
    "node_from_answers": "environment",
    "warnings": "environment",
    "check_boot_options": "bootopts",
    "check_disks": "disks",
    "check_drop": "interfaces",
    "check_interfaces": "interfaces",
    "check_nodes": "interfaces",
    "check_environment_name": "names",
    "check_nic_name": "names",
    "check_networks": "networks",
    "check_roles": "roles",
    "role_blockers": "roles",
    "role_summary": "roles",
    "check_locked": "settings",
    "check_settings": "settings",
}


__getattr__ = lazy_exports(__name__, _HOMES)
