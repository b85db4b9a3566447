"""Discovery targets: the addresses an operator asks the master to look at.

The CLI checks them before it asks (a typo is refused at once) and the master expands them
before it connects; both use this, so the two can never disagree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

MAX_TARGETS = 4096  # one discovery round at most; a /20 and smaller


def expand_targets(targets: Iterable[str]) -> list[str]:
    """Addresses from "10.20.0.5" / "10.20.0.0/28" entries; a clear error for anything else."""
    result: dict[str, None] = {}
    for target in targets:
        text = target.strip()
        try:
            if "/" in text:
                net = ipaddress.IPv4Network(text, strict=False)
                if net.num_addresses > MAX_TARGETS + 2:
                    raise OverflowError
                hosts = [str(h) for h in net.hosts()] if net.num_addresses > 1 else [str(net.network_address)]
            else:
                hosts = [str(ipaddress.IPv4Address(text))]
        except ValueError as exc:
            raise ValueError(f"{target!r} is not an IPv4 address or CIDR") from exc
        except OverflowError:
            raise ValueError(
                f"{target!r}: too many addresses (more than {MAX_TARGETS}); give a smaller CIDR"
            ) from None
        result.update(dict.fromkeys(hosts))
        if len(result) > MAX_TARGETS:
            raise ValueError(f"too many addresses (more than {MAX_TARGETS}); give a smaller CIDR")
    return list(result)
