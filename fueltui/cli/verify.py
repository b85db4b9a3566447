"""`fueltui verify ENV [--wait] [--json]`: check the wiring of an environment for real.

Exit 0 when every NIC heard every peer it should (or, without --wait, when the verification
started); 1 with the list of what was missed (or nodes that could not be probed); 2 when it
could not run at all (no master, no such environment, fewer than two online nodes...).
A foreign DHCP server on the admin network is a warning: it is named, the exit code stays.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import VERIFY
from fueltui.cli.exitcodes import EXIT_FAILED, EXIT_NO_MASTER, EXIT_OK, EXIT_REFUSED
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, MasterUnavailable

EXIT_MISSING = EXIT_FAILED
POLL = 0.2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "verify",
        help="verify the environment's networks with real probes between its nodes",
        description=(
            "Send real L2 probes (untagged and 802.1Q-tagged) between the environment's nodes and "
            "report every NIC that did not hear its peers, plus foreign DHCP servers. "
            "Exit 0: all heard; 1: something missing or the verification failed; 2: refused; 3: no master."
        ),
    )
    parser.add_argument("env", metavar="ENV", help="the environment")
    parser.add_argument(
        "--wait", action="store_true", help="wait for the result (exit 1 when anything is missing)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--nodes", help="comma-separated admin MACs to verify (default: every node)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()] if args.nodes else None
    try:
        async with await MasterClient.connect() as client:
            record = await client.verify(args.env, nodes)
            if not args.wait:
                if args.json:
                    print(json.dumps({"task": record.id, "status": record.status.value}))
                else:
                    print(f"verification of {args.env!r} started: task {record.id} (--wait waits for it)")
                return EXIT_OK
            record = await _wait(client, record, quiet=args.json)
    except ApiError as exc:
        return _fail(args, exc.message, _refusal_code(exc))
    print(json.dumps(as_json(record), indent=2) if args.json else render(record))
    return exit_code(record)


async def _wait(client: MasterClient, record: TaskRecord, quiet: bool) -> TaskRecord:
    shown = ""
    while not record.status.finished:
        await asyncio.sleep(POLL)  # polling the master for the task's state
        record = await client.task(record.id)
        if not quiet and record.message and record.message != shown and sys.stderr.isatty():
            shown = record.message
            print(f"  {record.progress:3d}% {shown}", file=sys.stderr)
    return record


def _refusal_code(exc: ApiError) -> int:
    if isinstance(exc, MasterUnavailable):
        return EXIT_NO_MASTER
    return EXIT_REFUSED if exc.status in (400, 404, 409, 422) else EXIT_FAILED


def _fail(args: argparse.Namespace, message: str, code: int = EXIT_FAILED) -> int:
    if args.json:
        print(json.dumps({"ok": False, "error": message}))
    else:
        print(f"fueltui verify: {message}", file=sys.stderr)
    return code


def exit_code(record: TaskRecord) -> int:
    if record.status != TaskStatus.done:
        return EXIT_FAILED
    return EXIT_OK if VERIFY.result_of(record).ok else EXIT_MISSING


def as_json(record: TaskRecord) -> dict[str, object]:
    result = VERIFY.result_of(record)
    wire = result.model_dump(mode="json", include={"missing", "dhcp", "skipped", "errors"})
    return {
        "ok": record.status == TaskStatus.done and result.ok,
        "task": record.id,
        "status": record.status.value,
        "message": result.summary or record.message,
        **wire,
        "heard": result.heard or {},
        "seconds": result.seconds,
    }


def _vlan(value: int) -> str:
    return "untagged" if value == 0 else f"VLAN {value}"


def render(record: TaskRecord) -> str:
    """The result for people: what was missed, by node and NIC, then warnings."""
    if record.status != TaskStatus.done:
        return f"verification {record.status.value}: {record.message or 'no result'}"
    result = VERIFY.result_of(record)
    lines: list[str] = []
    missing = result.missing
    if missing:
        lines.append(f"{len(missing)} NIC/network pair(s) did not hear their peers:")
        rows = [("NODE", "NIC", "MAC", "NETWORK", "VLAN", "DID NOT HEAR")]
        for m in missing:
            rows.append((m.node, m.nic, m.mac or "-", m.network, _vlan(m.vlan), ", ".join(m.missing)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            lines.append(
                "  " + "  ".join(c.ljust(w) for c, w in zip(row[:5], widths, strict=True)) + "  " + row[5]
            )
    else:
        lines.append("every NIC heard every peer it should")
    for name, reason in sorted(result.skipped.items()):
        lines.append(f"not verified: {name} ({reason})")
    for name, error in sorted(result.errors.items()):
        lines.append(f"problem on {name}: {error.describe()}")
    for server in result.dhcp:
        lines.append(
            f"WARNING: foreign DHCP server {server.address} ({server.mac}) answers on the admin network"
        )
    if result.dhcp_error:
        lines.append(f"FAILED: the DHCP check could not run: {result.dhcp_error}")
    if result.seconds is not None:
        lines.append(f"({result.seconds:.1f} s, task {record.id})")
    return "\n".join(lines)
