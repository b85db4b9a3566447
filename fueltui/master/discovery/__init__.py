"""Node discovery: DHCP on the admin network, facts over SSH, polling for liveness.

Names are imported on first use so that `fueltui.master.discovery.facts` alone (the
benchmark, the deploy checks) does not pull in the master's store and task framework.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fueltui.lazyexports import lazy_exports

if TYPE_CHECKING:
    from fueltui.core.targets import expand_targets
    from fueltui.master.discovery.facts import FactsError, gather_facts, parse_facts
    from fueltui.master.discovery.service import DiscoveryService

__all__ = ["DiscoveryService", "FactsError", "expand_targets", "gather_facts", "parse_facts"]

_HOMES = {
    "DiscoveryService": "service",
    "expand_targets": "service",
    "FactsError": "facts",
    "gather_facts": "facts",
    "parse_facts": "facts",
}


__getattr__ = lazy_exports(__name__, _HOMES)
