"""What a PXE-booting node is given: the pure choice (core.bootscript), dnsmasq's PXE lines,
and the boot tree the master writes from them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fueltui.core.bootscript import (
    BootTarget,
    boot_target,
    bootstrap_script,
    chain_script,
    local_disk_script,
    node_script,
    node_script_name,
)
from fueltui.core.model import BootOptions, DhcpPool, Node, NodeFacts, NodeStatus
from fueltui.master.discovery.dnsmasq import DhcpConfigError, PxeOptions, render_config
from fueltui.master.pxe.boottree import BootTree

MAC = "52:54:01:00:01:00"


def node(status: NodeStatus, os: str | None = None) -> Node:
    return Node(mac=MAC, name="n1", status=status, facts=NodeFacts(os=os))


@pytest.mark.parametrize(
    ("status", "os", "target"),
    [
        (NodeStatus.discover, "fueltui bootstrap (Debian bookworm)", BootTarget.bootstrap),
        (NodeStatus.provisioning, "fueltui bootstrap (Debian bookworm)", BootTarget.bootstrap),
        (NodeStatus.provisioned, "Debian GNU/Linux 13 (trixie)", BootTarget.local),
        (NodeStatus.deploying, "Debian GNU/Linux 13 (trixie)", BootTarget.local),
        (NodeStatus.ready, "Debian GNU/Linux 13 (trixie)", BootTarget.local),
        # failed while provisioning, in the bootstrap: the disk may be half-written
        (NodeStatus.error, "fueltui bootstrap (Debian bookworm)", BootTarget.bootstrap),
        # failed while deploying onto its installed OS: keep booting that OS
        (NodeStatus.error, "Debian GNU/Linux 13 (trixie)", BootTarget.local),
        (NodeStatus.error, None, BootTarget.bootstrap),
    ],
)
def test_boot_target_follows_the_node_state(status: NodeStatus, os: str | None, target: BootTarget) -> None:
    assert boot_target(node(status, os)) == target
    assert (node_script(node(status, os)) is None) == (target == BootTarget.bootstrap)


def test_per_node_script_is_named_as_ipxe_spells_the_mac() -> None:
    assert node_script_name("52:54:01:AA:0B:FF") == "nodes/52-54-01-aa-0b-ff.ipxe"
    with pytest.raises(ValueError):
        node_script_name("52:54:01:aa:0b")


def test_chain_script_tries_the_node_then_the_bootstrap() -> None:
    text = chain_script("tftp://10.20.0.2")
    assert text.startswith("#!ipxe\n")
    assert (
        "tftp://10.20.0.2/nodes/${netX/mac:hexhyp}.ipxe || chain --autofree tftp://10.20.0.2/bootstrap.ipxe"
        in text
    )


def test_bootstrap_script_falls_back_from_http_to_tftp() -> None:
    text = bootstrap_script(["http://10.20.0.2:8080/boot", "tftp://10.20.0.2"], available=True)
    lines = text.splitlines()
    http = next(i for i, line in enumerate(lines) if line.startswith("kernel http://10.20.0.2:8080/boot/"))
    tftp = next(i for i, line in enumerate(lines) if line.startswith("kernel tftp://10.20.0.2/"))
    assert http < tftp and lines[http].endswith("|| goto try1")
    assert "initrd=initrd.img" in lines[http] and "console=ttyS0,115200n8" in lines[http]


def test_without_an_image_the_script_waits_and_retries() -> None:
    text = bootstrap_script(["tftp://10.20.0.2"], available=False)
    assert "fueltui bootstrap build" in text and "sleep" in text and "kernel" not in text


@pytest.mark.parametrize("base", ["ftp://10.20.0.2", "tftp://10.20.0.2/x y", "http://a\nshell", ""])
def test_boot_urls_are_checked(base: str) -> None:
    with pytest.raises(ValueError):
        chain_script(base)


def test_kernel_arguments_cannot_inject_ipxe_commands() -> None:
    with pytest.raises(ValueError, match="iPXE"):
        bootstrap_script(["tftp://10.20.0.2"], True, kernel_args="quiet\nshell")
    with pytest.raises(ValueError, match="iPXE"):
        bootstrap_script(["tftp://10.20.0.2"], True, kernel_args="x=${root-password}")


def test_local_boot_is_sanboot_on_bios_and_firmware_on_uefi() -> None:
    text = local_disk_script()
    assert "iseq ${platform} efi && exit" in text and "sanboot --no-describe --drive 0x80" in text


# ------------------------------------------------------------------------ dnsmasq

OPTS = BootOptions(
    interface="br-admin",
    ip="10.20.0.2",
    netmask="24",
    dhcp_pool=DhcpPool(start="10.20.0.129", end="10.20.0.254"),
)


def test_dnsmasq_serves_ipxe_to_bios_uefi_and_ipxe_clients(tmp_path: Path) -> None:
    conf = render_config(OPTS, "br-admin", tmp_path / "leases", PxeOptions(tftp_root=tmp_path / "boot"))
    lines = conf.splitlines()
    assert "enable-tftp" in lines and f"tftp-root={tmp_path / 'boot'}" in lines
    assert "dhcp-boot=tag:ipxe,boot.ipxe" in lines
    assert "dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi" in lines
    assert "dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe" in lines
    assert "dhcp-ignore-clid" in lines and "interface=br-admin" in lines and "bind-interfaces" in lines
    assert "enable-ra" not in lines
    with_ra = render_config(OPTS, "br-admin", tmp_path / "l", PxeOptions(tftp_root=tmp_path, ipv6_ra=True))
    assert "enable-ra" in with_ra.splitlines() and "dhcp-range=::,constructor:br-admin,ra-only" in with_ra
    assert "enable-tftp" not in render_config(OPTS, "br-admin", tmp_path / "leases")


@pytest.mark.parametrize(
    "pxe",
    [
        PxeOptions(tftp_root=Path("relative/boot")),
        PxeOptions(tftp_root=Path("/srv/boot\nenable-ra")),
        PxeOptions(tftp_root=Path("/srv/boot"), script="boot.ipxe\ndhcp-option=3,1.2.3.4"),
        PxeOptions(tftp_root=Path("/srv/boot"), bios_loader="../../etc/shadow"),
    ],
)
def test_dnsmasq_pxe_values_cannot_add_directives(tmp_path: Path, pxe: PxeOptions) -> None:
    with pytest.raises(DhcpConfigError):
        render_config(OPTS, "br-admin", tmp_path / "leases", pxe)


# ------------------------------------------------------------------------ boot tree


def test_boot_tree_flips_a_node_between_bootstrap_and_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ipxe = tmp_path / "ipxe"
    ipxe.mkdir()
    for name in ("undionly.kpxe", "snponly.efi", "ipxe.efi"):
        (ipxe / name).write_bytes(b"loader " + name.encode())
    monkeypatch.setenv("FUELTUI_IPXE_DIR", str(ipxe))
    state = tmp_path / "state"
    tree = BootTree(state, "10.20.0.2")
    assert tree.prepare() == ["no bootstrap image: PXE clients wait until `fueltui bootstrap build` has run"]
    root = state / "boot"
    assert (root / "undionly.kpxe").read_bytes() == b"loader undionly.kpxe"
    assert "sleep" in (root / "bootstrap.ipxe").read_text()
    script = root / "nodes" / "52-54-01-00-01-00.ipxe"

    assert tree.sync([node(NodeStatus.discover)]) == 0 and not script.exists()
    assert tree.sync([node(NodeStatus.provisioned, "Debian GNU/Linux 13 (trixie)")]) == 1
    assert script.read_text() == local_disk_script()
    assert stat.S_IMODE(script.stat().st_mode) == 0o644  # dnsmasq's TFTP serves world-readable files only
    assert tree.sync([node(NodeStatus.ready, "Debian GNU/Linux 13 (trixie)")]) == 0  # nothing to rewrite
    assert tree.sync([node(NodeStatus.discover)]) == 1 and not script.exists()  # reset: back to the bootstrap

    (root / "bootstrap").mkdir()
    (root / "bootstrap" / "vmlinuz").write_bytes(b"k")
    (root / "bootstrap" / "initrd.img").write_bytes(b"i")
    assert tree.prepare() == []
    assert "kernel http://10.20.0.2:8080/boot/bootstrap/vmlinuz" in (root / "bootstrap.ipxe").read_text()


def test_boot_tree_says_which_loaders_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUELTUI_IPXE_DIR", str(tmp_path / "none"))
    warnings = BootTree(tmp_path / "state", "10.20.0.2").prepare()
    assert any("undionly.kpxe" in w and "ipxe" in w for w in warnings)
