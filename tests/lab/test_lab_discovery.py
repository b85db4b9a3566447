"""A 3-node lab, discovered by the lab's master: facts against the kernel's own view,
DHCP leases against the pool. Comparisons with the kernel use a lab private to this module
(`lab3_module`): the shared `lab3` may have been deployed to by other tests."""

from __future__ import annotations

import ipaddress
import json
import subprocess

import pytest

from fueltui.lab.names import DHCP_POOL
from fueltui.main import main
from fueltui.master.discovery.facts import gather_facts
from labfixtures import LabHandle

pytestmark = pytest.mark.lab

STATES = {"UP": "up", "DOWN": "down", "LOWERLAYERDOWN": "down"}


def kernel_links(netns: str) -> list[dict[str, object]]:
    out = subprocess.run(
        ["ip", "-n", netns, "-j", "link", "show"], capture_output=True, text=True, check=True
    )
    return [link for link in json.loads(out.stdout) if link.get("link_type") == "ether"]


async def test_discovered_facts_match_ip_link_nic_by_nic(lab3_module: LabHandle) -> None:
    lab = lab3_module
    records = {r.node.mac: r.node for r in await lab.wait_discovered()}
    assert len(records) == 3
    for node in lab.nodes:
        discovered = records[node.admin_mac]
        assert discovered.online and not discovered.untrusted
        assert discovered.ip == lab.admin_ip(node.index)
        assert discovered.facts.hostname == f"bootstrap-{node.index}"
        links = kernel_links(node.netns)
        assert len(links) == 4
        assert [n.name for n in discovered.facts.nics] == [link["ifname"] for link in links]
        for nic, link in zip(discovered.facts.nics, links, strict=True):
            assert nic.mac == link["address"]
            assert nic.state == STATES.get(str(link["operstate"]), "unknown")
            assert nic.pxe == (nic.name == "eth0")
        assert discovered.facts.cpu.count >= 1 and discovered.facts.memory.total_bytes > 0
        assert discovered.facts.os


async def test_gather_facts_is_one_round_trip_from_the_master_namespace(lab3_module: LabHandle) -> None:
    lab = lab3_module
    with lab.in_master_ns():
        async with lab.fanout() as fan:
            facts = await gather_facts(fan, lab.admin_ip(2))
    links = kernel_links(lab.nodes[1].netns)
    assert [(n.name, n.mac) for n in facts.nics] == [(link["ifname"], link["address"]) for link in links]
    assert [n.name for n in facts.nics if n.pxe] == ["eth0"]


def test_dhcp_leases_are_within_the_pool(lab3_module: LabHandle) -> None:
    lab = lab3_module
    start, end = (ipaddress.IPv4Address(a) for a in DHCP_POOL)
    addresses = [lab.admin_ip(node.index) for node in lab.nodes]
    assert len(set(addresses)) == len(addresses)
    for address in addresses:
        assert start <= ipaddress.IPv4Address(address) <= end
    leases = (lab.master_state_dir / "dnsmasq.leases").read_text()
    for node in lab.nodes:
        assert f"{node.admin_mac} {lab.admin_ip(node.index)} " in leases


def fueltui(
    lab3: LabHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run a `fueltui` command in this process against the lab's master."""
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(lab3.master_state_dir))
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_fueltui_key_prints_the_key_the_nodes_trust(
    lab3: LabHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = fueltui(lab3, monkeypatch, capsys, "key")
    assert code == 0, err
    key = out.strip()
    assert key.startswith("ssh-ed25519 ")
    assert lab3.lab.node_exec(1, ["cat", "/etc/fueltui-node/authorized_keys"]).strip() == key
    private = lab3.master_state_dir / "ssh" / "id_ed25519"
    assert private.stat().st_mode & 0o777 == 0o600


def test_fueltui_discover_reports_found_and_silent_addresses(
    lab3: LabHandle, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = fueltui(lab3, monkeypatch, capsys, "discover", lab3.admin_ip(1), "10.20.0.3")
    assert code == 1, err
    assert lab3.nodes[0].admin_mac in out
    assert "10.20.0.3: no host answers at this address" in out
    code, out, _ = fueltui(lab3, monkeypatch, capsys, "discover", "--json", lab3.admin_ip(2))
    assert code == 0 and json.loads(out)["found"] == [lab3.nodes[1].admin_mac]
    code, _, err = fueltui(lab3, monkeypatch, capsys, "discover", "10.20.0.3;reboot")
    assert code == 2 and "not an IPv4 address" in err
    code, _, err = fueltui(lab3, monkeypatch, capsys, "discover")
    assert code == 2 and "give addresses" in err


def _info_kind(link: dict[str, object]) -> object:
    info = link.get("linkinfo")
    return info.get("info_kind") if isinstance(info, dict) else None


def ip_json(netns: str, *args: str) -> list[dict[str, object]]:
    out = subprocess.run(["ip", "-n", netns, "-j", *args], capture_output=True, text=True, check=True).stdout
    data: list[dict[str, object]] = json.loads(out)
    return data


def test_the_lab_has_no_way_out_to_the_host_network(lab3_module: LabHandle) -> None:
    lab = lab3_module
    # The admin network only: no default route from the master or any node.
    assert [r["dst"] for r in ip_json(lab.master_ns, "route")] == ["10.20.0.0/24"]
    for node in lab.nodes:
        assert all(r["dst"] != "default" for r in ip_json(node.netns, "route"))
    master_links = ip_json(lab.master_ns, "-d", "link")
    kinds = {_info_kind(link) for link in master_links if link["ifname"] != "lo"}
    assert kinds == {"bridge", "veth"}
    for link in master_links:
        if _info_kind(link) == "veth":
            assert link.get("link_netnsid") is not None  # its peer is in a node namespace, not the host's
    host = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    assert "br-admin" not in host and f"{lab.prefix}-" not in host
