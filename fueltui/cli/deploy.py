"""`fueltui deploy ENV`, `fueltui stop ENV`, `fueltui retry ENV`: deployment from a shell.

Exit codes (the one table, `fueltui.cli.exitcodes`): 0 — started (or, with --wait/--follow,
every node `ready` and the health check passed; or nothing to deploy: no pending change, see
`fueltui changes`, and no --force); 1 — the deployment failed; 2 — refused (the
findings are printed) or bad input; 3 — no master; 4 — stopped or interrupted (`fueltui retry
ENV` resumes it). Node text reaches the terminal only through `safe_line`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import DEPLOY, HealthResult
from fueltui.cli.exitcodes import EXIT_FAILED, EXIT_NO_MASTER, EXIT_OK, EXIT_REFUSED, EXIT_STOPPED
from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError, MasterUnavailable
from fueltui.core.terminaltext import safe_line

POLL = 0.5
FOLLOW_HELP = "print every node's log as it runs (implies --wait)"
MASTER_GONE_GRACE = 60.0  # a restarting master is waited for this long
REFUSAL_WINDOW = 5.0  # how long `deploy` without --wait waits for the pre-deploy checks
REFUSED = "deploy refused"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deploy = sub.add_parser(
        "deploy",
        help="deploy an environment (or some of its nodes)",
        description="Deploy an environment. Deploying again resumes: tasks that already succeeded with "
        "an unchanged configuration are skipped; --nodes redeploys just those nodes from scratch.",
    )
    deploy.add_argument("env", help="the environment's name")
    deploy.add_argument("--wait", action="store_true", help="wait; exit 0 only when every node is ready")
    deploy.add_argument("--follow", action="store_true", help=FOLLOW_HELP)
    deploy.add_argument("--nodes", help="comma-separated node names or admin MACs to (re)deploy")
    deploy.add_argument("--skip-verify", action="store_true", help="deploy without a passed network check")
    deploy.add_argument(
        "--force",
        action="store_true",
        help="deploy every node even with no pending change (`fueltui changes`)",
    )
    deploy.set_defaults(func=run_deploy)

    stop = sub.add_parser(
        "stop",
        help="stop an environment's deployment (never resets it)",
        description="Stop the running deployment: running tasks finish, nothing new starts. The "
        "environment is left `stopped`; `fueltui deploy ENV` or `fueltui retry ENV` resumes.",
    )
    stop.add_argument("env", help="the environment's name")
    stop.add_argument("--now", action="store_true", help="also kill the tasks running on the nodes")
    stop.set_defaults(func=run_stop)

    retry = sub.add_parser(
        "retry",
        help="resume the last deployment that failed or was stopped",
        description="Resume the environment's last unfinished deployment: failed nodes run again from "
        "the task that failed; what already succeeded is skipped.",
    )
    retry.add_argument("env", help="the environment's name")
    retry.add_argument("--wait", action="store_true", help="wait; exit 0 only when every node is ready")
    retry.add_argument("--follow", action="store_true", help=FOLLOW_HELP)
    retry.set_defaults(func=run_retry)


# --------------------------------------------------------------------------- commands


def run_deploy(args: argparse.Namespace) -> int:
    async def start(client: MasterClient) -> TaskRecord:
        nodes = await _resolve_nodes(client, args.env, args.nodes) if args.nodes else None
        return await client.deploy(args.env, nodes=nodes, skip_verify=args.skip_verify, force=args.force)

    started = _started(start, args.wait or args.follow, args.follow)

    async def go(client: MasterClient) -> int:
        try:
            return await started(client)
        except ApiError as exc:
            if exc.code != "nothing-to-deploy":
                raise
            print(exc.message)  # Fuel's greyed-out Deploy Changes: not an error
            return EXIT_OK

    return _run(go)


def run_retry(args: argparse.Namespace) -> int:
    async def start(client: MasterClient) -> TaskRecord:
        return await client.retry(args.env)

    return _run(_started(start, args.wait or args.follow, args.follow))


def run_stop(args: argparse.Namespace) -> int:
    async def go(client: MasterClient) -> int:
        record = await client.stop_deploy(args.env, now=args.now)
        how = "killing running tasks" if args.now else "running tasks finish, nothing new starts"
        print(f"stopping task {record.id} of {args.env} ({how}); the environment is kept")
        return EXIT_OK

    return _run(go)


# --------------------------------------------------------------------------- plumbing


def _run(body: Callable[[MasterClient], Awaitable[int]]) -> int:
    async def main() -> int:
        try:
            client = await MasterClient.connect()
        except ApiError as exc:
            return _fail(exc)
        try:
            return await body(client)
        except ApiError as exc:
            return _fail(exc)
        finally:
            await client.close()

    return asyncio.run(main())


def _fail(exc: ApiError) -> int:
    print(f"fueltui: {exc.message}", file=sys.stderr)
    for finding in exc.findings:
        print(f"  {finding.severity.value}: {finding.path}: {finding.message}", file=sys.stderr)
    if isinstance(exc, MasterUnavailable):
        return EXIT_NO_MASTER
    return EXIT_REFUSED if exc.status in (400, 404, 409, 422) else EXIT_FAILED


async def _resolve_nodes(client: MasterClient, env: str, spec: str) -> list[str]:
    records = await client.nodes(env)
    by_key = {r.node.name: r.node.mac for r in records} | {r.node.mac: r.node.mac for r in records}
    macs, unknown = [], []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        mac = by_key.get(item) or by_key.get(item.lower())
        if mac is None:
            unknown.append(item)
        else:
            macs.append(mac)
    if unknown or not macs:
        names = ", ".join(sorted(r.node.name for r in records)) or "none"
        what = ", ".join(unknown) or "(empty)"
        raise ApiError(400, "unknown-nodes", f"not nodes of {env}: {what} (its nodes: {names})")
    return macs


def _started(
    start: Callable[[MasterClient], Awaitable[TaskRecord]], wait: bool, follow: bool
) -> Callable[[MasterClient], Awaitable[int]]:
    async def go(client: MasterClient) -> int:
        record = await start(client)
        hint = "" if wait else " (fueltui deploy --wait to watch)"
        print(f"deploying {record.env}: task {record.id}{hint}")
        if not wait:
            return await _refused(client, record) or EXIT_OK
        return await _wait(client, record, follow)

    return go


async def _refused(client: MasterClient, record: TaskRecord) -> int | None:
    """The pre-deploy checks run first thing in the task: wait for their verdict, so a
    refused deployment is never reported as started."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REFUSAL_WINDOW
    while loop.time() < deadline:
        record = await client.task(record.id)
        if record.status.finished or record.nodes:
            break
        await asyncio.sleep(0.1)  # polling the task's first state
    return await _print_refusal(client, record)


async def _print_refusal(client: MasterClient, record: TaskRecord) -> int | None:
    if record.status != TaskStatus.error or not record.message.startswith(REFUSED):
        return None
    print(f"fueltui: {record.message.split(': ', 1)[0]}", file=sys.stderr)
    log = await client.task_log(record.id)
    for entry in log.entries:
        text = entry.split(" ", 1)[-1]
        if text.startswith("refused: "):
            print(f"  error: {safe_line(text.removeprefix('refused: '))}", file=sys.stderr)
    return EXIT_REFUSED


async def _wait(client: MasterClient, record: TaskRecord, follow: bool) -> int:
    names = {r.node.mac: r.node.name for r in await client.nodes(record.env)}
    offset = [0]
    follower = asyncio.create_task(_follow(client, record.id, names, offset)) if follow else None
    seen: dict[str, str] = {}
    lost_since: float | None = None
    loop = asyncio.get_running_loop()
    try:
        while True:
            try:
                record = await client.task(record.id)
                lost_since = None
            except MasterUnavailable:
                lost_since = lost_since or loop.time()
                if loop.time() - lost_since > MASTER_GONE_GRACE:
                    raise
                await asyncio.sleep(POLL)  # polling a restarting master
                continue
            for mac, node in sorted(record.nodes.items()):
                line = safe_line(f"{node.status} {node.progress}% {node.message}".strip())
                if not follow and seen.get(mac) != line:
                    seen[mac] = line
                    print(f"  {names.get(mac, mac)}: {line}")
            if record.status.finished:
                break
            await asyncio.sleep(POLL)  # polling the task's status
    finally:
        if follower is not None:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError, ApiError):
                await follower
    if follower is not None:  # whatever the live stream had not delivered yet
        while True:
            chunk = await client.task_log(record.id, offset=offset[0])
            _print_lines(chunk.entries, names)
            offset[0] = chunk.end
            if not chunk.has_more:
                break
    refused = await _print_refusal(client, record)
    if refused is not None:
        return refused
    return _summary(record, names)


async def _follow(client: MasterClient, task_id: str, names: dict[str, str], offset: list[int]) -> None:
    async for chunk in client.follow_log_chunks(f"/tasks/{task_id}/logs/follow", offset[0]):
        _print_lines(chunk.entries, names)
        offset[0] = chunk.end


def _print_lines(lines: list[str], names: dict[str, str]) -> None:
    for line in lines:
        for mac, name in names.items():
            line = line.replace(f"[{mac}]", f"[{name}]")
        print(safe_line(line), flush=True)


def _summary(record: TaskRecord, names: dict[str, str]) -> int:
    message = f" — {safe_line(record.message)}" if record.message else ""
    print(f"task {record.id}: {record.status.value}{message}")
    for mac, node in sorted(record.nodes.items(), key=lambda item: names.get(item[0], item[0])):
        print(f"  {names.get(mac, mac):<20} {node.status:<9} {node.progress:>3}%  {safe_line(node.message)}")
    result = DEPLOY.result_of(record)
    # A pending deletion the deploy carried out ends `removed`: done, not a failure.
    ready = result.ready and all(n.status in ("ready", "removed") for n in record.nodes.values())
    if record.status == TaskStatus.done and ready and result.health_ok:
        print(f"every node is ready; health check passed ({len(result.health)} peer addresses reached)")
        return EXIT_OK
    if record.status in (TaskStatus.stopped, TaskStatus.interrupted):
        print(f"not finished; resume with: fueltui retry {record.env}")
        return EXIT_STOPPED
    _print_cloud_failures(result.cloud_health)
    print(f"failed; fix the cause, then: fueltui retry {record.env}")
    return EXIT_FAILED


def _print_cloud_failures(health: HealthResult | None) -> None:
    """A deploy failed by its cloud's health check names the tests that failed, and why."""
    for test in health.tests if health is not None else []:
        if test.status not in ("passed", "skipped"):
            print(f"  health check {test.id}: {test.status} — {safe_line(test.message)}")
