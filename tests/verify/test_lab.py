"""Verification on a real lab: nodes with sshd in namespaces, discovered by the lab's master,
probed over SSH. Wiring: eth0 admin, eth1 management, eth2 public, eth3 storage bridges."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from fueltui.lab.names import bridge_name, peer_name
from fueltui.main import main
from labfixtures import LabHandle

pytestmark = [pytest.mark.lab, pytest.mark.timeout(180)]

WIRED = {
    "eth0": ["fuelweb_admin", "private"],
    "eth1": ["management"],
    "eth2": ["public"],
    "eth3": ["storage"],
}


def answers(handle: LabHandle, overrides: dict[int, dict[str, list[str]]] | None = None) -> str:
    lines = [
        "environment:",
        "  name: demo",
        "  release: epoxy-debian-13",
        "  mode: neutron-gre",
        "nodes:",
    ]
    for node in handle.nodes:
        interfaces = (overrides or {}).get(node.index, WIRED)
        roles = "[controller]" if node.index == 1 else "[compute]"
        lines += [
            f'  - mac: "{node.admin_mac}"',
            f"    roles: {roles}",
            f"    interfaces: {json.dumps(interfaces)}",
        ]
    return "\n".join(lines) + "\n"


class Verifier:
    """Applies the environment (with optional per-node interface overrides), runs
    `fueltui verify demo --wait --json` and returns its JSON output."""

    def __init__(self, handle: LabHandle, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.handle = handle
        self.workdir = workdir
        self.capsys = capsys
        self.timings: list[float] = []

    def __call__(self, overrides: dict[int, dict[str, list[str]]] | None = None, code: int = 0) -> dict:
        path = self.workdir / "answers.yaml"
        path.write_text(answers(self.handle, overrides))
        assert main(["apply", str(path)]) == 0
        self.capsys.readouterr()
        exit_code = main(["verify", "demo", "--wait", "--json"])
        out = json.loads(self.capsys.readouterr().out)
        assert exit_code == code, out
        self.timings.append(out["seconds"])
        return out


def _verifier(
    make_lab: Callable[..., LabHandle],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    master_env: dict[str, str] | None = None,
) -> Verifier:
    handle = make_lab(nodes=3, master_env=master_env)
    for key, value in handle.env().items():
        monkeypatch.setenv(key, value)
    return Verifier(handle, tmp_path, capsys)


@pytest.fixture
def lab(
    make_lab: Callable[..., LabHandle],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Verifier:
    return _verifier(make_lab, monkeypatch, tmp_path, capsys)


@pytest.fixture
def lab_quick_dhcp(
    make_lab: Callable[..., LabHandle],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Verifier:
    """For tests about the wiring only: the DHCP check listens 1 s instead of 4."""
    return _verifier(make_lab, monkeypatch, tmp_path, capsys, {"FUELTUI_VERIFY_DHCP_TIMEOUT": "1"})


def missing_of(out: dict[str, object]) -> list[tuple[object, ...]]:
    missing = out["missing"]
    assert isinstance(missing, list), out
    return [(m["node"], m["nic"], m["network"], m["vlan"], m["missing"]) for m in missing]


def sh(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def test_wired_lab_hears_everything_tagged_probes_cross_and_a_rogue_dhcp_server_is_named(
    lab: Verifier,
) -> None:
    handle = lab.handle
    out = lab(code=0)
    assert out["ok"] is True and out["missing"] == []
    assert out["dhcp"] == []  # the lab master's own dnsmasq is not foreign
    # VLAN 101 (management) probes crossed br-management, tagged, and were heard as VLAN 101.
    heard = out["heard"]["bootstrap-1"]["eth1"]
    assert heard["101"] == ["bootstrap-2/eth1", "bootstrap-3/eth1"]
    assert heard["101"] == heard["0"]
    assert out["heard"]["bootstrap-2"]["eth0"]["103"] == ["bootstrap-1/eth0", "bootstrap-3/eth0"]
    assert out["seconds"] < 15

    rogue_ns = f"{handle.prefix}rogue"
    master_ns = handle.master_ns
    sh("ip", "netns", "add", rogue_ns)
    dnsmasq = None
    try:
        sh(
            "ip",
            "-n",
            master_ns,
            "link",
            "add",
            "rogue0",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            rogue_ns,
        )
        sh("ip", "-n", master_ns, "link", "set", "rogue0", "master", bridge_name("admin"), "up")
        sh("ip", "-n", rogue_ns, "addr", "add", "10.20.0.3/24", "dev", "eth0")
        sh("ip", "-n", rogue_ns, "link", "set", "eth0", "up")
        rogue_mac = json.loads(sh("ip", "-n", rogue_ns, "-j", "link", "show", "eth0"))[0]["address"]
        dnsmasq = subprocess.Popen(
            ["ip", "netns", "exec", rogue_ns, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
             "--port=0", "--interface=eth0", "--bind-interfaces", "--user=root", "--group=root",
             "--dhcp-range=10.20.0.50,10.20.0.60,255.255.255.0,1h",
             f"--dhcp-leasefile={handle.lab.names.root / 'rogue.leases'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        out = lab(code=0)  # a foreign DHCP server is a warning: the wiring is still right
        assert [(s["address"], s["mac"]) for s in out["dhcp"]] == [("10.20.0.3", rogue_mac)]
    finally:
        if dnsmasq is not None:
            dnsmasq.terminate()
            dnsmasq.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", rogue_ns], check=False)


def test_unplugged_nic_and_a_misassigned_network_are_reported(lab_quick_dhcp: Verifier) -> None:
    lab = lab_quick_dhcp
    handle = lab.handle
    port = peer_name(2, 1)  # node 2's eth1, in the master namespace
    sh("ip", "-n", handle.master_ns, "link", "set", port, "nomaster")
    out = lab(code=1)
    assert missing_of(out) == [("bootstrap-2", "eth1", "management", 101, ["bootstrap-1", "bootstrap-3"])]
    assert out["missing"][0]["mac"] == handle.nodes[1].macs[1]
    sh("ip", "-n", handle.master_ns, "link", "set", port, "master", bridge_name("management"))
    assert lab(code=0)["missing"] == []

    # Management moved onto node 3's eth3, which is wired to the storage bridge.
    moved = {"eth0": ["fuelweb_admin", "private"], "eth2": ["public"], "eth3": ["storage", "management"]}
    out = lab({3: moved}, code=1)
    assert missing_of(out) == [("bootstrap-3", "eth3", "management", 101, ["bootstrap-1", "bootstrap-2"])]
