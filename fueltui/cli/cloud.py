"""The cloud a deploy built: `fueltui health ENV`, `fueltui openrc ENV`, `fueltui cloud ENV`.

`health` runs Fuel's Health Check (sanity and smoke tests) and exits 0 when every test
passed, 1 when one failed, 2 when it could not run. `openrc` prints the admin's openrc (it
holds the password: redirect it to a private file). `cloud` prints where the cloud answers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import HEALTH
from fueltui.cli.exitcodes import EXIT_FAILED, EXIT_NO_MASTER, EXIT_OK, EXIT_REFUSED
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, MasterUnavailable

POLL = 0.5


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    health = sub.add_parser(
        "health",
        help="run the health check of an environment's cloud (sanity and smoke tests)",
        description="Fuel's Health Check: sanity (services, agents, endpoints, Horizon) and smoke "
        "(a network, "
        "an image, an instance on each compute reaching the others, a floating IP) tests. Exit 0: all "
        "passed; 1: a test failed; 2: refused (no cloud there); 3: no master.",
    )
    health.add_argument("env", metavar="ENV", help="the environment")
    health.add_argument("--wait", action="store_true", help="wait for the result")
    health.add_argument("--json", action="store_true", help="print the result as JSON")
    health.add_argument("--sanity", action="store_true", help="sanity tests only (fast; creates nothing)")
    health.set_defaults(func=lambda a: asyncio.run(_health(a)))

    rc = sub.add_parser(
        "openrc", help="print the admin openrc of an environment's cloud (holds the password)"
    )
    rc.add_argument("env", metavar="ENV", help="the environment")
    rc.set_defaults(func=lambda a: asyncio.run(_openrc(a)))

    access = sub.add_parser("cloud", help="where an environment's cloud answers (Horizon, Keystone)")
    access.add_argument("env", metavar="ENV", help="the environment")
    access.add_argument("--json", action="store_true", help="print it as JSON")
    access.set_defaults(func=lambda a: asyncio.run(_cloud(a)))


def _fail(command: str, message: str, as_json: bool = False, code: int = EXIT_FAILED) -> int:
    if as_json:
        print(json.dumps({"ok": False, "error": message}))
    else:
        print(f"fueltui {command}: {message}", file=sys.stderr)
    return code


def _api_fail(command: str, exc: ApiError, as_json: bool = False) -> int:
    if isinstance(exc, MasterUnavailable):
        code = EXIT_NO_MASTER
    else:
        code = EXIT_REFUSED if exc.status in (400, 404, 409, 422) else EXIT_FAILED
    return _fail(command, exc.message, as_json, code)


async def _health(args: argparse.Namespace) -> int:
    try:
        async with await MasterClient.connect() as client:
            record = await client.health(args.env, ["sanity"] if args.sanity else None)
            if not args.wait:
                print(f"health check of {args.env!r} started: task {record.id} (--wait waits for it)")
                return EXIT_OK
            while not record.status.finished:
                await asyncio.sleep(POLL)  # polling the master for the task's state
                record = await client.task(record.id)
    except ApiError as exc:
        return _api_fail("health", exc, args.json)
    tests = HEALTH.result_of(record).tests
    if not tests:
        return _fail("health", record.message or f"the health check ended {record.status.value}", args.json)
    ok = record.status == TaskStatus.done
    if args.json:
        listed = [test.model_dump(mode="json", exclude_unset=True) for test in tests]
        print(json.dumps({"ok": ok, "task": record.id, "tests": listed}, indent=2))
    else:
        print(render_tests(record))
    return EXIT_OK if ok else EXIT_FAILED


def render_tests(record: TaskRecord) -> str:
    result = HEALTH.result_of(record)
    lines = []
    for test in result.tests:
        mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}[test.status]
        message = f" — {test.message}" if test.message else ""
        lines.append(f"{mark} {test.group:<6} {test.name} ({test.duration} s){message}")
    lines.append(f"{result.passed} passed, {result.failed} failed (task {record.id})")
    return "\n".join(lines)


async def _openrc(args: argparse.Namespace) -> int:
    try:
        async with await MasterClient.connect() as client:
            text = await client.openrc(args.env)
    except ApiError as exc:
        return _api_fail("openrc", exc)
    sys.stdout.write(text)
    return EXIT_OK


async def _cloud(args: argparse.Namespace) -> int:
    try:
        async with await MasterClient.connect() as client:
            access = await client.cloud(args.env)
    except ApiError as exc:
        return _api_fail("cloud", exc, args.json)
    if args.json:
        print(access.model_dump_json(indent=2))
        return EXIT_OK
    state = "operational" if access.deployed else "not deployed yet (or not healthy)"
    print(f"cloud of {args.env}: {state}")
    print(f"  Horizon   {access.horizon_url}  (user {access.admin_user}, project {access.admin_project})")
    print(f"  Keystone  {access.keystone_url}  (region {access.region})")
    print(f"  password  `fueltui openrc {args.env}` (keep it private)")
    return EXIT_OK
