"""What the master says about the machine it runs on: its NICs, its default route, its boot
line, and whether it is the lab's master or an installed service.

The TUI's Master page shows these — never the NICs of the machine the TUI happens to run on
(in the lab the master lives in its own network namespace with `br-admin`)."""

from __future__ import annotations

from pydantic import Field

from fueltui.api.schema import Wire


class HostInterface(Wire):
    name: str
    mac: str | None = None
    addresses: list[str] = Field(default_factory=list)  # "ip/prefix"

    @property
    def label(self) -> str:
        where = ", ".join(self.addresses) if self.addresses else "no address"
        return f"{self.name}  {where}"  # short: it must fit the Master page's column at 80×24


class MasterHost(Wire):
    interfaces: list[HostInterface] = Field(default_factory=list)
    gateway: str | None = None  # the master's IPv4 default route
    cmdline: str = ""  # the kernel line the master's machine booted with
    lab: bool = False  # the master of `fueltui lab up`: its files are not the host's to write
    service: bool = False  # started by systemd as the installed master service
    netns: str | None = None  # the master's network namespace ("net:[4026531840]")
