"""Names and paths of one lab. Everything a lab creates carries its prefix, so two labs
(a developer's and a test run's) never touch each other or anything else on the host."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fueltui.settings import settings

LAB_BASE = Path("/run/fueltui-lab")
DEFAULT_NETWORKS = ("admin", "management", "public", "storage")
MASTER_ADMIN_IP = "10.20.0.2"
ADMIN_PREFIXLEN = 24
DHCP_POOL = ("10.20.0.129", "10.20.0.254")  # Fuel's default
LARGE_DHCP_POOL = ("10.20.0.3", "10.20.0.254")  # labs of more than 126 nodes
_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,11}$")


class LabError(Exception):
    """A lab operation failed; the message says what to do."""


def check_prefix(prefix: str) -> str:
    # No dash: namespace names are "<prefix>-master" / "<prefix>-n<i>", and a dash in the
    # prefix would let one lab's names match another's.
    if not _PREFIX_RE.match(prefix):
        raise LabError(
            f"lab prefix {prefix!r} must be 1-12 lower-case letters or digits, starting with a letter"
        )
    return prefix


def current_prefix() -> str:
    return check_prefix(settings().lab_prefix)


@dataclass(frozen=True)
class LabNames:
    prefix: str

    @property
    def root(self) -> Path:
        return LAB_BASE / self.prefix

    @property
    def master_state(self) -> Path:
        return self.root / "master"

    @property
    def state_file(self) -> Path:
        return self.root / "lab.json"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    @property
    def master_ns(self) -> str:
        return f"{self.prefix}-master"

    def node_ns(self, index: int) -> str:
        return f"{self.prefix}-n{index}"

    def node_dir(self, index: int) -> Path:
        return self.root / "nodes" / str(index)

    def owns_ns(self, name: str) -> bool:
        return re.fullmatch(rf"{re.escape(self.prefix)}-(master|n\d+)", name) is not None


def bridge_name(network: str) -> str:
    return f"br-{network}"[:15]


def peer_name(index: int, nic: int) -> str:
    """The master-side end of node `index`'s NIC `nic` (lives in the master namespace)."""
    return f"n{index}e{nic}"


def node_mac(index: int, nic: int) -> str:
    # 52:54:00 is the QEMU/KVM locally-administered range labs traditionally use.
    return f"52:54:00:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}:{nic:02x}"


def hostname(index: int) -> str:
    return f"bootstrap-{index}"
