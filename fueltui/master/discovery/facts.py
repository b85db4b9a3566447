"""A node's facts: gathered in one SSH round trip, parsed and validated on the master.

Nodes are not trusted to describe themselves honestly: every value is checked for shape
and anything that does not fit (a hostname like `$(touch /tmp/x)`, a NIC name with quotes)
is dropped with a warning in `NodeFacts.warnings` instead of travelling on into configs
and commands.
"""

from __future__ import annotations

import json
import re
import secrets

from fueltui.core.model import Cpu, Disk, Memory, Nic, NodeFacts, SystemInfo, normalize_mac
from fueltui.core.rules import names
from fueltui.master.discovery.facts_script import FACTS_SCRIPT
from fueltui.ssh.fanout import Fanout

MAX_OUTPUT = 4 * 1024 * 1024
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_DISK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.!-]{0,63}$")
_PRINTABLE = re.compile(r"[^\x20-\x7e]")
# Kinds of links that are not hardware: left out of the NIC list (veth is the lab's hardware).
_VIRTUAL_KINDS = {
    "bridge",
    "bond",
    "vlan",
    "vxlan",
    "macvlan",
    "macvtap",
    "tun",
    "dummy",
    "openvswitch",
    "gre",
}


class FactsError(ValueError):
    """The node's answer could not be read as facts at all."""


def valid_hostname(name: str) -> bool:
    return len(name) <= 253 and _HOSTNAME.match(name) is not None


def valid_nic_name(name: str) -> bool:
    return names.valid_nic_name(name)


def _clean_text(value: str, limit: int = 128) -> str | None:
    text = _PRINTABLE.sub("", value).strip()[:limit]
    return text or None


def split_sections(text: str, boundary: str) -> dict[str, str]:
    sections: dict[str, str] = {}
    marker = f"\n{boundary} "
    for chunk in ("\n" + text).split(marker)[1:]:
        name, _, body = chunk.partition("\n")
        sections[name.strip()] = body
    return sections


def _nics(sections: dict[str, str], admin_ip: str | None, warnings: list[str]) -> list[Nic]:
    try:
        links = json.loads(sections.get("links", "") or "[]")
    except ValueError as exc:
        raise FactsError(f"unreadable `ip -j addr` output: {exc}") from exc
    if not isinstance(links, list):
        raise FactsError("unreadable `ip -j addr` output: not a list")
    extra: dict[str, tuple[int | None, str | None]] = {}
    for line in sections.get("nicinfo", "").splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        speed = int(parts[1]) if parts[1].isdigit() and 0 < int(parts[1]) < 10**7 else None
        extra[parts[0]] = (speed, _clean_text(parts[2], 32))
    nics = []
    for link in links:
        if not isinstance(link, dict) or link.get("link_type") != "ether":
            continue
        name = str(link.get("ifname", ""))
        kind = (link.get("linkinfo") or {}).get("info_kind")
        if kind in _VIRTUAL_KINDS:
            continue
        if not valid_nic_name(name):
            warnings.append(f"NIC name {name!r} rejected: not a valid interface name")
            continue
        try:
            # A bond's slave wears the bond's MAC; `permaddr` is its own (iproute2 shows it then).
            mac = normalize_mac(str(link.get("permaddr") or link.get("address", "")))
        except ValueError:
            warnings.append(f"NIC {name}: MAC {link.get('address')!r} rejected")
            continue
        operstate = str(link.get("operstate", "")).lower()
        state = (
            "up" if operstate == "up" else "down" if operstate in {"down", "lowerlayerdown"} else "unknown"
        )
        addrs = [a.get("local") for a in link.get("addr_info", []) if isinstance(a, dict)]
        speed, driver = extra.get(name, (None, None))
        nics.append(
            Nic(
                name=name,
                mac=mac,
                state=state,
                speed_mbps=speed,
                driver=driver or (kind if isinstance(kind, str) else None),
                pxe=admin_ip is not None and admin_ip in addrs,
            )
        )
    return nics


_BY_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._+-]{0,127}$")


def _disk_paths(text: str) -> dict[str, str]:
    """Disk name -> by-path name; the first line for a disk wins (udev's own links come first)."""
    paths: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, path = line.partition("\t")
        if sep and _DISK_NAME.match(name) and _BY_PATH.match(path) and "-part" not in path:
            paths.setdefault(name, path)
    return paths


def _disks(text: str, paths_text: str = "") -> list[Disk]:
    by_path = _disk_paths(paths_text)
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return []
    disks = []
    for dev in data.get("blockdevices", []) if isinstance(data, dict) else []:
        if not isinstance(dev, dict) or dev.get("type") != "disk":
            continue
        name = str(dev.get("name", ""))
        if not _DISK_NAME.match(name):
            continue
        try:
            size = int(dev.get("size") or 0)
        except (TypeError, ValueError):
            size = 0
        rota = dev.get("rota")
        rotational = rota if isinstance(rota, bool) else {"1": True, "0": False}.get(str(rota))
        model = _clean_text(str(dev["model"]), 64) if dev.get("model") else None
        disks.append(
            Disk(name=name, size_bytes=size, model=model, rotational=rotational, by_path=by_path.get(name))
        )
    return disks


def parse_facts(text: str, boundary: str, admin_ip: str | None = None) -> NodeFacts:
    """Facts from the script's output; `admin_ip` is the address we reached the node on."""
    sections = split_sections(text, boundary)
    if "end" not in sections:
        raise FactsError("the facts script's output is incomplete")
    warnings: list[str] = []
    raw_host = sections.get("hostname", "").strip("\n")
    hostname = raw_host if valid_hostname(raw_host) else None
    if hostname is None and raw_host:
        warnings.append(f"hostname {raw_host!r} rejected: not a valid host name")
    os_name = None
    for line in sections.get("os", "").splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = _clean_text(line.split("=", 1)[1].strip().strip('"'))
    cpuinfo = sections.get("cpuinfo", "").splitlines()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    cpu = Cpu(
        model=_clean_text(models[0]) or "" if models else "",
        count=sum(1 for line in cpuinfo if line.startswith("processor")),
    )
    memory = Memory()
    match = re.search(r"MemTotal:\s+(\d+)\s*kB", sections.get("meminfo", ""))
    if match:
        memory = Memory(total_bytes=int(match.group(1)) * 1024)
    dmi = dict(line.split("=", 1) for line in sections.get("dmi", "").splitlines() if "=" in line)
    system = SystemInfo(
        manufacturer=_clean_text(dmi.get("sys_vendor", "")),
        product=_clean_text(dmi.get("product_name", "")),
        serial=_clean_text(dmi.get("product_serial", "")),
    )
    vlan = sections.get("vlan", "").strip()
    bond = sections.get("bond", "").strip()
    return NodeFacts(
        can_vlan={"loaded": True, "module": True, "none": False}.get(vlan),
        can_bond={"loaded": True, "module": True, "none": False}.get(bond),
        nics=_nics(sections, admin_ip, warnings),
        cpu=cpu,
        memory=memory,
        disks=_disks(sections.get("disks", ""), sections.get("diskpaths", "")),
        system=system,
        os=os_name,
        hostname=hostname,
        warnings=warnings,
    )


async def gather_facts(fanout: Fanout, host: str, timeout: float = 30.0) -> NodeFacts:
    """One SSH round trip to `host` (an address), returning its validated facts."""
    boundary = "fueltui-" + secrets.token_hex(12)
    result = await fanout.run(host, ["sh", "-c", FACTS_SCRIPT, "sh", boundary], timeout=timeout)
    if len(result.stdout) > MAX_OUTPUT:
        raise FactsError(f"{host}: facts output too large ({len(result.stdout)} bytes)")
    if result.exit_status != 0:
        raise FactsError(f"{host}: facts script failed ({result.exit_status}): {result.stderr.strip()[:200]}")
    try:
        return parse_facts(result.stdout, boundary, admin_ip=host)
    except FactsError as exc:
        raise FactsError(f"{host}: {exc}") from exc
