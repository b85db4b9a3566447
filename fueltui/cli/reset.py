"""`fueltui reset ENV --yes`: Fuel's Reset environment.

Every node of the environment goes back to the bootstrap with its disks wiped (nodes the
master provisioned reboot over PXE; nodes on an OS it did not install, like the namespace
lab's, keep everything and only lose their deploy state), and the environment is ready to be
deployed again. Destructive: without `--yes` it only says what it would do (exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import RESET
from fueltui.cli.exitcodes import EXIT_FAILED, EXIT_NO_MASTER, EXIT_OK, EXIT_REFUSED
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, MasterUnavailable

POLL = 1.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reset = sub.add_parser(
        "reset",
        help="reset an environment: its nodes back to the bootstrap, disks wiped (needs --yes)",
        description="Fuel's Reset environment: nodes the master provisioned get their PXE entry back "
        "to the bootstrap, their disks wiped and a reboot; nodes in the bootstrap get their disks wiped; "
        "the deploy state is cleared (nodes keep their roles). Exit 0: done; 1: a node failed; "
        "2: refused (no --yes, unknown environment, busy); 3: no master.",
    )
    reset.add_argument("env", metavar="ENV", help="the environment")
    reset.add_argument("--yes", action="store_true", help="really reset: wipes the nodes' disks")
    reset.add_argument("--wait", action="store_true", help="wait until every node is back")
    reset.add_argument("--json", action="store_true", help="print the outcome as JSON")
    reset.set_defaults(func=lambda a: asyncio.run(_reset(a)))


def _fail(message: str, as_json: bool, code: int) -> int:
    if as_json:
        print(json.dumps({"ok": False, "error": message}))
    else:
        print(f"fueltui reset: {message}", file=sys.stderr)
    return code


async def _reset(args: argparse.Namespace) -> int:
    try:
        async with await MasterClient.connect() as client:
            record = await client.environment(args.env)
            nodes = await client.nodes(args.env)
            if not args.yes:
                names = ", ".join(r.node.name for r in nodes) or "no nodes"
                return _fail(
                    f"this wipes the disks of {args.env!r}'s nodes ({names}) and sends them back to the "
                    "bootstrap; run again with --yes to do it",
                    args.json,
                    EXIT_REFUSED,
                )
            task = await client.reset_environment(args.env, record.revision)
            if not args.wait:
                if not args.json:
                    print(f"reset of {args.env!r} started: task {task.id} (--wait waits for it)")
                else:
                    print(json.dumps({"ok": True, "task": task.id}))
                return EXIT_OK
            while not task.status.finished:
                await asyncio.sleep(POLL)  # polling the master for the task's state
                task = await client.task(task.id)
    except ApiError as exc:
        code = EXIT_NO_MASTER if isinstance(exc, MasterUnavailable) else EXIT_REFUSED
        if not isinstance(exc, MasterUnavailable) and exc.status not in (400, 404, 409, 422):
            code = EXIT_FAILED
        return _fail(exc.message, args.json, code)
    ok = task.status == TaskStatus.done
    if args.json:
        outcome = {"ok": ok, "task": task.id, "message": task.message, "result": task.result}
        print(json.dumps(outcome, indent=2))
    else:
        print(render(task))
    return EXIT_OK if ok else EXIT_FAILED


def render(task: TaskRecord) -> str:
    lines = []
    result = RESET.result_of(task)
    for outcome in result.nodes.values():
        lines.append(f"{outcome.name:<16} {outcome.message}")
    for mac, reason in result.failed.items():
        lines.append(f"{mac:<16} FAILED: {reason}")
    state = "done" if task.status == TaskStatus.done else f"{task.status.value}: {task.message}"
    lines.append(f"reset {state} (task {task.id})")
    return "\n".join(lines)
