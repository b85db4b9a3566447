"""`fueltui key` and `fueltui discover ADDR|CIDR ...`.

`key` prints the master's SSH public key, the one line a bootstrap image needs in its
authorized_keys. `discover` asks the master to reach the given addresses over SSH now,
instead of waiting for their DHCP leases; it waits and prints what it found.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from fueltui import statedir
from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import ACCEPT, DISCOVER
from fueltui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_REFUSED, fail, with_client
from fueltui.client.api import MasterClient
from fueltui.core.targets import expand_targets

POLL = 0.2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    key = sub.add_parser("key", help="print the master's SSH public key (for the bootstrap image)")
    key.set_defaults(func=cmd_key)
    discover = sub.add_parser(
        "discover",
        help="discover nodes at these addresses now (DHCP leases are discovered by themselves)",
    )
    discover.add_argument(
        "targets", nargs="*", metavar="ADDR|CIDR", help="e.g. 10.20.0.130 or 10.20.0.128/25"
    )
    discover.add_argument(
        "--accept",
        metavar="NODE",
        help="accept the new host key a node (admin MAC or address) offered, after checking it",
    )
    discover.add_argument("--json", action="store_true", help="print the result as JSON")
    discover.add_argument("--no-wait", action="store_true", help="start discovery and return")
    discover.set_defaults(func=cmd_discover)


def _public_key() -> str | None:
    try:
        return (statedir.state_dir() / "ssh" / "id_ed25519.pub").read_text().strip() or None
    except OSError:
        return None


def cmd_key(args: argparse.Namespace) -> int:
    key = _public_key()
    if key is None:
        # The master makes its key on first start: start it (or reach it) and look again.
        async def touch(client: MasterClient) -> int:
            return EXIT_OK

        code = with_client(touch)
        if code != EXIT_OK:
            return code
        key = _public_key()
    if key is None:
        return fail(f"the master has no SSH key yet in {statedir.state_dir() / 'ssh'} (is discovery off?)")
    print(key)
    return EXIT_OK


def _check_targets(targets: list[str]) -> str | None:
    try:
        expand_targets(targets)
    except ValueError as exc:
        return f"{exc} (e.g. 10.20.0.130 or 10.20.0.128/25)"
    return None


def cmd_discover(args: argparse.Namespace) -> int:
    if args.accept:
        return _accept(args.accept)
    if not args.targets:
        return fail(
            "give addresses or CIDRs to discover (DHCP leases are discovered by themselves)", EXIT_REFUSED
        )
    problem = _check_targets(args.targets)
    if problem:
        return fail(problem, EXIT_REFUSED)

    async def work(client: MasterClient) -> int:
        record = await client.discover(list(args.targets))
        if args.no_wait:
            print(f"discovery started: task {record.id}")
            return EXIT_OK
        record = await _finish(client, record)
        print(json.dumps(_as_json(record), indent=2) if args.json else _render(record))
        return (
            EXIT_OK
            if record.status == TaskStatus.done and not DISCOVER.result_of(record).failed
            else EXIT_ERROR
        )

    return with_client(work)


async def _finish(client: MasterClient, record: TaskRecord) -> TaskRecord:
    while not record.status.finished:
        await asyncio.sleep(POLL)  # polling the master for the task's state
        record = await client.task(record.id)
    return record


def _accept(node: str) -> int:
    async def work(client: MasterClient) -> int:
        record = await _finish(client, await client.start_task(ACCEPT.name, None, {"node": node}))
        if record.status != TaskStatus.done:
            return fail(record.message or f"could not accept the key of {node}")
        accepted = ACCEPT.result_of(record)
        suffix = f" at {accepted.address}; it is trusted again" if accepted.address else ""
        print(f"accepted the new host key of {accepted.accepted or node}{suffix}")
        return EXIT_OK

    return with_client(work)


def _as_json(record: TaskRecord) -> dict[str, object]:
    result = DISCOVER.result_of(record)
    return {
        "task": record.id,
        "status": record.status.value,
        "found": result.found,
        "failed": result.failed,
        "message": record.message,
    }


def _render(record: TaskRecord) -> str:
    if record.status != TaskStatus.done:
        return f"discovery {record.status.value}: {record.message or 'no result'}"
    result = DISCOVER.result_of(record)
    found, failed = result.found, result.failed
    lines = [f"discovered {len(found)} node(s)"]
    lines += [f"  {mac}" for mac in found]
    if failed:
        lines.append(f"{len(failed)} address(es) did not answer:")
        lines += [f"  {ip}: {why}" for ip, why in failed.items()]
    return "\n".join(lines)
