"""`fueltui disks ENV NODE`: how a node's disks are split between its volumes (Configure Disks),
with what the rules say; `--set [DISK:]VOLUME=SIZE` changes one volume, `--reset` goes back to
the role defaults. Every change is judged by the master: refused, nothing changes (exit 2)."""

from __future__ import annotations

import argparse
import sys

from fueltui.api.disks import NodeDisks
from fueltui.cli.common import EXIT_OK, EXIT_REFUSED, fail, print_findings, print_json, table, with_client
from fueltui.cli.resources import resolve_node
from fueltui.client.api import MasterClient
from fueltui.core.disksizes import format_mib, parse_size
from fueltui.core.model import DiskAllocation, Severity
from fueltui.core.terminaltext import safe_line


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    text = "show or change how a node's disks are split between its volumes (Configure Disks)"
    parser = sub.add_parser("disks", help=text, description=text)
    parser.add_argument("env", help="the environment's name")
    parser.add_argument("node", help="the node's name or admin MAC")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="[DISK:]VOLUME=SIZE",
        help="give VOLUME this size (MiB, or 10G, 512M; 0 removes it) on DISK (default: the boot disk)",
    )
    parser.add_argument("--reset", action="store_true", help="back to the defaults for the node's roles")
    parser.set_defaults(func=cmd_disks)


def parse_setting(text: str) -> tuple[str | None, str, int]:
    """ "vdb:ceph=20G" -> ("vdb", "ceph", 20480); raises ValueError with the operator's words."""
    target, sep, size = text.partition("=")
    if not sep or not target:
        raise ValueError(f"--set {text!r}: expected [DISK:]VOLUME=SIZE, e.g. logs=4G or vdb:vm=100G")
    disk, colon, volume = target.rpartition(":")
    if not volume:
        raise ValueError(f"--set {text!r}: name a volume before '='")
    try:
        mib = parse_size(size)
    except ValueError as exc:
        raise ValueError(f"--set {text!r}: {exc}") from None
    return (disk if colon else None), volume, mib


def apply_settings(view: NodeDisks, settings: list[tuple[str | None, str, int]]) -> list[DiskAllocation]:
    allocation = {a.disk: dict(a.volumes) for a in view.allocation}
    boot = next((d.key for d in view.disks if d.boot), None)
    for disk, volume, mib in settings:
        key = next((d.key for d in view.disks if disk in (d.key, d.name)), disk) if disk else boot
        if key is None:
            raise ValueError(f"node {view.node} has no disk to put {volume} on")
        volumes = allocation.setdefault(key, {})
        if mib:
            volumes[volume] = mib
        else:
            volumes.pop(volume, None)
    return [DiskAllocation(disk=disk, volumes=volumes) for disk, volumes in allocation.items()]


def show(view: NodeDisks) -> None:
    roles = ", ".join(view.roles) or "no roles"
    source = "set by the operator" if view.custom else "the defaults for its roles"
    print(safe_line(f"node {view.node} ({view.mac}), {roles}: {source}"))
    used = {v for a in view.allocation for v, mib in a.volumes.items() if mib}
    shown = [v for v in view.volumes if v.wanted or v.id in used]
    by_disk = {a.disk: a.volumes for a in view.allocation}
    rows = []
    for disk in view.disks:
        volumes = by_disk.get(disk.key, {})
        free = disk.usable_mib - sum(volumes.values())
        cells = [format_mib(volumes[v.id]) if volumes.get(v.id) else "-" for v in shown]
        rows.append(
            [
                disk.name + (" (boot)" if disk.boot else ""),
                format_mib(disk.size_mib),
                *cells,
                format_mib(free),
            ]
        )
    table(["DISK", "SIZE", *(v.id.upper() for v in shown), "FREE"], rows)
    minimums = ", ".join(f"{v.id} {format_mib(v.min_mib)}" for v in shown if v.wanted)
    print(safe_line(f"minimums: {minimums}"))
    if view.findings:
        print_findings(view.findings)


def cmd_disks(args: argparse.Namespace) -> int:
    if args.reset and args.set:
        return fail("--reset and --set do not go together", EXIT_REFUSED)
    try:
        settings = [parse_setting(text) for text in args.set]
    except ValueError as exc:
        return fail(str(exc), EXIT_REFUSED)

    async def work(client: MasterClient) -> int:
        await client.environment(args.env)  # an unknown environment is said as such
        mac = await resolve_node(client, args.node)
        record = await client.node(mac)
        if record.node.environment != args.env:
            return fail(f"node {record.node.name} is not in environment {args.env}", EXIT_REFUSED)
        view = await client.disks(mac)
        if args.reset:
            view = await client.reset_disks(mac, view.revision)
        elif settings:
            try:
                allocation = apply_settings(view, settings)
            except ValueError as exc:
                return fail(str(exc), EXIT_REFUSED)
            view = await client.set_disks(mac, view.revision, allocation)
        if args.json:
            print_json(view)
        else:
            show(view)
        errors = [f for f in view.findings if f.severity == Severity.error]
        if errors and (args.reset or settings):
            print("the stored allocation still has errors", file=sys.stderr)
        return EXIT_OK

    return with_client(work)
