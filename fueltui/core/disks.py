"""Configure Disks (Fuel's volume manager): how each of a node's disks is split between the
base system, logs and role volumes, checked with coded findings and turned into a partition
plan.

Three pure steps. `default_allocation` gives a node the release's per-role defaults (the OS
and its logs on the boot disk at their minimum, the rest to the roles' big volumes);
`check_allocation` judges any allocation, the default or an operator's; `partition_plan`
lays an allocation out as GPT partitions (and `sfdisk_script` says it in sfdisk's words) for
provisioning to write. Sizes are MiB throughout; `fueltui.core.disksizes` reads and writes
them as operators type them.

A node's allocation is stored on the node (`Node.disks`) once the operator sets one; until
then `node_allocation` gives the defaults, so a role change is followed without asking.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from typing import Literal

import yaml
from pydantic import Field

from fueltui.core.model import Disk, DiskAllocation, Finding, Node, Severity, Strict

MIB = 2**20
SECTOR = 512
ALIGN_MIB = 1  # partitions start on MiB boundaries; the first MiB holds the GPT
GPT_TAIL_MIB = 1  # the backup GPT at the end of the disk

# Registered with every other code in `fueltui.core.rules.codes` (paths `nodes[i].disks.*`).
CODES: dict[str, str] = {
    "disk-unknown": "an allocation names a disk the node does not have (or one nothing is installed on)",
    "disk-duplicate": "an allocation names one disk twice (by kernel name and by path)",
    "volume-unknown": "an allocation names a volume the release does not define",
    "disk-overcommitted": "the volumes on a disk need more space than the disk has",
    "volume-too-small": "a volume the node's roles need is below its minimum (or missing)",
    "volume-unused": "space given to a volume none of the node's roles uses (warning)",
    "os-not-on-boot-disk": "the base system is not (only) on the boot disk, where the boot loader goes",
}
# Not disks to install onto: compressed RAM, RAM disks, loop and network block devices,
# optical and floppy drives; and anything too small to hold even a partition table.
NOT_INSTALLABLE = ("zram", "ram", "loop", "nbd", "sr", "fd")
MIN_DISK_MIB = 1024


class Allocate(StrEnum):
    min = "min"
    all = "all"
    full_disk = "full-disk"


FileSystem = Literal["ext4", "swap", "lvm-pv", "ceph-journal", "ceph-osd"]
# GPT partition types (sfdisk accepts the GUIDs): what later tools look for on the disk.
TYPE_GUIDS: dict[str, str] = {
    "bios": "21686148-6449-6E6F-744E-656564454649",
    "esp": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
    "ext4": "0FC63DAF-8483-4772-8E79-3D69D8477DE4",
    "swap": "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F",
    "lvm-pv": "E6D6D379-F507-44C2-A23C-238F2A3DF928",
    "ceph-journal": "45B0969E-9B03-4F30-B4C6-B4B80CEFF106",
    "ceph-osd": "4FBD7E29-9D25-41B8-AFD0-062C0CEFF05D",
}


class VolumeSpec(Strict):
    id: str
    label: str
    file_system: FileSystem
    mount: str | None = None
    min_mib: int = Field(ge=0)


class RoleVolume(Strict):
    id: str
    allocate: Allocate


class VolumeDefaults(Strict):
    boot_reserve_mib: int = Field(ge=1)
    volumes: list[VolumeSpec]
    roles: dict[str, list[RoleVolume]]

    @cached_property
    def _by_id(self) -> dict[str, VolumeSpec]:
        return {v.id: v for v in self.volumes}

    def spec(self, volume: str) -> VolumeSpec | None:
        return self._by_id.get(volume)

    def wanted(self, roles: list[str]) -> dict[str, Allocate]:
        """Volume -> how much of it the node's roles want (the most any role asks for)."""
        rank = {Allocate.min: 0, Allocate.all: 1, Allocate.full_disk: 2}
        out: dict[str, Allocate] = {}
        for role in roles or ["other"]:
            for rv in self.roles.get(role, self.roles.get("other", [])):
                if rv.id not in out or rank[rv.allocate] > rank[out[rv.id]]:
                    out[rv.id] = rv.allocate
        # in the release's volume order, so the OS always comes first
        return {v.id: out[v.id] for v in self.volumes if v.id in out}


@cache
def volume_defaults(release_id: str) -> VolumeDefaults | None:
    """The release's Configure Disks defaults (releases/volumes/<release id>.yaml), if it has any."""
    entry = resources.files("fueltui.core.releases").joinpath("volumes", f"{release_id}.yaml")
    if not entry.is_file():
        return None
    return VolumeDefaults.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))


def disk_key(disk: Disk) -> str:
    return disk.by_path or disk.name


def usable_mib(disk: Disk, boot: bool, defaults: VolumeDefaults) -> int:
    reserve = defaults.boot_reserve_mib if boot else ALIGN_MIB
    return max(0, disk.size_bytes // MIB - reserve - GPT_TAIL_MIB)


def installable(disks: list[Disk]) -> list[Disk]:
    """The disks an OS and volumes can go on, in the node's order."""
    return [
        d for d in disks if not d.name.startswith(NOT_INSTALLABLE) and d.size_bytes // MIB >= MIN_DISK_MIB
    ]


def boot_disk(disks: list[Disk]) -> Disk | None:
    """The first installable disk the node lists: the one its firmware boots (Fuel's choice too)."""
    usable = installable(disks)
    return usable[0] if usable else None


def node_allocation(node: Node, defaults: VolumeDefaults) -> list[DiskAllocation]:
    """What the node's disks hold: the operator's allocation, else the release's defaults."""
    if node.disks is not None:
        return [a.model_copy(deep=True) for a in node.disks]
    return default_allocation(node.facts.disks, node.roles, defaults)


def find_disk(disks: list[Disk], key: str) -> Disk | None:
    """The installable disk an allocation names, by its by-path name or its kernel name."""
    return next((d for d in installable(disks) if key in (d.by_path, d.name)), None)


def normalized(disks: list[Disk], allocation: list[DiskAllocation]) -> list[DiskAllocation]:
    """The allocation with every known disk under its stable name (by-path when reported);
    names no disk matches stay as given, for the rules to report."""
    out = []
    for alloc in allocation:
        disk = find_disk(disks, alloc.disk)
        out.append(alloc.model_copy(update={"disk": disk_key(disk) if disk else alloc.disk}, deep=True))
    return out


def default_allocation(disks: list[Disk], roles: list[str], defaults: VolumeDefaults) -> list[DiskAllocation]:
    """The release's defaults for this node: every wanted volume at its minimum (the boot disk
    first), `full-disk` volumes on whole other disks, the rest shared by the `all` volumes."""
    disks = installable(disks)
    if not disks:
        return []
    wanted = defaults.wanted(roles)
    free = {d.name: usable_mib(d, i == 0, defaults) for i, d in enumerate(disks)}
    alloc: dict[str, dict[str, int]] = {d.name: {} for d in disks}
    others = disks[1:]
    for vol, how in wanted.items():
        spec = defaults.spec(vol)
        if spec is None or (how == Allocate.full_disk and others):
            continue
        need = spec.min_mib
        order = disks if vol != "os" else disks[:1]
        target = next((d for d in order if free[d.name] >= need), disks[0])
        given = min(need, free[target.name])
        alloc[target.name][vol] = given
        free[target.name] -= given
    for disk in others:
        for vol, how in wanted.items():
            if how == Allocate.full_disk and free[disk.name] > 0:
                alloc[disk.name][vol] = alloc[disk.name].get(vol, 0) + free[disk.name]
                free[disk.name] = 0
    growing = [
        v for v, how in wanted.items() if how == Allocate.all or (how == Allocate.full_disk and not others)
    ]
    for disk in disks:
        here = [v for v in growing if v != "os" or disk is disks[0]]  # the OS stays on the boot disk
        if not here or free[disk.name] <= 0:
            continue
        share, extra = divmod(free[disk.name], len(here))
        for i, vol in enumerate(here):
            alloc[disk.name][vol] = alloc[disk.name].get(vol, 0) + share + (1 if i < extra else 0)
        free[disk.name] = 0
    by_name = {d.name: d for d in disks}
    return [
        DiskAllocation(disk=disk_key(by_name[name]), volumes={v: m for v, m in vols.items() if m > 0})
        for name, vols in alloc.items()
    ]


def _f(code: str, path: str, message: str, severity: Severity = Severity.error) -> Finding:
    return Finding(code=code, path=path, message=message, severity=severity)


def check_allocation(
    node: Node, allocation: list[DiskAllocation], defaults: VolumeDefaults, path: str | None = None
) -> list[Finding]:
    """Every problem with `allocation` for `node`, as findings under `<path>.disks` (`path` is
    the node's place in an answers file, "nodes[1]"; by default `nodes.<name>`). A node whose
    disks are not known (an answers file checked offline) is judged on its volumes only."""
    base = f"{path or f'nodes.{node.name}'}.disks"
    disks = installable(node.facts.disks)
    known = bool(disks)
    boot = boot_disk(disks)
    wanted = defaults.wanted(node.roles)
    findings: list[Finding] = []
    totals: dict[str, int] = {}
    os_disks: list[str] = []
    seen: dict[str, str] = {}
    for alloc in allocation:
        disk = find_disk(disks, alloc.disk)
        where = f"{base}.{alloc.disk}"
        if known and disk is None:
            ignored = any(alloc.disk in (d.name, d.by_path) for d in node.facts.disks)
            why = "nothing is installed on it (too small, or not a real disk)" if ignored else "no such disk"
            names = ", ".join(d.name for d in disks) or "none"
            findings.append(
                _f("disk-unknown", where, f"node {node.name}: {alloc.disk!r}: {why}; its disks: {names}")
            )
            continue
        if disk is not None:
            if disk.name in seen:
                message = (
                    f"{disk.name} is listed twice (as {seen[disk.name]!r} and {alloc.disk!r}); give it once"
                )
                findings.append(_f("disk-duplicate", where, message))
                continue
            seen[disk.name] = alloc.disk
        for vol, mib in alloc.volumes.items():
            spec = defaults.spec(vol)
            if spec is None:
                known_vols = ", ".join(v.id for v in defaults.volumes)
                findings.append(
                    _f(
                        "volume-unknown",
                        f"{where}.{vol}",
                        f"the release has no volume {vol!r}; it has {known_vols}",
                    )
                )
                continue
            totals[vol] = totals.get(vol, 0) + mib
            if vol not in wanted and mib > 0:
                findings.append(
                    _f(
                        "volume-unused",
                        f"{where}.{vol}",
                        f"{mib} MiB for {spec.label} on {alloc.disk}, which none of the roles "
                        f"({', '.join(node.roles) or 'none'}) uses",
                        Severity.warning,
                    )
                )
            if vol == "os" and mib > 0:
                os_disks.append(alloc.disk)
                if disk is not None and disk is not boot:
                    findings.append(
                        _f(
                            "os-not-on-boot-disk",
                            f"{where}.os",
                            f"the base system is on {disk.name}; it must be on the boot disk "
                            f"{boot.name if boot else '?'} only",
                        )
                    )
        if disk is None:
            continue
        used = sum(m for v, m in alloc.volumes.items() if defaults.spec(v) is not None)
        room = usable_mib(disk, disk is boot, defaults)
        if used > room:
            findings.append(
                _f(
                    "disk-overcommitted",
                    where,
                    f"{disk.name} has {room} MiB for volumes; {used} MiB are allocated on it "
                    f"({used - room} MiB too many)",
                )
            )
    if not known and len(os_disks) > 1:
        findings.append(
            _f(
                "os-not-on-boot-disk",
                f"{base}.{os_disks[1]}.os",
                f"the base system is one partition on the boot disk; it is on {', '.join(os_disks)}",
            )
        )
    for vol in wanted:
        spec = defaults.spec(vol)
        if spec is not None and totals.get(vol, 0) < max(spec.min_mib, 1):
            findings.append(
                _f(
                    "volume-too-small",
                    f"{base}.{vol}",
                    f"{spec.label} needs at least {spec.min_mib} MiB on node {node.name}; "
                    f"it has {totals.get(vol, 0)} MiB",
                )
            )
    return findings


class Partition(Strict):
    number: int
    start_mib: int
    size_mib: int
    type_guid: str
    name: str
    volume: str | None = None  # None: the boot loader's own partitions
    file_system: str | None = None  # what provisioning formats it as (vfat for the ESP)
    mount: str | None = None


class DiskPlan(Strict):
    disk: str  # kernel name (what the bootstrap sees now)
    by_path: str | None = None
    partitions: list[Partition]


def _layout(disk: Disk, is_boot: bool, volumes: dict[str, int], defaults: VolumeDefaults) -> list[Partition]:
    order = [v.id for v in defaults.volumes]
    rows: list[tuple[int, str, str, str | None, str | None, str | None]] = []
    if is_boot:
        rows.append((1, TYPE_GUIDS["bios"], "bios-boot", None, None, None))
        rows.append((defaults.boot_reserve_mib - 2, TYPE_GUIDS["esp"], "efi", None, "vfat", "/boot/efi"))
    for vol in sorted(volumes, key=lambda v: order.index(v) if v in order else len(order)):
        spec = defaults.spec(vol)
        if spec is not None and volumes[vol] > 0:
            rows.append((volumes[vol], TYPE_GUIDS[spec.file_system], vol, vol, spec.file_system, spec.mount))
    parts: list[Partition] = []
    start = ALIGN_MIB
    for number, (size, guid, name, volume, fs, mount) in enumerate(rows, start=1):
        parts.append(
            Partition(
                number=number,
                start_mib=start,
                size_mib=size,
                type_guid=guid,
                name=name,
                volume=volume,
                file_system=fs,
                mount=mount,
            )
        )
        start += size
    return parts


def partition_plan(
    disks: list[Disk], allocation: list[DiskAllocation], defaults: VolumeDefaults
) -> list[DiskPlan]:
    """GPT partitions per disk: on the boot disk a BIOS boot and an EFI system partition
    (so the same disk boots under both firmwares), then each volume in the release's order.
    Disks the allocation does not use are left alone. Check the allocation first."""
    boot = boot_disk(disks)
    plans = []
    for alloc in allocation:
        disk = find_disk(disks, alloc.disk)
        if disk is None or not any(alloc.volumes.values()):
            continue
        parts = _layout(disk, disk is boot, alloc.volumes, defaults)
        plans.append(DiskPlan(disk=disk.name, by_path=disk.by_path, partitions=parts))
    return plans


def sfdisk_script(plan: DiskPlan) -> str:
    """The plan as sfdisk input (sectors, so what is written is exactly what was planned)."""
    per_mib = MIB // SECTOR
    lines = ["label: gpt", "unit: sectors", ""]
    for p in plan.partitions:
        lines.append(
            f"start={p.start_mib * per_mib}, size={p.size_mib * per_mib}, type={p.type_guid}, name={p.name}"
        )
    return "\n".join(lines) + "\n"
