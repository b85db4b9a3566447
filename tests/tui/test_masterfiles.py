"""core.masterfiles: the master's network files from its boot options, and the diff before Apply."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fueltui.core.masterfiles import (
    MasterFilesError,
    diff_against_root,
    prefix_length,
    render_master_files,
    write_master_files,
)
from fueltui.core.model import BootOptions, DhcpPool

OPTS = BootOptions(
    interface="enp1s0",
    ip="10.20.0.2",
    netmask="255.255.255.0",
    gateway="10.20.0.1",
    dns=["10.20.0.1", "9.9.9.9"],
    hostname="fuel.example.com",
    ntp=["pool.ntp.org"],
    dhcp_pool=DhcpPool(start="10.20.0.129", end="10.20.0.254"),
)


@pytest.mark.parametrize("mask", ["255.255.255.0", "24", "/24"])
def test_netmask_forms(mask: str) -> None:
    assert prefix_length(mask) == 24


def test_a_bad_netmask_is_a_clear_error() -> None:
    with pytest.raises(MasterFilesError, match="neither a dotted mask"):
        prefix_length("255.0.255.0")


def test_netplan_flavour() -> None:
    files = render_master_files(OPTS, "netplan")
    netplan = yaml.safe_load(files["etc/netplan/01-fueltui-admin.yaml"])
    nic = netplan["network"]["ethernets"]["enp1s0"]
    assert nic["addresses"] == ["10.20.0.2/24"] and nic["dhcp4"] is False
    assert nic["routes"] == [{"to": "default", "via": "10.20.0.1"}]
    assert nic["nameservers"] == {"addresses": ["10.20.0.1", "9.9.9.9"], "search": ["example.com"]}
    assert files["etc/hostname"] == "fuel\n"
    assert "10.20.0.2 fuel.example.com fuel" in files["etc/hosts"]
    assert files["etc/resolv.conf"].splitlines()[1:] == [
        "search example.com",
        "nameserver 10.20.0.1",
        "nameserver 9.9.9.9",
    ]


def test_networkd_flavour() -> None:
    files = render_master_files(OPTS, "networkd")
    network = files["etc/systemd/network/10-fueltui-admin.network"]
    for line in (
        "Name=enp1s0",
        "Address=10.20.0.2/24",
        "Gateway=10.20.0.1",
        "DNS=9.9.9.9",
        "NTP=pool.ntp.org",
    ):
        assert line in network.splitlines()
    assert "etc/netplan/01-fueltui-admin.yaml" not in files


def test_no_gateway_no_route() -> None:
    files = render_master_files(OPTS.model_copy(update={"gateway": None}), "netplan")
    assert "routes" not in files["etc/netplan/01-fueltui-admin.yaml"]


def test_diff_then_write_under_a_root(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/hostname").write_text("old\n")
    files = render_master_files(OPTS)
    diff = diff_against_root(files, tmp_path)
    assert "-old\n+fuel\n" in diff and "--- /dev/null\n+++ b/etc/resolv.conf" in diff
    written = write_master_files(files, tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} == set(files)
    assert (tmp_path / "etc/netplan/01-fueltui-admin.yaml").stat().st_mode & 0o777 == 0o600
    assert diff_against_root(files, tmp_path) == ""
    assert not list((tmp_path / "etc").glob(".*"))  # no temporary files left behind


def test_ntp_configures_the_masters_time_and_serves_it_to_the_admin_network() -> None:
    """Item 19: NTP went only onto the kernel line; now the master syncs from it (chrony, or
    systemd-timesyncd where chrony is absent) and serves the admin network, as Fuel's did."""
    files = render_master_files(OPTS)
    chrony = files["etc/chrony/conf.d/fueltui.conf"].splitlines()
    assert "server pool.ntp.org iburst" in chrony and "allow 10.20.0.0/24" in chrony
    assert files["etc/systemd/timesyncd.conf.d/fueltui.conf"].splitlines()[1:] == [
        "[Time]",
        "NTP=pool.ntp.org",
    ]
    without = render_master_files(OPTS.model_copy(update={"ntp": []}))
    assert not any("chrony" in path or "timesyncd" in path for path in without)


def test_nodes_are_handed_the_master_as_their_ntp_server(tmp_path: Path) -> None:
    """The master's DHCP tells the nodes to take time from it; dnsmasq itself accepts the file."""
    import shutil
    import subprocess

    from fueltui.master.discovery.dnsmasq import render_config

    text = render_config(OPTS, "br-admin", tmp_path / "leases")
    assert "dhcp-option=option:ntp-server,10.20.0.2" in text.splitlines()
    assert "ntp-server" not in render_config(OPTS.model_copy(update={"ntp": []}), "br-admin", tmp_path / "l")
    dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(text)
    checked = subprocess.run([dnsmasq, "--test", f"--conf-file={conf}"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
