"""Configure Disks on the wire: a node's disks, the volumes its roles need, how its disks are
split between them, and what the rules say about it (`GET/PUT /api/v1/nodes/{mac}/disks`).

The allocation travels as the core's `DiskAllocation` (disk -> volume -> MiB). A write carries
the node's revision it was based on; a stale one is refused (409), like every other write."""

from __future__ import annotations

from pydantic import Field

from fueltui.api.schema import Wire
from fueltui.core.model import DiskAllocation, Finding


class VolumeInfo(Wire):
    """A volume of the release: what it is, its minimum, and whether the node's roles need it."""

    id: str
    label: str
    mount: str | None = None
    min_mib: int = Field(ge=0)
    wanted: bool  # one of the node's roles needs it (a volume not wanted should stay empty)


class DiskInfo(Wire):
    """One installable disk of the node as the allocation names it."""

    key: str  # the name an allocation uses: by-path when the node reports one, else `name`
    name: str  # the kernel's name on the bootstrap (vda, sda)
    size_mib: int = Field(ge=0)
    usable_mib: int = Field(ge=0)  # what volumes may take: less the partition tables (and boot loader)
    boot: bool = False  # the boot loader and the base system go here
    model: str | None = None


class NodeDisks(Wire):
    """A node's disks and their allocation (`custom`: the operator's; else the role defaults)."""

    mac: str
    node: str
    revision: int = Field(ge=0)  # the node's revision: send it back with a change
    release: str
    roles: list[str]
    custom: bool
    disks: list[DiskInfo]
    volumes: list[VolumeInfo]
    allocation: list[DiskAllocation]
    findings: list[Finding] = Field(default_factory=list)


class DisksUpdate(Wire):
    """A whole new allocation (`null`: back to the role defaults), with the node's revision."""

    revision: int = Field(ge=0)
    allocation: list[DiskAllocation] | None = Field(default=None, max_length=64)
