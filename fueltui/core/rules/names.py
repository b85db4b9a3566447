"""Names that travel into files, paths and commands: environment names and NIC names.

One home for both, so `fueltui check`, `apply`, the API and discovery accept the same names:
an environment name becomes a path segment and a log file name; a NIC name goes into
networkd files and `ip` commands, where a newline or `;` would inject lines or commands.
"""

from __future__ import annotations

import re

from fueltui.core.model import Finding

ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Linux allows 15 bytes (IFNAMSIZ 16 with the NUL); no '/', ':' or white space.
NIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}$")


def valid_environment_name(name: object) -> bool:
    return isinstance(name, str) and ENV_NAME.fullmatch(name) is not None


def valid_nic_name(name: object) -> bool:
    return isinstance(name, str) and NIC_NAME.fullmatch(name) is not None


def shown(value: str, limit: int = 40) -> str:
    """A value quoted for a message, cut short: a finding never echoes a megabyte."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_environment_name(name: str, path: str = "environment.name") -> list[Finding]:
    if valid_environment_name(name):
        return []
    return [
        Finding(
            code="environment-name-invalid",
            path=path,
            message=f"environment name {shown(name)} is not allowed: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)",
        )
    ]


def check_nic_name(name: str, path: str) -> list[Finding]:
    if valid_nic_name(name):
        return []
    return [
        Finding(
            code="nic-name-invalid",
            path=path,
            message=f"NIC name {shown(name)} is not an interface name: at most 15 letters, digits, "
            "'.', '_', '@' or '-', e.g. eth0 or enp1s0",
        )
    ]
