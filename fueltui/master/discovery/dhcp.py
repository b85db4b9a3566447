"""The master's DHCP server: real dnsmasq on the admin interface, supervised.

dnsmasq logs each DHCPACK on its stderr; reading that stream tells us about a new lease
the moment it is granted, which is what starts discovery of the node.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from fueltui import statedir
from fueltui.core.model import BootOptions
from fueltui.master.discovery.dnsmasq import Lease, dnsmasq_argv, parse_ack, parse_lease_file, render_config

log = logging.getLogger(__name__)

LeaseCallback = Callable[[Lease], None]


async def interface_holding(address: str) -> str | None:
    """The local interface that has `address` (the master's admin IP), if any."""
    proc = await asyncio.create_subprocess_exec(
        "ip", "-j", "addr", "show", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await proc.communicate()
    try:
        wanted = ipaddress.ip_address(address)
        entries = json.loads(out or b"[]")
    except ValueError:
        return None
    for entry in entries:
        for info in entry.get("addr_info", []):
            with contextlib.suppress(ValueError, KeyError):
                if ipaddress.ip_address(info["local"]) == wanted:
                    return str(entry["ifname"])
    return None


class DhcpServer:
    def __init__(self, options: BootOptions, state_dir: Path, on_lease: LeaseCallback) -> None:
        self.options = options
        self.state_dir = state_dir
        self.on_lease = on_lease
        self.conf_file = state_dir / "dnsmasq.conf"
        self.lease_file = state_dir / "dnsmasq.leases"
        self.log_file = state_dir / "dnsmasq.log"
        self.interface: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> bool:
        """Start serving; False (and a warning) when no local interface has the admin IP."""
        self.interface = await interface_holding(self.options.ip)
        if self.interface is None:
            log.warning("no interface holds the admin address %s: DHCP is off", self.options.ip)
            return False
        from fueltui.master.pxe.boottree import pxe_options

        pxe = await pxe_options(self.state_dir, self.options.ip, self.interface)
        text = render_config(self.options, self.interface, self.lease_file, pxe)
        statedir.write_private(self.conf_file, text)
        os.close(statedir.open_private(self.lease_file))  # dnsmasq keeps the mode it finds
        self._stopping = False
        self._supervisor = asyncio.create_task(self._supervise(), name="dnsmasq")
        return True

    def leases(self) -> list[Lease]:
        try:
            return parse_lease_file(self.lease_file.read_text())
        except FileNotFoundError:
            return []

    async def _supervise(self) -> None:
        failures = 0
        while not self._stopping:
            self._proc = await asyncio.create_subprocess_exec(
                *dnsmasq_argv(self.conf_file),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            assert self._proc.stderr is not None
            with os.fdopen(statedir.open_private(self.log_file), "a") as logf:
                async for raw in self._proc.stderr:
                    line = raw.decode(errors="replace").rstrip()
                    logf.write(line + "\n")
                    logf.flush()
                    lease = parse_ack(line)
                    if lease is not None:
                        try:
                            self.on_lease(lease)
                        except Exception:
                            log.exception("lease handler failed for %s", lease)
            code = await self._proc.wait()
            if self._stopping:
                return
            failures += 1
            log.error("dnsmasq exited with %s; restarting (see %s)", code, self.log_file)
            await asyncio.sleep(min(30.0, 0.5 * 2**failures))

    async def stop(self) -> None:
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
