"""The lab's and discovery's pure parts: no namespaces needed."""

from __future__ import annotations

import pytest

from fueltui.core.model import BootOptions, DhcpPool
from fueltui.core.targets import expand_targets
from fueltui.lab import cli as lab_cli
from fueltui.lab.lab import check_root
from fueltui.lab.names import LabError, LabNames, check_prefix
from fueltui.main import main
from fueltui.master.discovery.dnsmasq import DhcpConfigError, parse_ack, parse_lease_file, render_config
from fueltui.master.discovery.facts import FactsError, parse_facts, split_sections

B = "fueltui-0123456789abcdef"


def test_lab_needs_root_with_a_clear_message() -> None:
    with pytest.raises(LabError, match="needs root"):
        check_root(euid=1000)
    check_root(euid=0)


def test_lab_up_as_non_root_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    monkeypatch.setenv("FUELTUI_LAB_PREFIX", "tnoroot")
    assert main(["lab", "up", "--nodes", "1"]) == 1
    err = capsys.readouterr().err
    assert "needs root" in err and "Traceback" not in err
    assert lab_cli is not None


@pytest.mark.parametrize("prefix", ["", "ft-x", "FT", "1ab", "abcdefghijklm", "a b"])
def test_lab_prefix_must_be_short_and_plain(prefix: str) -> None:
    with pytest.raises(LabError):
        check_prefix(prefix)


def test_lab_names_do_not_overlap_between_prefixes() -> None:
    ft, ft2 = LabNames("ft"), LabNames("ft2")
    assert ft.owns_ns("ft-n1") and ft.owns_ns("ft-master")
    assert not ft.owns_ns("ft2-n1") and not ft2.owns_ns("ft-n1") and not ft.owns_ns("ft-n1x")


def _opts(**kw: object) -> BootOptions:
    base: dict[str, object] = {
        "ip": "10.20.0.2",
        "netmask": "24",
        "dhcp_pool": DhcpPool(start="10.20.0.129", end="10.20.0.254"),
    }
    base.update(kw)
    return BootOptions.model_validate(base)


def test_dnsmasq_config_from_boot_options(tmp_path: object) -> None:
    text = render_config(_opts(gateway="10.20.0.1", dns=["10.20.0.1"]), "br-admin", tmp_path / "leases")  # type: ignore[operator]
    assert "dhcp-range=10.20.0.129,10.20.0.254,255.255.255.0,1h" in text
    assert "interface=br-admin" in text and "port=0" in text
    assert "dhcp-option=option:router,10.20.0.1" in text


@pytest.mark.parametrize(
    "change",
    [
        {"dhcp_pool": DhcpPool(start="10.20.0.129\ndhcp-script=/tmp/x", end="10.20.0.254")},
        {"dhcp_pool": DhcpPool(start="10.30.0.1", end="10.30.0.9")},
        {"dhcp_pool": DhcpPool(start="10.20.0.200", end="10.20.0.100")},
        {"gateway": "10.20.0.1\nconf-file=/etc/passwd"},
        {"dns": ["8.8.8.8 #"]},
    ],
)
def test_dnsmasq_config_refuses_bad_values(change: dict[str, object], tmp_path: object) -> None:
    with pytest.raises(DhcpConfigError):
        render_config(_opts(**change), "br-admin", tmp_path / "leases")  # type: ignore[operator]


def test_dnsmasq_config_refuses_a_hostile_interface_name(tmp_path: object) -> None:
    with pytest.raises(DhcpConfigError):
        render_config(_opts(), "eth0\nport=53", tmp_path / "leases")  # type: ignore[operator]


def test_lease_lines_parse_and_junk_is_skipped() -> None:
    lease = parse_ack("dnsmasq-dhcp[9]: DHCPACK(br-admin) 10.20.0.130 52:54:00:00:01:00 bootstrap-1")
    assert lease is not None and (lease.ip, lease.mac, lease.hostname) == (
        "10.20.0.130",
        "52:54:00:00:01:00",
        "bootstrap-1",
    )
    assert parse_ack("DHCPACK(br-admin) 10.20.0.130 52:54:00:00:01:00 $(reboot)").hostname is None  # type: ignore[union-attr]
    assert parse_ack("DHCPOFFER(br-admin) 10.20.0.130 52:54:00:00:01:00") is None
    leases = parse_lease_file("1 52:54:00:00:01:00 10.20.0.130 bootstrap-1 *\ngarbage\n2 zz 10.20.0.1 x *\n")
    assert [(lease.mac, lease.ip) for lease in leases] == [("52:54:00:00:01:00", "10.20.0.130")]


DISKS = '{"blockdevices": [{"name": "vda", "size": 1024, "model": null, "rota": true, "type": "disk"}]}'


def _facts_text(hostname: str, links: str, nicinfo: str = "") -> str:
    return (
        f'\n{B} hostname\n{hostname}\n{B} os\nPRETTY_NAME="Debian GNU/Linux 12"\n'
        f"{B} cpuinfo\nprocessor\t: 0\nmodel name\t: Test CPU\nprocessor\t: 1\n"
        f"{B} meminfo\nMemTotal:       2048 kB\n{B} links\n{links}\n{B} nicinfo\n{nicinfo}"
        f"{B} disks\n{DISKS}\n"
        f"{B} dmi\nsys_vendor=QEMU\nproduct_name=\nproduct_serial=\n{B} end\n"
    )


LINKS = (
    '[{"ifname":"lo","link_type":"loopback","address":"00:00:00:00:00:00","operstate":"UNKNOWN"},'
    '{"ifname":"eth0","link_type":"ether","address":"52:54:00:00:01:00","operstate":"UP",'
    '"linkinfo":{"info_kind":"veth"},"addr_info":[{"family":"inet","local":"10.20.0.130"}]},'
    '{"ifname":"eth1","link_type":"ether","address":"52:54:00:00:01:01","operstate":"DOWN"},'
    '{"ifname":"br-ex","link_type":"ether","address":"52:54:00:00:01:09","operstate":"UP","linkinfo":{"info_kind":"bridge"}},'
    '{"ifname":"$(touch${IFS}x)","link_type":"ether","address":"52:54:00:00:01:02","operstate":"UP"}]'
)


def test_facts_parse_nics_cpu_memory_disks() -> None:
    facts = parse_facts(
        _facts_text("bootstrap-1", LINKS, "eth0\t10000\t\neth1\t\tvirtio_net\n"), B, "10.20.0.130"
    )
    assert [(n.name, n.mac, n.state, n.pxe) for n in facts.nics] == [
        ("eth0", "52:54:00:00:01:00", "up", True),
        ("eth1", "52:54:00:00:01:01", "down", False),
    ]
    assert facts.nics[0].speed_mbps == 10000 and facts.nics[0].driver == "veth"
    assert facts.nics[1].driver == "virtio_net"
    assert facts.cpu.count == 2 and facts.cpu.model == "Test CPU"
    assert facts.memory.total_bytes == 2048 * 1024
    assert facts.disks[0].name == "vda" and facts.disks[0].rotational is True
    assert facts.system.manufacturer == "QEMU" and facts.os == "Debian GNU/Linux 12"
    assert facts.hostname == "bootstrap-1"
    assert any("$(touch${IFS}x)" in w for w in facts.warnings)


@pytest.mark.parametrize("hostname", ["$(touch /tmp/x)", "a'b\"c", "good\nB evil", "x;reboot", "-lead"])
def test_facts_reject_hostile_hostnames(hostname: str) -> None:
    facts = parse_facts(_facts_text(hostname, LINKS), B, "10.20.0.130")
    assert facts.hostname is None
    assert facts.warnings and "rejected" in facts.warnings[0]


def test_a_node_cannot_forge_sections_without_the_boundary() -> None:
    # The node does not know the boundary: text that imitates another one stays inside its section.
    forged = _facts_text("host\nfueltui-guess links\n[]", LINKS)
    facts = parse_facts(forged, B, "10.20.0.130")
    assert len(facts.nics) == 2 and facts.hostname is None
    assert set(split_sections(forged, B)) >= {"hostname", "links", "end"}


def test_incomplete_facts_are_an_error() -> None:
    with pytest.raises(FactsError, match="incomplete"):
        parse_facts(f"\n{B} hostname\nx\n", B)


def test_targets_expand_and_refuse_junk() -> None:
    assert expand_targets(["10.20.0.5", "10.20.0.4/30", "10.20.0.5"]) == ["10.20.0.5", "10.20.0.6"]
    with pytest.raises(ValueError, match="not an IPv4"):
        expand_targets(["10.20.0.5; rm -rf /"])
    with pytest.raises(ValueError, match="too many"):
        expand_targets(["10.0.0.0/8"])


def test_a_lab_only_claims_processes_under_its_own_root() -> None:
    from fueltui.lab.processes import names_path

    assert names_path("/run/fueltui-lab/ft/nodes/1", "/run/fueltui-lab/ft")
    assert names_path("--conf-file=/run/fueltui-lab/ft/dnsmasq.conf", "/run/fueltui-lab/ft")
    assert names_path("/run/fueltui-lab/ft", "/run/fueltui-lab/ft")
    assert not names_path("/run/fueltui-lab/ftdev/nodes/1", "/run/fueltui-lab/ft")
    assert not names_path("--state-dir=/run/fueltui-lab/ft2", "/run/fueltui-lab/ft")
