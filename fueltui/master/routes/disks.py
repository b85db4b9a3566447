"""Configure Disks: a node's allocation read, changed and reset to the role defaults.

A change the rules call an error (a volume below its minimum, a disk overcommitted, a volume
the release does not have...) is refused with the findings and nothing is stored: what is
stored can always be provisioned. Warnings are stored and shown."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fueltui.api.disks import DiskInfo, DisksUpdate, NodeDisks, VolumeInfo
from fueltui.api.schema import NodeRecord
from fueltui.core.disks import (
    VolumeDefaults,
    boot_disk,
    check_allocation,
    disk_key,
    installable,
    node_allocation,
    normalized,
    usable_mib,
    volume_defaults,
)
from fueltui.core.model import Node, Release, Severity
from fueltui.core.releases import default_release
from fueltui.master.app import Master
from fueltui.master.errors import Busy, Invalid
from fueltui.master.routes.common import errors, master_of

router = APIRouter(tags=["disks"])
MAX_VOLUMES = 32  # per disk: the release has a handful


def _release(master: Master, node: Node) -> Release:
    if node.environment is None:
        return default_release()
    return master.store.release(master.store.environment(node.environment).environment.release)


def _defaults(release: Release) -> VolumeDefaults:
    defaults = volume_defaults(release.id)
    if defaults is None:
        raise Invalid(f"release {release.id} has no Configure Disks defaults", code="disks-not-configurable")
    return defaults


def view(record: NodeRecord, release: Release, defaults: VolumeDefaults) -> NodeDisks:
    node = record.node
    disks = installable(node.facts.disks)
    boot = boot_disk(disks)
    wanted = defaults.wanted(node.roles)
    allocation = node_allocation(node, defaults)
    return NodeDisks(
        mac=node.mac,
        node=node.name,
        revision=record.revision,
        release=release.id,
        roles=list(node.roles),
        custom=node.disks is not None,
        disks=[
            DiskInfo(
                key=disk_key(d),
                name=d.name,
                size_mib=d.size_bytes // 2**20,
                usable_mib=usable_mib(d, d is boot, defaults),
                boot=d is boot,
                model=d.model,
            )
            for d in disks
        ],
        volumes=[
            VolumeInfo(id=v.id, label=v.label, mount=v.mount, min_mib=v.min_mib, wanted=v.id in wanted)
            for v in defaults.volumes
        ],
        allocation=allocation,
        findings=check_allocation(node, allocation, defaults),
    )


@router.get("/nodes/{mac}/disks", response_model=NodeDisks, responses=errors(404, 422))
async def get_disks(request: Request, mac: str) -> NodeDisks:
    master = master_of(request)
    record = master.store.node(mac)
    release = _release(master, record.node)
    return view(record, release, _defaults(release))


@router.put("/nodes/{mac}/disks", response_model=NodeDisks, responses=errors(404, 409, 422))
async def put_disks(request: Request, mac: str, body: DisksUpdate) -> NodeDisks:
    master = master_of(request)
    record = master.store.node(mac)
    node = record.node
    release = _release(master, node)
    defaults = _defaults(release)
    if node.environment is not None and master.tasks.active_for(node.environment):
        raise Busy(
            f"environment {node.environment!r} runs a task; its nodes' disks wait until it ends",
            code="environment-busy",
        )
    allocation = None
    if body.allocation is not None:
        if any(len(a.volumes) > MAX_VOLUMES for a in body.allocation):
            raise Invalid(f"at most {MAX_VOLUMES} volumes per disk", code="disks-invalid")
        allocation = normalized(node.facts.disks, body.allocation)
        changed = node.model_copy(update={"disks": allocation})
        found = check_allocation(changed, allocation, defaults)
        bad = [f for f in found if f.severity == Severity.error]
        if bad:
            raise Invalid(
                f"node {node.name}: {len(bad)} problem{'s' if len(bad) != 1 else ''} with its disks;"
                " nothing was changed",
                code="disks-invalid",
                findings=found,
            )
    stored = master.store.update_node(node.model_copy(update={"disks": allocation}), body.revision)
    return view(stored, release, defaults)
