"""`lab up` recovers from a half-built lab; `lab down` leaves nothing behind."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from fueltui.lab import netns, processes
from fueltui.lab.lab import Lab
from fueltui.lab.names import node_mac
from fueltui.main import main
from labfixtures import unique_prefix

pytestmark = [pytest.mark.lab, pytest.mark.skipif(os.geteuid() != 0, reason="lab tests need root")]


def traces(lab: Lab) -> dict[str, object]:
    root = str(lab.names.root)
    mounts = [line for line in Path("/proc/self/mountinfo").read_text().splitlines() if root in line]
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {
        "namespaces": [ns for ns in netns.list_netns() if lab.names.owns_ns(ns)],
        "processes": processes.mentioning(root),
        "mounts": mounts,
        "files": lab.names.root.exists(),
        "host links": [line for line in host_links.splitlines() if "br-admin" in line or "n1e0" in line],
    }


def test_up_recovers_from_a_half_built_lab_and_down_leaves_no_trace() -> None:
    lab = Lab(unique_prefix())
    try:
        # What a crash half-way through `up` leaves: a master namespace, a stray node, files.
        netns.run(["ip", "netns", "add", lab.names.master_ns])
        netns.run(["ip", "netns", "add", lab.names.node_ns(7)])
        lab.names.root.mkdir(parents=True)
        (lab.names.root / "lab.json").write_text("{not json")
        state = lab.up(nodes=2, nics=2, start_master=False)
        assert [n.index for n in state.nodes] == [1, 2]
        assert lab.names.node_ns(7) not in netns.list_netns()
        assert lab.healthy()
        assert lab.up(nodes=2, nics=2, start_master=False).nodes[0].pid == state.nodes[0].pid  # kept
        assert lab.node_exec(1, ["hostname"]).strip() == "bootstrap-1"
        assert traces(lab)["processes"]
    finally:
        lab.down()
    assert traces(lab) == {"namespaces": [], "processes": [], "mounts": [], "files": False, "host links": []}


def test_nodes_write_into_their_own_root_only() -> None:
    lab = Lab(unique_prefix())
    try:
        lab.up(nodes=2, nics=1, start_master=False)
        lab.node_exec(1, ["sh", "-c", "echo one > /etc/fueltui-node-marker"])
        assert lab.node_exec(1, ["cat", "/etc/fueltui-node-marker"]).strip() == "one"
        assert (
            lab.node_exec(2, ["sh", "-c", "cat /etc/fueltui-node-marker 2>/dev/null || echo absent"]).strip()
            == "absent"
        )
        assert not Path("/etc/fueltui-node-marker").exists()
    finally:
        lab.down()


def test_nodes_see_neither_the_hosts_disks_nor_its_secrets() -> None:
    host_secrets = [p for p in ("/etc/ssh/ssh_host_ed25519_key", "/root/.ssh") if Path(p).exists()]
    lab = Lab(unique_prefix())
    try:
        lab.up(nodes=1, nics=1, start_master=False)
        devices = lab.node_exec(1, ["ls", "/dev"]).split()
        assert {"null", "zero", "urandom", "tty", "pts", "ptmx"} <= set(devices)
        host_disks = [d for d in os.listdir("/dev") if d.startswith(("sd", "vd", "nvme", "xvd", "loop"))]
        assert host_disks and not set(host_disks) & set(devices)  # the host has disks; the node sees none
        for secret in [*host_secrets, lab.names.root.as_posix(), "/var/lib/fueltui"]:
            seen = lab.node_exec(
                1, ["sh", "-c", f"test -e {shlex.quote(secret)} && echo visible || echo hidden"]
            )
            assert seen.strip() == "hidden", secret
        assert all(Path(p).exists() for p in host_secrets)  # hidden on the node, untouched on the host
        # Another master's token left under /var/tmp, a work tree: nothing of them on a node.
        marker = Path("/var/tmp") / f"fueltui-test-{lab.names.prefix}"
        marker.write_text("a token")
        try:
            listing = lab.node_exec(1, ["sh", "-c", "ls -A /var/tmp; ls -A /work 2>/dev/null | head -3"])
            assert marker.name not in listing and "main" not in listing.split()
        finally:
            marker.unlink()
        hashes = lab.node_exec(1, ["cut", "-d:", "-f2", "/etc/shadow"]).split()
        assert hashes and set(hashes) == {"*"}  # no password hash of the host reaches a node
    finally:
        lab.down()


def test_lab_commands_up_status_down(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    prefix = unique_prefix()
    monkeypatch.setenv("FUELTUI_LAB_PREFIX", prefix)
    try:
        assert main(["lab", "up", "--nodes", "2", "--nics", "2", "--no-master"]) == 0
        assert main(["lab", "status"]) == 0
        out = capsys.readouterr().out
        assert "bootstrap-2" in out and node_mac(2, 1) in out and "10.20.0." in out
    finally:
        assert main(["lab", "down"]) == 0
    assert main(["lab", "status"]) == 1
    assert "is not up" in capsys.readouterr().out
    assert not Lab(prefix).names.root.exists()


def test_lab_up_returns_once_every_node_is_discovered(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's next line after `lab up` is an `apply` naming the nodes' MACs: when `lab up`
    returns, the lab's master must already list every node online with its facts (issue 13: 28)."""
    prefix = unique_prefix()
    monkeypatch.setenv("FUELTUI_LAB_PREFIX", prefix)
    monkeypatch.setenv("FUELTUI_LAB", "1")
    try:
        assert main(["lab", "up", "--nodes", "3", "--nics", "2"]) == 0
        capsys.readouterr()
        assert main(["nodes", "--json"]) == 0
        records = json.loads(capsys.readouterr().out)
        found = {r["node"]["mac"] for r in records if r["node"]["online"] and r["node"]["facts"]["nics"]}
        assert found == {node_mac(i, 0) for i in (1, 2, 3)}
    finally:
        monkeypatch.delenv("FUELTUI_LAB")
        assert main(["lab", "down"]) == 0
