"""Configure Disks beyond the allocator: sizes as operators type them, which disks count, the
stored allocation, the rules inside `check_environment`, and the answers file's `disks:`."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from answersbase import BASE, changed
from fueltui.core.answers import Answers, AnswersError, dump_answers, load_answers, load_answers_data
from fueltui.core.disks import (
    CODES,
    DiskAllocation,
    VolumeDefaults,
    boot_disk,
    default_allocation,
    installable,
    node_allocation,
    normalized,
    usable_mib,
    volume_defaults,
)
from fueltui.core.disksizes import format_mib, human_mib, parse_size
from fueltui.core.environment import answers_from_environment, environment_from_answers, new_environment
from fueltui.core.model import Disk, Node, NodeFacts
from fueltui.core.releases import default_release
from fueltui.core.rules import check_answers, check_environment, node_from_answers
from fueltui.core.rules.codes import CODES as ALL_CODES

GIB = 2**30
_SHIPPED = volume_defaults("epoxy-debian-13")
assert _SHIPPED is not None
DEFAULTS: VolumeDefaults = _SHIPPED
ZRAM = Disk(name="zram0", size_bytes=0)
VDA = Disk(name="vda", size_bytes=16 * GIB, by_path="pci-0000:00:07.0")
VDB = Disk(name="vdb", size_bytes=20 * GIB)


@pytest.mark.parametrize(
    ("typed", "mib"),
    [(10240, 10240), ("10240", 10240), ("512M", 512), ("10G", 10240), ("10 GiB", 10240), ("1.5T", 1572864)],
)
def test_sizes_as_typed(typed: object, mib: int) -> None:
    assert parse_size(typed) == mib


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("10X", "is not a size: give MiB"),
        ("ten", "is not a size"),
        (-5, "cannot be negative"),
        ("-5G", "is not a size"),
        (True, "is not a size"),
        ("0.3M", "not a whole number of MiB"),
        ("9999999999T", "larger than any disk"),
        (1.5, "is not a size"),
    ],
)
def test_bad_sizes_are_refused_with_a_hint(typed: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_size(typed)


def test_what_is_not_a_disk_to_install_onto_is_left_out() -> None:
    # what a namespace node of the lab reports: the host's zram first, then its real disk
    assert installable([ZRAM, VDA, Disk(name="loop0", size_bytes=20 * GIB)]) == [VDA]
    assert boot_disk([ZRAM, VDA]) == VDA
    assert [a.disk for a in default_allocation([ZRAM, VDA], ["compute"], DEFAULTS)] == [VDA.by_path]


def test_the_stored_allocation_wins_over_the_defaults() -> None:
    node = Node(mac="52:54:00:aa:00:01", name="n1", roles=["compute"], facts=NodeFacts(disks=[VDA, VDB]))
    assert node_allocation(node, DEFAULTS) == default_allocation([VDA, VDB], ["compute"], DEFAULTS)
    mine = [DiskAllocation(disk="vda", volumes={"os": 8192, "logs": 2048, "vm": 4096})]
    assert node_allocation(node.model_copy(update={"disks": mine}), DEFAULTS) == mine
    # kernel names become the stable by-path names where the node reports one
    assert [a.disk for a in normalized([VDA, VDB], [*mine, DiskAllocation(disk="vdb")])] == [
        "pci-0000:00:07.0",
        "vdb",
    ]


def test_every_disk_code_is_registered_with_the_others() -> None:
    assert CODES.items() <= ALL_CODES.items()


def _node(disks: list[DiskAllocation] | None, facts: list[Disk]) -> Node:
    return Node(
        mac="52:54:00:aa:00:01",
        name="node-1",
        environment="demo",
        roles=["compute"],
        facts=NodeFacts(disks=facts),
        disks=disks,
    )


def test_check_environment_judges_each_nodes_disks_at_its_place() -> None:
    release = default_release()
    env = new_environment("demo", release, "neutron-gre")
    fine = _node(None, [ZRAM, VDA])
    assert not [f for f in check_environment(env, release, [fine]) if f.code in CODES]
    tiny = _node(None, [Disk(name="vda", size_bytes=4 * GIB)])
    found = [(f.code, f.path) for f in check_environment(env, release, [fine, tiny]) if f.code in CODES]
    assert ("volume-too-small", "nodes[1].disks.os") in found
    over = _node([DiskAllocation(disk="vda", volumes={"os": 8192, "logs": 1024, "vm": 16384})], [VDA])
    found = [(f.code, f.path) for f in check_environment(env, release, [over]) if f.code in CODES]
    assert found == [("disk-overcommitted", "nodes[0].disks.vda")]
    unknown = _node(None, [])  # nothing known, nothing set: nothing to say
    assert not [f for f in check_environment(env, release, [unknown]) if f.code in CODES]


def load_answers_yaml(data: dict[str, Any]) -> Answers:
    return load_answers(yaml.safe_dump(data))


def _answers_findings(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in check_answers(load_answers_yaml(data))]


GOOD = {"vda": {"os": "8G", "logs": "1G", "vm": 4096}}


def test_answers_disks_are_checked_offline_on_their_volumes() -> None:
    good = _answers_findings(changed({"nodes[1].disks": GOOD}))
    assert not [f for f in good if f[0] in CODES], good
    typo = _answers_findings(changed({"nodes[1].disks": {"vda": {"os": "8G", "logs": "1G", "vms": 4096}}}))
    assert ("volume-unknown", "nodes[1].disks.vda.vms") in typo
    assert ("volume-too-small", "nodes[1].disks.vm") in typo
    two = _answers_findings(changed({"nodes[1].disks": {**GOOD, "vdb": {"os": "8G"}}}))
    assert ("os-not-on-boot-disk", "nodes[1].disks.vdb.os") in two


def test_a_bad_size_in_the_answers_file_names_its_line_and_field() -> None:
    text = yaml.safe_dump(changed({"nodes[1].disks": {"vda": {"os": "8 gigs"}}}), sort_keys=False)
    with pytest.raises(AnswersError) as caught:
        load_answers_data(text, "site.yaml")
    error = caught.value
    assert error.field == "nodes[1].disks.vda.os"
    assert "'8 gigs' is not a size: give MiB (10240) or a number with M, G or T" in error.message
    assert error.line is not None and text.splitlines()[error.line - 1].strip().startswith("os:")


def test_export_writes_an_operators_allocation_and_not_the_defaults() -> None:
    release = default_release()
    answers = load_answers_yaml(changed({"nodes[1].disks": GOOD}))
    assert answers.environment is not None
    env = environment_from_answers(answers.environment, release)
    nodes = [node_from_answers(spec) for spec in answers.nodes]
    again = load_answers(dump_answers(answers_from_environment(env, release, nodes)))
    assert again.nodes[0].disks is None  # the controller follows its role's defaults
    assert again.nodes[1].disks == {"vda": {"os": 8192, "logs": 1024, "vm": 4096}}


def test_the_base_document_stays_clean() -> None:
    assert not [f for f in _answers_findings(BASE) if f[0] in CODES]
    assert usable_mib(VDA, True, DEFAULTS) > 0


def test_sizes_are_written_back_exactly_and_shown_short() -> None:
    for mib in (0, 512, 1024, 97919, 20480):
        assert parse_size(format_mib(mib)) == mib
    assert [human_mib(m) for m in (512, 1024, 9728, 97919, 2 * 2**20)] == [
        "512M",
        "1G",
        "9.5G",
        "95.6G",
        "2.0T",
    ]
