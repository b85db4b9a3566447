"""`fueltui master run|start|stop|status`: the master service's own commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from fueltui import statedir
from fueltui.api.schema import MasterStatus
from fueltui.client.api import MasterClient
from fueltui.client.autostart import start_detached
from fueltui.client.errors import ApiError, MasterUnavailable

STOP_TIMEOUT = 15.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("master", help="run, start, stop or ask the master service")
    actions = parser.add_subparsers(dest="master_command", metavar="ACTION", required=True)
    run = actions.add_parser("run", help="run the master in the foreground")
    start = actions.add_parser("start", help="start the master in the background (if none runs)")
    for p in (run, start):
        p.add_argument("--listen", metavar="HOST:PORT", help="also listen on TCP (requests need the token)")
        p.add_argument("--no-discovery", action="store_true", help="do not start node discovery")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    run.set_defaults(func=cmd_run)
    start.set_defaults(func=cmd_start)
    stop = actions.add_parser("stop", help="stop the master (running tasks are interrupted, resumable)")
    stop.set_defaults(func=cmd_stop)
    status = actions.add_parser("status", help="is a master running, and where")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=cmd_status)


def _fail(message: str, code: int = 1) -> int:
    print(f"fueltui: {message}", file=sys.stderr)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from fueltui.master.server import AlreadyRunning, MasterServer

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if args.no_discovery:
        os.environ["FUELTUI_NO_DISCOVERY"] = "1"
    base = statedir.state_dir()
    try:
        server = MasterServer(base, args.listen, log_level=args.log_level)
        server.prepare()
    except AlreadyRunning as exc:
        return _fail(str(exc))
    except (ValueError, OSError) as exc:
        return _fail(f"cannot start the master: {exc}")
    logging.getLogger("fueltui.master").info(
        "master %d serving %s%s",
        os.getpid(),
        statedir.socket_path(base),
        f" and {args.listen}" if args.listen else "",
    )
    # uvicorn re-raises the signal that stopped it once it has shut down; with the default
    # handlers that would kill the process before it removes its socket and pidfile.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda _signo, _frame: None)
    asyncio.run(server.serve())
    return 0


def running_pid(base: Path) -> int | None:
    """The pid of the master holding the state directory's pidfile lock, if any."""
    path = statedir.pidfile_path(base)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.read(fd, 32).decode().strip()
            return int(text) if text.isdigit() else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # nobody holds it: a leftover of a killed master
    finally:
        os.close(fd)


def cmd_start(args: argparse.Namespace) -> int:
    base = statedir.state_dir()
    pid = running_pid(base)
    if pid is not None:
        print(f"a master already runs for {base} (pid {pid})")
        return 0
    extra = ["--listen", args.listen] if args.listen else []
    if args.no_discovery:
        extra.append("--no-discovery")
    start_detached(base, extra)

    async def wait() -> MasterClient:
        return await MasterClient.connect(base, autostart=False)

    deadline = time.monotonic() + 60  # generous: a loaded machine imports slowly
    while True:
        try:
            client = asyncio.run(wait())
        except MasterUnavailable:
            if time.monotonic() > deadline:
                return _fail(f"the master did not come up; see {statedir.logfile_path(base)}")
            time.sleep(0.1)
            continue
        status = asyncio.run(_status_and_close(client))
        print(f"master started (pid {status.pid}) at {statedir.socket_path(base)}")
        return 0


async def _status_and_close(client: MasterClient) -> MasterStatus:
    try:
        return await client.status()
    finally:
        await client.close()


def cmd_stop(args: argparse.Namespace) -> int:
    base = statedir.state_dir()
    pid = running_pid(base)
    if pid is None:
        print(f"no master runs for {base}")
        return 0
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while running_pid(base) is not None:
        if time.monotonic() > deadline:
            return _fail(f"the master (pid {pid}) did not stop within {STOP_TIMEOUT:.0f}s")
        time.sleep(0.1)
    print(f"master stopped (pid {pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    base = statedir.state_dir()

    async def ask() -> dict[str, object]:
        client = await MasterClient.connect(base, autostart=False)
        try:
            status = await client.status()
            tasks = await client.tasks()
            return {
                **status.model_dump(mode="json"),
                "socket": str(statedir.socket_path(base)),
                "environments": len(await client.environments()),
                "nodes": len(await client.nodes()),
                "running_tasks": [t.id for t in tasks if t.status.value in ("pending", "running")],
            }
        finally:
            await client.close()

    try:
        info = asyncio.run(ask())
    except ApiError as exc:
        if args.json:
            print(json.dumps({"running": False, "state_dir": str(base), "message": exc.message}))
        else:
            print(f"no master runs for {base}")
        return 3
    if args.json:
        print(json.dumps({"running": True, **info}, indent=2))
        return 0
    print(f"master running, pid {info['pid']}, since {info['started']}")
    print(f"  state dir   {info['state_dir']}")
    print(f"  socket      {info['socket']}")
    if info.get("listen"):
        print(f"  listening   {info['listen']} (token in {statedir.token_path(base)})")
    kinds = info.get("task_kinds") or []
    print(
        f"  task kinds  {', '.join(str(k) for k in kinds) if isinstance(kinds, list) and kinds else 'none'}"
    )
    running = info.get("running_tasks")
    count = len(running) if isinstance(running, list) else 0
    print(f"  {info['environments']} environment(s), {info['nodes']} node(s), {count} running task(s)")
    return 0
