"""Address helpers shared by the rules, the allocator and the kernel line.

Every parser here returns None for text that is not what it should be, so that callers turn a
bad value into a finding instead of an exception. All address math is the standard library's
`ipaddress`; only IPv4 is accepted (Fuel's networks were IPv4 only).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network

IpRange = tuple[IPv4Address, IPv4Address]

# Address space that is not unicast A/B/C: "this network", loopback, multicast and reserved.
RESERVED_SPACE: tuple[IPv4Network, ...] = (
    IPv4Network("0.0.0.0/8"),
    IPv4Network("127.0.0.0/8"),
    IPv4Network("224.0.0.0/4"),
    IPv4Network("240.0.0.0/4"),
)
MIN_PREFIX = 2
MAX_PREFIX = 30

_DOTTED = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def parse_ip(text: object) -> IPv4Address | None:
    """An IPv4 address in dotted-quad form, or None."""
    return _parse_ip(text) if isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _parse_ip(text: str) -> IPv4Address | None:
    if not _DOTTED.match(text.strip()):
        return None
    try:
        return IPv4Address(text.strip())
    except ValueError:
        return None


def parse_cidr(text: object) -> IPv4Network | None:
    """A network in CIDR form with no host bits set, or None (prefix limits are the caller's)."""
    return _parse_cidr(text) if isinstance(text, str) else None


@lru_cache(maxsize=1024)
def _parse_cidr(text: str) -> IPv4Network | None:
    if "/" not in text:
        return None
    address, _, prefix = text.strip().partition("/")
    if parse_ip(address) is None or not (prefix.isascii() and prefix.isdigit()):
        return None
    try:
        return IPv4Network(text.strip(), strict=True)
    except ValueError:
        return None


def parse_netmask(text: object) -> int | None:
    """A prefix length from a dotted netmask ("255.255.255.0") or a length ("24", "/24")."""
    if not isinstance(text, str):
        return None
    value = text.strip().removeprefix("/")
    if value.isascii() and value.isdigit() and len(value) <= 2:
        length = int(value)
        return length if 0 <= length <= 32 else None
    mask = parse_ip(value)
    if mask is None:
        return None
    bits = int(mask)
    inverted = bits ^ 0xFFFFFFFF
    if inverted & (inverted + 1):  # the ones must be contiguous from the left
        return None
    return 32 - inverted.bit_length()


def parse_range(pair: Sequence[object]) -> IpRange | None:
    """A range [first, last] of two addresses with first <= last, or None."""
    if len(pair) != 2:
        return None
    first, last = parse_ip(pair[0]), parse_ip(pair[1])
    if first is None or last is None or first > last:
        return None
    return first, last


def range_size(item: IpRange) -> int:
    return int(item[1]) - int(item[0]) + 1


def ranges_overlap(a: IpRange, b: IpRange) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def range_in_network(item: IpRange, net: IPv4Network) -> bool:
    return item[0] in net and item[1] in net


def range_overlaps_network(item: IpRange, net: IPv4Network) -> bool:
    return ranges_overlap(item, (net.network_address, net.broadcast_address))


def is_network_or_broadcast(ip: IPv4Address, net: IPv4Network) -> bool:
    return net.prefixlen < 31 and ip in (net.network_address, net.broadcast_address)


def reserved_space(net: IPv4Network) -> IPv4Network | None:
    """The reserved block a network intersects, if any."""
    for block in RESERVED_SPACE:
        if net.overlaps(block):
            return block
    return None


def is_hostname(text: object, *, fqdn: bool = False) -> bool:
    """Labels of [a-z0-9-], not starting or ending with '-', at most 253 characters."""
    if not isinstance(text, str) or not text or len(text) > 253:
        return False
    labels = text.split(".")
    if fqdn and len(labels) < 2:
        return False
    return all(_LABEL.match(label) for label in labels)


def fmt_range(item: Sequence[object]) -> str:
    return "–".join(str(x) for x in item)
