"""Configure Disks through the real master: read, change, stale and bad writes, reset, a role
change, and the answers file's `disks:` through apply and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, ConflictError
from fueltui.core.model import Disk, DiskAllocation, Nic, NodeFacts
from fueltui.main import main
from masterfixtures import RunningMaster

GIB = 2**30
MAC = "52:54:00:aa:00:01"
BOOT = "pci-0000:00:07.0"


def discover(master: RunningMaster, mac: str = MAC, index: int = 1) -> None:
    facts = NodeFacts(
        nics=[
            Nic(name="eth0", mac=mac, pxe=True, state="up"),
            Nic(name="eth1", mac=f"52:54:00:bb:00:0{index}"),
        ],
        disks=[
            Disk(name="zram0", size_bytes=0),  # what the lab's namespace nodes report first
            Disk(name="vda", size_bytes=32 * GIB, by_path=BOOT),
            Disk(name="vdb", size_bytes=20 * GIB, by_path="pci-0000:00:08.0"),
        ],
    )
    master.state.store.upsert_discovered(mac, f"10.20.0.{index + 2}", facts)


async def compute(client: MasterClient) -> None:
    await client.create_environment("prod")
    record = await client.node(MAC)
    record = await client.update_node(MAC, record.revision, environment="prod")
    await client.update_node(MAC, record.revision, roles=["compute"])


async def test_defaults_then_a_change_then_reset(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    await compute(client)
    view = await client.disks(MAC)
    assert not view.custom and view.findings == []
    assert [(d.key, d.name, d.boot) for d in view.disks] == [
        (BOOT, "vda", True),
        ("pci-0000:00:08.0", "vdb", False),
    ]
    assert {v.id for v in view.volumes if v.wanted} == {"os", "logs", "vm"}
    assert view.allocation[1].volumes == {"vm": view.disks[1].usable_mib}
    mine = [
        DiskAllocation(disk="vda", volumes={"os": 10240, "logs": 2048, "vm": 4096}),
        DiskAllocation(disk="vdb", volumes={"vm": 20000}),
    ]
    changed = await client.set_disks(MAC, view.revision, mine)
    assert changed.custom and changed.revision == view.revision + 1
    # stored under the stable by-path names, and what the node record holds
    assert changed.allocation[0].disk == BOOT and changed.allocation[0].volumes["os"] == 10240
    assert (await client.node(MAC)).node.disks == changed.allocation
    with pytest.raises(ConflictError) as stale:
        await client.set_disks(MAC, view.revision, mine)
    assert stale.value.code == "stale-revision"
    reset = await client.reset_disks(MAC, changed.revision)
    assert not reset.custom and reset.allocation == view.allocation


async def test_an_error_is_refused_with_findings_and_nothing_is_lost(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    await compute(client)
    view = await client.disks(MAC)
    good = [DiskAllocation(disk=BOOT, volumes={"os": 10240, "logs": 2048, "vm": 4096})]
    kept = await client.set_disks(MAC, view.revision, good)
    for bad, code in [
        ([DiskAllocation(disk=BOOT, volumes={"os": 2048, "logs": 2048, "vm": 4096})], "volume-too-small"),
        ([DiskAllocation(disk=BOOT, volumes={"os": 10240, "logs": 2048, "vm": 40960})], "disk-overcommitted"),
        ([*good, DiskAllocation(disk="sdz", volumes={"vm": 10})], "disk-unknown"),
        ([*good, DiskAllocation(disk="zram0", volumes={"vm": 10})], "disk-unknown"),
        (
            [DiskAllocation(disk=BOOT, volumes={"os": 10240, "logs": 2048, "vm": 4096, "swift": 1})],
            "volume-unknown",
        ),
    ]:
        with pytest.raises(ApiError) as refused:
            await client.set_disks(MAC, kept.revision, bad)
        assert (refused.value.status, refused.value.code) == (422, "disks-invalid")
        assert code in [f.code for f in refused.value.findings or []], refused.value.findings
        assert "nothing was changed" in refused.value.message
    after = await client.disks(MAC)
    assert after.revision == kept.revision and after.allocation == kept.allocation
    negative = {"revision": kept.revision, "allocation": [{"disk": BOOT, "volumes": {"os": -1}}]}
    response = await client.http.put(f"/api/v1/nodes/{MAC}/disks", json=negative)
    assert response.status_code == 422 and "cannot be negative" in response.json()["message"]


async def test_a_role_change_goes_back_to_the_defaults(master: RunningMaster, client: MasterClient) -> None:
    discover(master)
    await compute(client)
    view = await client.disks(MAC)
    mine = await client.set_disks(
        MAC, view.revision, [DiskAllocation(disk=BOOT, volumes={"os": 10240, "logs": 2048, "vm": 4096})]
    )
    record = await client.update_node(MAC, mine.revision, roles=["controller"])
    assert record.node.disks is None
    after = await client.disks(MAC)
    assert not after.custom and "image" in after.allocation[1].volumes and after.findings == []


ANSWERS = """
environment: {name: lab, mode: neutron-gre}
nodes:
  - mac: 52:54:00:aa:00:01
    name: ctl-1
    roles: [controller]
    disks:
      vda: {os: 10G, logs: 2G, image: 4G}
      vdb: {image: 19G}
"""


async def test_apply_stores_disks_and_export_gives_them_back(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    await client.apply(ANSWERS, source="lab.yaml")
    view = await client.disks(MAC)
    assert view.custom and view.findings == []
    assert [a.volumes for a in view.allocation] == [
        {"os": 10240, "logs": 2048, "image": 4096},
        {"image": 19456},
    ]
    exported = await client.export("lab")
    assert f"{BOOT}: {{os: 10240, logs: 2048, image: 4096}}" in exported
    assert (await client.apply(exported, source="export.yaml")).changes == []
    with pytest.raises(ApiError) as refused:
        await client.apply(ANSWERS.replace("vdb:", "vdc:"), source="lab.yaml")
    assert [(f.code, f.path) for f in refused.value.findings or [] if f.severity == "error"] == [
        ("disk-unknown", "nodes[0].disks.vdc")
    ]
    with pytest.raises(ApiError) as shape:
        await client.apply(ANSWERS.replace("logs: 2G", "logs: 2 gigs"), source="lab.yaml")
    assert shape.value.code == "answers-invalid"
    assert "lab.yaml:8: nodes[0].disks.vda.logs: '2 gigs' is not a size" in shape.value.message
    assert (await client.disks(MAC)).allocation == view.allocation  # nothing was lost


@pytest.fixture
def run(master: RunningMaster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(master.base))

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = main(["--state-dir", str(master.base), *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_cli_shows_sets_refuses_and_resets(run, master: RunningMaster, tmp_path: Path) -> None:
    discover(master)
    answers = tmp_path / "lab.yaml"
    answers.write_text(ANSWERS.split("    disks:")[0])
    assert run("apply", str(answers))[0] == 0
    code, out, _ = run("disks", "lab", "ctl-1")
    lines = out.splitlines()
    assert code == 0 and "role defaults" not in lines[0] and "the defaults for its roles" in lines[0]
    assert lines[1].split() == ["DISK", "SIZE", "OS", "LOGS", "IMAGE", "FREE"]
    assert lines[2].split()[:5] == ["vda", "(boot)", "32G", "6G", "1G"] and lines[2].split()[-1] == "0M"
    settings = ("--set", "logs=4G", "--set", "image=2G", "--set", "vdb:image=10G")
    code, out, err = run("disks", "lab", MAC, *settings, "--json")
    assert code == 0, err
    view = json.loads(out)
    assert view["custom"] is True
    assert view["allocation"][0]["volumes"]["logs"] == 4096 and view["allocation"][1]["volumes"] == {
        "image": 10240
    }
    code, _, err = run("disks", "lab", "ctl-1", "--set", "os=1G")
    assert code == 2 and "volume-too-small" in err and "nothing was changed" in err
    code, _, err = run("disks", "lab", "ctl-1", "--set", "os=lots")
    assert code == 2 and "'lots' is not a size" in err
    code, _, err = run("disks", "nope", "ctl-1")
    assert code != 0 and "nope" in err
    assert (master.state.store.node(MAC).node.disks or [])[0].volumes["logs"] == 4096  # nothing lost
    code, out, _ = run("disks", "lab", "ctl-1", "--reset")
    assert code == 0 and "the defaults for its roles" in out


async def test_apply_without_disks_keeps_them_unless_the_roles_change(
    master: RunningMaster, client: MasterClient
) -> None:
    discover(master)
    await client.apply(ANSWERS, source="lab.yaml")
    custom = (await client.disks(MAC)).allocation
    unsaid = ANSWERS.split("    disks:")[0]
    assert (await client.apply(unsaid, source="lab.yaml")).changes == []
    assert (await client.disks(MAC)).allocation == custom
    both = unsaid.replace("roles: [controller]", "roles: [controller, base-os]")
    await client.apply(both, source="lab.yaml", revision=(await client.environment("lab")).revision)
    after = await client.disks(MAC)
    assert not after.custom and after.allocation != custom and after.findings == []
