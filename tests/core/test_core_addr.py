"""Address parsing takes ASCII digits only: '²' is a digit to Python, not to a netmask."""

from __future__ import annotations

import pytest

from fueltui.core.addr import parse_cidr, parse_netmask
from fueltui.core.model import BootOptions
from fueltui.core.rules.bootopts import check_boot_options


@pytest.mark.parametrize("text", ["²", "2²", "/²", "٢٤", "24²"])
def test_non_ascii_digits_are_not_a_prefix_length(text: str) -> None:
    assert parse_netmask(text) is None
    assert parse_cidr(f"10.0.0.0/{text}") is None


def test_ascii_prefix_lengths_and_masks_still_parse() -> None:
    assert parse_netmask("24") == 24
    assert parse_netmask("/16") == 16
    assert parse_netmask("255.255.255.0") == 24
    assert str(parse_cidr("10.0.0.0/8")) == "10.0.0.0/8"


def test_a_superscript_netmask_is_a_finding_not_a_crash() -> None:
    options = BootOptions.model_validate(
        {
            "interface": "eth0",
            "ip": "10.20.0.2",
            "netmask": "²",
            "hostname": "fuel.example.com",
            "dhcp_pool": {"start": "10.20.0.129", "end": "10.20.0.254"},
        }
    )
    codes = {f.code for f in check_boot_options(options)}
    assert "netmask-invalid" in codes
