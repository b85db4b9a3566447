"""Configure Disks as a rule of the environment: every node's allocation — the operator's, or
the release's defaults for its roles — judged by `fueltui.core.disks.check_allocation`."""

from __future__ import annotations

from fueltui.core.disks import check_allocation, installable, node_allocation, volume_defaults
from fueltui.core.model import Finding, Node, Release


def check_disks(node: Node, release: Release, path: str) -> list[Finding]:
    """Findings under `<path>.disks`. Nothing to judge for a release without disk defaults, or
    a node whose disks are unknown and who has no allocation of its own."""
    defaults = volume_defaults(release.id)
    if defaults is None or (node.disks is None and not installable(node.facts.disks)):
        return []
    return check_allocation(node, node_allocation(node, defaults), defaults, path=path)
