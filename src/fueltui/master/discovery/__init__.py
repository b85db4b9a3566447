"""Node discovery: DHCP on the admin network, facts over SSH, polling for liveness."""

from fueltui.master.discovery.facts import FactsError, gather_facts, parse_facts
from fueltui.master.discovery.service import DiscoveryService, expand_targets

__all__ = ["DiscoveryService", "FactsError", "expand_targets", "gather_facts", "parse_facts"]
