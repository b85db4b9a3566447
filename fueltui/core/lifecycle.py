"""A node's place in Fuel's lifecycle, as the operator reads it in the Nodes list.

discovered → pending addition (in an environment, not deployed yet) → provisioning /
deploying → ready → pending deletion (removed after it was deployed; the next deploy
cleans it up) → discovered again; and error, offline. The master stores the node's status
and the `pending_deletion` flag; everything else here is derived.
"""

from __future__ import annotations

from enum import StrEnum

from fueltui.core.model import Node, NodeStatus


class NodeState(StrEnum):
    discovered = "discovered"
    pending_addition = "pending addition"
    provisioning = "provisioning"
    provisioned = "provisioned"
    deploying = "deploying"
    ready = "ready"
    pending_deletion = "pending deletion"
    error = "error"
    offline = "offline"


def was_deployed(node: Node) -> bool:
    """Something of the environment may be on the node: taking it out needs a deploy."""
    return node.status != NodeStatus.discover


def node_state(node: Node) -> NodeState:
    if node.pending_deletion:
        return NodeState.pending_deletion
    if node.status in (NodeStatus.provisioning, NodeStatus.deploying):
        return NodeState(node.status.value)
    if not node.online:
        return NodeState.offline
    if node.status == NodeStatus.error:
        return NodeState.error
    if node.environment is None:
        return NodeState.discovered
    if node.status == NodeStatus.ready:
        return NodeState.ready
    if node.status == NodeStatus.provisioned and not node.roles:
        return NodeState.provisioned
    return NodeState.pending_addition


# The Nodes page's status column at 80×24: no wider than the statuses it always had.
SHORT = {
    NodeState.discovered: "discover",
    NodeState.pending_addition: "to add",
    NodeState.pending_deletion: "to remove",
}


def short_state(node: Node) -> str:
    state = node_state(node)
    return SHORT.get(state, state.value)
