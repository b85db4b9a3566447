"""One node's details for the Nodes page's modal and `fueltui node show`: its facts, its
addresses per network as the environment's allocation gives them, and its history."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fueltui.api.nodedetails import NodeDetails, NodeHistoryEntry
from fueltui.core.ipalloc import allocate
from fueltui.master.errors import NotFound
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["nodes"])


@router.get("/nodes/{mac}/details", response_model=NodeDetails, responses=errors(404))
async def node_details(request: Request, mac: str) -> NodeDetails:
    store = master_of(request).store
    record = store.node(mac)
    node = record.node
    addresses: dict[str, str] = {}
    if node.environment is not None:
        try:
            env = store.environment(node.environment).environment
        except NotFound:
            env = None
        if env is not None:
            members = [r.node for r in store.nodes(environment=env.name)]
            addresses = dict(allocate(env, store.release(env.release), members).addresses.get(node.mac, {}))
    history = [
        NodeHistoryEntry(
            task_id=task.id,
            kind=task.kind,
            env=task.env,
            task_status=task.status,
            node_status=task.nodes[node.mac].status,
            message=task.nodes[node.mac].message,
            created=task.created,
            finished=task.finished,
        )
        for task in store.tasks()
        if node.mac in task.nodes
    ]
    return NodeDetails(record=record, addresses=addresses, history=history)
