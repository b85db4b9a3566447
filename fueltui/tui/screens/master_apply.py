"""What Apply on the Master page does once confirmed, and the first guess for a fresh master.

Kept apart from the page so that the one place able to change files — `write_and_store` — is
small and easy to audit: it writes only under the target the page was given (see target.py)."""

from __future__ import annotations

import asyncio
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fueltui.api.host import MasterHost
    from fueltui.core.model import BootOptions


def initial_options(host: MasterHost | None) -> tuple[BootOptions, str]:
    """Boot options from the master's kernel line when it carries them, else derived from the
    master's first configured NIC (and its default route, when it is on that subnet)."""
    # Imported here, after the page's first frame: the models (pydantic) are not needed for it.
    from fueltui.core.bootdefaults import FUEL_DEFAULTS, default_boot_options_for
    from fueltui.core.kernelline import parse_boot_line

    if host is None:
        return FUEL_DEFAULTS, "Fuel defaults — not connected to the master yet"
    try:
        return parse_boot_line(host.cmdline), "from the master's /proc/cmdline"
    except ValueError:
        pass
    configured = next((nic for nic in host.interfaces if nic.addresses), None)
    if configured is None:
        first = host.interfaces[0].name if host.interfaces else FUEL_DEFAULTS.interface
        return FUEL_DEFAULTS.model_copy(update={"interface": first}), "Fuel defaults"
    ip, _, prefix = configured.addresses[0].partition("/")
    opts = default_boot_options_for(ip, prefix or "24", host.gateway, interface=configured.name)
    return opts, f"from {configured.name}'s current address on the master"


async def set_live_hostname(hostname: str) -> str:
    """`hostnamectl set-hostname`, awaited without blocking the screen; what to tell the operator."""
    tool = shutil.which("hostnamectl")
    if tool is None:
        return ""
    try:
        proc = await asyncio.create_subprocess_exec(
            tool,
            "set-hostname",
            hostname,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
    except OSError as exc:
        return f" hostnamectl: {exc}"
    if proc.returncode == 0:
        return " hostname applied."
    return f" hostnamectl: {err.decode(errors='replace').strip()}"
