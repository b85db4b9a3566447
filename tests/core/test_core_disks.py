"""Configure Disks: the release's volume defaults, the allocation rules (one failing and one
passing case per code), and the partition plan, written by the real sfdisk to a sparse file."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from fueltui.core.disks import (
    CODES,
    MIB,
    DiskAllocation,
    VolumeDefaults,
    check_allocation,
    default_allocation,
    partition_plan,
    sfdisk_script,
    usable_mib,
    volume_defaults,
)
from fueltui.core.model import Disk, Finding, Node, NodeFacts, Severity
from fueltui.core.releases import default_release

GIB = 2**30
_SHIPPED = volume_defaults("epoxy-debian-13")
assert _SHIPPED is not None
DEFAULTS: VolumeDefaults = _SHIPPED
VDA = Disk(name="vda", size_bytes=16 * GIB, by_path="pci-0000:00:07.0")
VDB = Disk(name="vdb", size_bytes=20 * GIB, by_path="pci-0000:00:08.0")


def node(roles: list[str], disks: list[Disk] | None = None) -> Node:
    return Node(
        mac="52:54:01:00:01:00", name="node-1", roles=roles, facts=NodeFacts(disks=disks or [VDA, VDB])
    )


def codes(findings: Sequence[Finding]) -> set[str]:
    return {f.code for f in findings}


def test_the_shipped_release_has_defaults_for_every_role() -> None:
    assert DEFAULTS is not None
    release = default_release()
    assert set(release.roles) <= set(DEFAULTS.roles)
    assert all(DEFAULTS.spec(rv.id) for rvs in DEFAULTS.roles.values() for rv in rvs)
    assert volume_defaults("no-such-release") is None


@pytest.mark.parametrize(
    ("roles", "big"),
    [
        (["controller"], "image"),
        (["compute"], "vm"),
        (["cinder"], "cinder"),
        (["mongo"], "mongo"),
        ([], "os"),
    ],
)
def test_default_allocation_passes_its_own_rules(roles: list[str], big: str) -> None:
    assert DEFAULTS is not None
    alloc = default_allocation([VDA, VDB], roles, DEFAULTS)
    assert check_allocation(node(roles), alloc, DEFAULTS) == []
    first = alloc[0].volumes
    assert alloc[0].disk == "pci-0000:00:07.0"  # disks are named by path: stable across reboots
    assert first["os"] >= 6144 and next(iter(first)) == "os"
    assert sum(first.values()) == usable_mib(VDA, True, DEFAULTS)  # nothing left unused on the boot disk
    if big != "os":
        assert alloc[1].volumes == {big: usable_mib(VDB, False, DEFAULTS)}
    else:
        assert alloc[1].volumes == {}  # the OS stays on the boot disk


def test_ceph_takes_whole_other_disks_and_roles_share_free_space() -> None:
    assert DEFAULTS is not None
    ceph = default_allocation([VDA, VDB], ["ceph-osd"], DEFAULTS)
    assert ceph[1].volumes == {"ceph": usable_mib(VDB, False, DEFAULTS)}
    assert ceph[0].volumes["cephjournal"] == 1024
    both = default_allocation([VDA, VDB], ["controller", "cinder"], DEFAULTS)
    assert abs(both[1].volumes["image"] - both[1].volumes["cinder"]) <= 1
    assert check_allocation(node(["controller", "cinder"]), both, DEFAULTS) == []


VALID = [DiskAllocation(disk="pci-0000:00:07.0", volumes={"os": 8000, "logs": 1024, "vm": 4000})]


# code -> (an allocation that causes it, for a compute node unless said otherwise)
FAILING: dict[str, list[DiskAllocation]] = {
    "disk-unknown": [*VALID, DiskAllocation(disk="pci-0000:00:09.0", volumes={"vm": 100})],
    "volume-unknown": [
        DiskAllocation(disk="vda", volumes={"os": 8000, "logs": 1024, "vm": 4000, "swift": 10})
    ],
    "disk-overcommitted": [DiskAllocation(disk="vda", volumes={"os": 8000, "logs": 1024, "vm": 8000})],
    "volume-too-small": [DiskAllocation(disk="vda", volumes={"os": 2000, "logs": 1024, "vm": 4000})],
    "volume-unused": [*VALID, DiskAllocation(disk="vdb", volumes={"image": 4000})],
    "os-not-on-boot-disk": [
        DiskAllocation(disk="vda", volumes={"logs": 1024, "vm": 4000}),
        DiskAllocation(disk="vdb", volumes={"os": 8000}),
    ],
    "disk-duplicate": [*VALID, DiskAllocation(disk="vda", volumes={"vm": 100})],  # vda is 00:07.0
}


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_disk_code_has_a_failing_and_a_passing_case(code: str) -> None:
    assert DEFAULTS is not None
    found = check_allocation(node(["compute"]), FAILING[code], DEFAULTS)
    assert code in codes(found), found
    assert code not in codes(check_allocation(node(["compute"]), VALID, DEFAULTS))
    finding = next(f for f in found if f.code == code)
    assert finding.path.startswith("nodes.node-1.disks")
    assert (finding.severity == Severity.warning) == (code == "volume-unused")


def test_a_too_small_disk_is_told_what_is_missing() -> None:
    assert DEFAULTS is not None
    tiny = Disk(name="vda", size_bytes=4 * GIB)
    found = check_allocation(
        node(["controller"], [tiny]), default_allocation([tiny], ["controller"], DEFAULTS), DEFAULTS
    )
    assert "volume-too-small" in codes(found)
    assert any("Base System needs at least 6144 MiB" in f.message for f in found)


def test_partition_plan_is_contiguous_aligned_and_fits() -> None:
    assert DEFAULTS is not None
    alloc = default_allocation([VDA, VDB], ["compute"], DEFAULTS)
    plans = partition_plan([VDA, VDB], alloc, DEFAULTS)
    assert [p.disk for p in plans] == ["vda", "vdb"]
    boot = plans[0].partitions
    assert [p.name for p in boot] == ["bios-boot", "efi", "os", "logs", "vm"]
    assert boot[1].file_system == "vfat" and boot[1].mount == "/boot/efi" and boot[2].mount == "/"
    for plan, disk in zip(plans, [VDA, VDB], strict=True):
        assert plan.partitions[0].start_mib == 1
        for a, b in zip(plan.partitions, plan.partitions[1:], strict=False):
            assert b.start_mib == a.start_mib + a.size_mib
        last = plan.partitions[-1]
        assert last.start_mib + last.size_mib <= disk.size_bytes // MIB - 1  # room for the backup GPT


def test_sfdisk_writes_exactly_the_plan(tmp_path: Path) -> None:
    assert DEFAULTS is not None
    sfdisk = shutil.which("sfdisk")
    assert sfdisk is not None, "sfdisk (util-linux) is needed"
    image = tmp_path / "disk.img"
    with open(image, "wb") as f:
        f.truncate(VDA.size_bytes)  # sparse: costs nothing
    plan = partition_plan([VDA], default_allocation([VDA], ["controller"], DEFAULTS), DEFAULTS)[0]
    subprocess.run([sfdisk, "-q", str(image)], input=sfdisk_script(plan), text=True, check=True)
    table = json.loads(
        subprocess.run([sfdisk, "-J", str(image)], capture_output=True, text=True, check=True).stdout
    )
    written = table["partitiontable"]["partitions"]
    assert table["partitiontable"]["label"] == "gpt"
    assert [(p["start"], p["size"], p["type"], p["name"]) for p in written] == [
        (q.start_mib * 2048, q.size_mib * 2048, q.type_guid, q.name) for q in plan.partitions
    ]
