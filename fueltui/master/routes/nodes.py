"""Nodes: the list with facts and online state, assignment, roles, NIC mapping, rename."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Header, Query, Request, Response

from fueltui.api.schema import LogChunk, NodeRecord, NodeUpdate
from fueltui.core.bonds import unbond
from fueltui.core.lifecycle import was_deployed
from fueltui.core.model import Node, Severity
from fueltui.core.rules.bonds import check_bonds
from fueltui.master.errors import Busy, Invalid
from fueltui.master.logfiles import MAX_CHUNK, read_chunk
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["nodes"])


ETAG_HEADER = {
    "ETag": {
        "description": "the answer's strong tag: send it back as If-None-Match",
        "schema": {"type": "string"},
    }
}


@router.get(
    "/nodes",
    response_model=list[NodeRecord],
    responses={
        200: {"headers": ETAG_HEADER},
        304: {"description": "Not Modified: If-None-Match names the current answer", "headers": ETAG_HEADER},
    },
)
async def list_nodes(
    request: Request,
    environment: str | None = None,
    if_none_match: str | None = Header(default=None),
) -> Response:
    # Encoded once per node revision by the store: validating and encoding 1 000 records per
    # request cost 0.2-0.6 s (docs/benchmarks.md, API at 1 000 nodes); the schema is the model's.
    body = master_of(request).store.nodes_json(environment=environment)
    # The tag is the body's own digest (0.6 ms for 1 000 nodes): it changes with anything the
    # answer says, a write, a new node, a deletion, a node going on- or offline, and with nothing
    # else. A node seen again as it was is not one: the list leaves last_seen out (Store.nodes_json).
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag_matches(if_none_match, etag):
        # a client that kept the last answer does not fetch and parse 1 000 records again
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type="application/json", headers=headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match's weak comparison (RFC 9110 13.1.2): `*`, or any listed tag, W/ or not."""
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


@router.get("/nodes/{mac}", response_model=NodeRecord, responses=errors(404))
async def get_node(request: Request, mac: str) -> NodeRecord:
    return master_of(request).store.node(mac)


@router.patch("/nodes/{mac}", response_model=NodeRecord, responses=errors(404, 409, 422))
async def update_node(request: Request, mac: str, body: NodeUpdate) -> NodeRecord:
    master = master_of(request)
    store = master.store
    record = store.node(mac)
    node = record.node
    given = body.model_fields_set
    updates: dict[str, object] = {}
    if "name" in given and body.name is not None:
        updates["name"] = body.name.strip() or node.name
    environment = node.environment
    if "environment" in given and body.environment == node.environment and node.pending_deletion:
        updates["pending_deletion"] = False  # taken back before the deploy that would remove it
    elif "environment" in given and body.environment != node.environment:
        if body.environment is not None:
            store.environment(body.environment)
        if node.environment is not None and was_deployed(node):
            if body.environment is not None:
                raise Invalid(
                    f"node {node.name} is deployed in {node.environment!r}: remove it from there and deploy"
                    f" {node.environment!r} first",
                    code="node-deployed",
                )
            # Fuel's pending deletion: it stays, roles and networks kept, until a deploy removes it.
            updates["pending_deletion"] = True
        else:
            environment = body.environment
            updates.update(environment=environment, roles=[], interfaces={}, bonds=[], disks=None)
    if (
        node.pending_deletion
        and "pending_deletion" not in updates
        and (body.roles is not None or body.interfaces is not None)
    ):
        raise Invalid(
            f"node {node.name} is pending deletion; take it back into {node.environment!r} first",
            code="node-pending-deletion",
        )
    if updates.get("pending_deletion"):
        given = given - {"roles", "interfaces"}  # kept as deployed until the deploy removes it
    if "roles" in given and body.roles is not None:
        if environment is None and body.roles:
            raise Invalid(
                "assign the node to an environment before giving it roles", code="roles-need-environment"
            )
        if environment is not None:
            release = store.release(store.environment(environment).environment.release)
            unknown = sorted(set(body.roles) - set(release.roles))
            if unknown:
                raise Invalid(f"release {release.id} has no role {', '.join(unknown)}", code="unknown-role")
        updates["roles"] = list(dict.fromkeys(body.roles))
        if updates["roles"] != node.roles:
            updates["disks"] = None  # other roles, other volumes: back to the defaults (as Fuel)
    bonds = node.bonds
    if "bonds" in given and body.bonds is not None:
        bonds = [bond.model_copy() for bond in body.bonds]
        updates["bonds"] = bonds
        if "interfaces" not in given:  # a bond dropped alone: its networks go to its first slave
            kept = {bond.name for bond in bonds}
            interfaces, old = dict(node.interfaces), list(node.bonds)
            for gone in [b.name for b in node.bonds if b.name not in kept]:
                interfaces, old = unbond(interfaces, old, gone)
            updates["interfaces"] = interfaces
    if "mtu" in given and body.mtu is not None:
        updates["mtu"] = dict(body.mtu)
    if "interfaces" in given and body.interfaces is not None:
        names = {nic.name for nic in node.facts.nics}
        names |= {bond.name for bond in bonds}
        unknown = sorted(set(body.interfaces) - names)
        if unknown and names:
            raise Invalid(f"node {node.name} has no NIC {', '.join(unknown)}", code="unknown-nic")
        updates["interfaces"] = {nic: list(nets) for nic, nets in body.interfaces.items()}
    changed = Node.model_validate({**node.model_dump(), **updates})
    if {"bonds", "mtu", "interfaces"} & given:
        refuse_bad_bonds(changed)
    moved = (
        changed.environment,
        changed.roles,
        changed.interfaces,
        changed.bonds,
        changed.pending_deletion,
    ) != (node.environment, node.roles, node.interfaces, node.bonds, node.pending_deletion)
    for env_name in {node.environment, changed.environment}:
        if moved and env_name is not None and master.tasks.active_for(env_name):
            raise Busy(
                f"environment {env_name!r} runs a task; its nodes' roles and networks wait until it ends",
                code="environment-busy",
            )
    if changed == node:
        if body.revision != record.revision:
            return store.update_node(changed, body.revision)  # a stale revision is still refused
        return record
    return store.update_node(changed, body.revision)


def refuse_bad_bonds(node: Node) -> None:
    """Fuel's API refused a bond that breaks its rules; so does this one (all findings said)."""
    found = [f for f in check_bonds(node, f"nodes.{node.name}") if f.severity == Severity.error]
    if found:
        raise Invalid(found[0].message, code=found[0].code, findings=found)


@router.delete("/nodes/{mac}", status_code=204, responses=errors(404, 409))
async def delete_node(request: Request, mac: str) -> Response:
    master = master_of(request)
    node = master.store.node(mac).node
    if node.environment is not None and master.tasks.active_for(node.environment):
        raise Busy(f"environment {node.environment!r} runs a task; stop it first", code="environment-busy")
    master.store.delete_node(mac)
    return Response(status_code=204)


@router.get("/nodes/{mac}/logs", response_model=LogChunk, responses=errors(404))
async def node_log(
    request: Request,
    mac: str,
    offset: int = Query(default=0, ge=0),
    limit: int = Query(default=MAX_CHUNK, ge=1, le=MAX_CHUNK),
    tail: int | None = Query(default=None, ge=0, le=MAX_CHUNK),
    task_id: str | None = Query(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$"),
) -> LogChunk:
    master = master_of(request)
    key = master.store.node(mac).node.mac
    path = master.logs.task_path(task_id, key) if task_id else master.logs.node_path(key)
    return read_chunk(path, offset, limit, tail)
