"""The master's own network files, rendered from its boot options.

Pure rendering plus a diff against what a target root already holds, so the TUI can show
the operator exactly what Apply will change before it writes anything. Two flavours of the
admin NIC's config are offered because Ubuntu hosts use netplan while minimal Debian-like
hosts run systemd-networkd directly; the operator picks.
"""

from __future__ import annotations

import difflib
import ipaddress
from pathlib import Path
from typing import Literal

from fueltui.core.model import BootOptions
from fueltui.statedir import write_atomic

Flavor = Literal["netplan", "networkd"]
FLAVORS: tuple[Flavor, ...] = ("netplan", "networkd")

NETPLAN_PATH = "etc/netplan/01-fueltui-admin.yaml"
NETWORKD_PATH = "etc/systemd/network/10-fueltui-admin.network"
HOSTNAME_PATH = "etc/hostname"
HOSTS_PATH = "etc/hosts"
RESOLV_PATH = "etc/resolv.conf"
CHRONY_PATH = "etc/chrony/conf.d/fueltui.conf"
TIMESYNCD_PATH = "etc/systemd/timesyncd.conf.d/fueltui.conf"


class MasterFilesError(ValueError):
    """The options cannot be rendered (the rules' findings say why in more detail)."""


def prefix_length(netmask: str) -> int:
    """`255.255.255.0`, `24` and `/24` all mean 24."""
    text = netmask.strip().lstrip("/")
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{text}").prefixlen
    except ValueError as exc:
        raise MasterFilesError(f"netmask {netmask!r} is neither a dotted mask nor a prefix length") from exc


def _address(opts: BootOptions) -> str:
    try:
        ip = ipaddress.IPv4Address(opts.ip.strip())
    except ValueError as exc:
        raise MasterFilesError(f"ip {opts.ip!r} is not an IPv4 address") from exc
    return f"{ip}/{prefix_length(opts.netmask)}"


def _short_name(opts: BootOptions) -> str:
    return opts.hostname.split(".", 1)[0]


def _search_domain(opts: BootOptions) -> str | None:
    parts = opts.hostname.split(".", 1)
    return parts[1] if len(parts) == 2 and parts[1] else None


def render_netplan(opts: BootOptions) -> str:
    """A netplan file configuring the admin NIC statically."""
    nic: dict[str, object] = {"dhcp4": False, "addresses": [_address(opts)]}
    if opts.gateway:
        nic["routes"] = [{"to": "default", "via": opts.gateway}]
    if opts.dns:
        nameservers: dict[str, object] = {"addresses": list(opts.dns)}
        domain = _search_domain(opts)
        if domain:
            nameservers["search"] = [domain]
        nic["nameservers"] = nameservers
    doc = {"network": {"version": 2, "renderer": "networkd", "ethernets": {opts.interface: nic}}}
    header = "# Written by fueltui: the master's admin (PXE) network.\n"
    import yaml  # only when the file is written: the Master page paints without it (bench/startup.py)

    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def render_networkd(opts: BootOptions) -> str:
    """A systemd-networkd .network file configuring the admin NIC statically."""
    lines = [
        "# Written by fueltui: the master's admin (PXE) network.",
        "[Match]",
        f"Name={opts.interface}",
        "",
        "[Network]",
        "DHCP=no",
        f"Address={_address(opts)}",
    ]
    if opts.gateway:
        lines.append(f"Gateway={opts.gateway}")
    lines.extend(f"DNS={server}" for server in opts.dns)
    domain = _search_domain(opts)
    if domain:
        lines.append(f"Domains={domain}")
    lines.extend(f"NTP={server}" for server in opts.ntp)
    return "\n".join(lines) + "\n"


def render_hostname(opts: BootOptions) -> str:
    return _short_name(opts) + "\n"


def render_hosts(opts: BootOptions) -> str:
    names = opts.hostname if opts.hostname == _short_name(opts) else f"{opts.hostname} {_short_name(opts)}"
    return (
        "# Written by fueltui.\n"
        "127.0.0.1 localhost\n"
        f"{opts.ip.strip()} {names}\n"
        "::1 localhost ip6-localhost ip6-loopback\n"
        "ff02::1 ip6-allnodes\n"
        "ff02::2 ip6-allrouters\n"
    )


def render_resolv(opts: BootOptions) -> str:
    lines = ["# Written by fueltui."]
    domain = _search_domain(opts)
    if domain:
        lines.append(f"search {domain}")
    lines.extend(f"nameserver {server}" for server in opts.dns)
    return "\n".join(lines) + "\n"


def render_chrony(opts: BootOptions) -> str:
    """The master keeps time from the operator's NTP servers and serves it to the admin network,
    as Fuel's master did: the nodes get the master's address as their NTP server by DHCP, so they
    agree with the master even when the servers outside cannot be reached from the nodes."""
    network = ipaddress.IPv4Network(f"{_address(opts)}", strict=False)
    lines = ["# Written by fueltui: time for the master, served to the nodes on the admin network."]
    lines.extend(f"server {server} iburst" for server in opts.ntp)
    lines += [f"allow {network}", "local stratum 10"]
    return "\n".join(lines) + "\n"


def render_timesyncd(opts: BootOptions) -> str:
    """The same servers for systemd-timesyncd, the default client where chrony is not installed
    (it keeps the master's clock; serving the nodes needs chrony)."""
    return "# Written by fueltui.\n[Time]\nNTP=" + " ".join(opts.ntp) + "\n"


def render_master_files(opts: BootOptions, flavor: Flavor = "netplan") -> dict[str, str]:
    """Every file Apply writes, by path relative to the target root, in writing order (the
    time service's only when NTP servers are given)."""
    if flavor not in FLAVORS:
        raise MasterFilesError(f"unknown flavour {flavor!r}; expected one of {', '.join(FLAVORS)}")
    nic = (
        (NETPLAN_PATH, render_netplan(opts))
        if flavor == "netplan"
        else (NETWORKD_PATH, render_networkd(opts))
    )
    files = {
        nic[0]: nic[1],
        HOSTNAME_PATH: render_hostname(opts),
        HOSTS_PATH: render_hosts(opts),
        RESOLV_PATH: render_resolv(opts),
    }
    if opts.ntp:
        files[CHRONY_PATH] = render_chrony(opts)
        files[TIMESYNCD_PATH] = render_timesyncd(opts)
    return files


def _read_existing(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return None


def diff_against_root(files: dict[str, str], root: Path) -> str:
    """A unified diff from what `root` holds now to `files`; empty when nothing changes."""
    chunks: list[str] = []
    for rel, content in files.items():
        old = _read_existing(root / rel)
        if old == content:
            continue
        before = [] if old is None else old.splitlines(keepends=True)
        fromfile = "/dev/null" if old is None else f"a/{rel}"
        chunks.extend(
            difflib.unified_diff(
                before, content.splitlines(keepends=True), fromfile=fromfile, tofile=f"b/{rel}"
            )
        )
    return "".join(chunks)


def write_master_files(files: dict[str, str], root: Path) -> list[Path]:
    """Write every file under `root` atomically (temp + fsync + rename); return what was written.

    A symlink at /etc/resolv.conf (systemd-resolved's stub) is replaced by a plain file: the
    master must answer with the DNS servers the operator chose."""
    written: list[Path] = []
    for rel, content in files.items():
        target = root / rel
        mode = 0o600 if rel == NETPLAN_PATH else 0o644  # netplan warns about world-readable files
        write_atomic(target, content, mode)
        written.append(target)
    return written
