"""The master's boot options on a kernel line: render, parse, exact round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fueltui.core.kernelline import parse_boot_line, render_boot_line
from fueltui.core.model import BootOptions, DhcpPool

FUEL_LINE = (
    "ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0 hostname=fuel.domain.tld showmenu=yes"
)


def test_parse_fuel_s_line_ignoring_other_arguments() -> None:
    opts = parse_boot_line(f"BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet {FUEL_LINE} console=ttyS0")
    assert opts == BootOptions(
        ip="10.20.0.2",
        gateway="10.20.0.1",
        dns=["10.20.0.1"],
        netmask="255.255.255.0",
        hostname="fuel.domain.tld",
        dhcp_pool=DhcpPool(start="10.20.0.129", end="10.20.0.254"),
    )


def test_render_exact_line() -> None:
    opts = BootOptions(
        interface="enp1s0",
        ip="10.20.0.2",
        netmask="24",
        gateway="10.20.0.1",
        dns=["10.20.0.1", "8.8.8.8"],
        hostname="fuel.example.com",
        ntp=["pool.ntp.org", "10.20.0.1"],
        dhcp_pool=DhcpPool(start="10.20.0.100", end="10.20.0.200"),
    )
    line = render_boot_line(opts)
    assert line == (
        "ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 dns2=8.8.8.8 netmask=24 hostname=fuel.example.com "
        "iface=enp1s0 ntp1=pool.ntp.org ntp2=10.20.0.1 dhcp_pool_start=10.20.0.100 dhcp_pool_end=10.20.0.200"
    )
    assert parse_boot_line(line) == opts
    assert render_boot_line(parse_boot_line(line)) == line


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("quiet splash", "no ip="),
        ("ip=dhcp", "not a static address"),
        ("ip=:::::eth0:dhcp", "not a static address"),
        ("ip=10.0.0.2::10.0.0.1:255.255.255.0:h:eth0:dhcp", "not a static address"),
        ("ip=10.0.0.2 netmask=junk", "cannot derive a DHCP pool"),
    ],
)
def test_parse_errors_are_clear(line: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_boot_line(line)


def test_render_refuses_values_that_break_the_line() -> None:
    opts = BootOptions(ip="10.20.0.2", hostname="two words", dhcp_pool=DhcpPool(start="a", end="b"))
    with pytest.raises(ValueError, match="hostname="):
        render_boot_line(opts)


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-:/=", min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    ip=_token,
    gateway=st.none() | _token,
    dns=st.lists(_token, max_size=4),
    netmask=_token,
    hostname=_token,
    interface=_token,
    ntp=st.lists(_token, max_size=3),
    start=_token,
    end=_token,
)
def test_round_trip_is_exact(
    ip: str,
    gateway: str | None,
    dns: list[str],
    netmask: str,
    hostname: str,
    interface: str,
    ntp: list[str],
    start: str,
    end: str,
) -> None:
    opts = BootOptions(
        ip=ip,
        gateway=gateway,
        dns=dns,
        netmask=netmask,
        hostname=hostname,
        interface=interface,
        ntp=ntp,
        dhcp_pool=DhcpPool(start=start, end=end),
    )
    if ":" in ip:
        with pytest.raises(ValueError, match="field separator"):
            render_boot_line(opts)
        return
    line = render_boot_line(opts)
    try:
        parsed = parse_boot_line(f"BOOT_IMAGE=/vmlinuz {line} quiet")
    except ValueError:
        # only an ip that is not static is refused
        assert ip in ("dhcp", "on", "any", "auto", "bootp", "rarp", "off", "none")
        return
    assert parsed == opts
    assert render_boot_line(parsed) == line


def test_parse_the_kernel_s_static_ip_form() -> None:
    opts = parse_boot_line("ip=10.20.0.2::10.20.0.1:255.255.255.0:fuel.lab.local:enp1s0:off dns1=10.20.0.1")
    assert (opts.ip, opts.gateway, opts.netmask, opts.hostname, opts.interface) == (
        "10.20.0.2",
        "10.20.0.1",
        "255.255.255.0",
        "fuel.lab.local",
        "enp1s0",
    )
    assert opts.dhcp_pool == DhcpPool(start="10.20.0.129", end="10.20.0.254")
    assert parse_boot_line("ip=10.20.0.2:::255.255.0.0::: hostname=x.y").hostname == "x.y"
