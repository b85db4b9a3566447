"""`fueltui releases|nodes|envs|apply|export|tasks|logs`: the master's state from a shell.

Plain text for people, `--json` for scripts; every command is a client of the master's
API (a master is started in the background when none runs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fueltui import statedir
from fueltui.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    fail,
    human_bytes,
    print_findings,
    print_json,
    table,
    with_client,
)
from fueltui.client.api import MasterClient
from fueltui.client.errors import NotFoundError
from fueltui.core.lifecycle import node_state
from fueltui.core.model import Severity, normalize_mac
from fueltui.core.terminaltext import safe_line


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        return parser

    add("releases", "list the OpenStack releases the master can install").set_defaults(func=cmd_releases)
    nodes = add("nodes", "list the discovered nodes with their facts, state and roles")
    nodes.add_argument("--env", help="only the nodes of this environment")
    nodes.set_defaults(func=cmd_nodes)
    add("envs", "list the environments").set_defaults(func=cmd_envs)

    apply = add("apply", "create or update an environment and its nodes from an answers file")
    apply.add_argument("file", help="the answers file (YAML), or - for standard input")
    apply.add_argument("--dry-run", action="store_true", help="check and show the changes, write nothing")
    apply.set_defaults(func=cmd_apply)

    export = sub.add_parser("export", help="write an environment back as an answers file")
    export.add_argument("env", help="the environment's name")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")
    export.set_defaults(func=cmd_export)

    tasks = add("tasks", "list tasks, or show, stop or resume one")
    tasks.add_argument("task", nargs="?", help="a task id: show this task")
    tasks.add_argument("--env", help="only the tasks of this environment")
    action = tasks.add_mutually_exclusive_group()
    action.add_argument("--stop", action="store_true", help="stop the task (running steps finish)")
    action.add_argument("--resume", action="store_true", help="resume a stopped, failed or interrupted task")
    tasks.add_argument("--now", action="store_true", help="with --stop: also kill running steps")
    tasks.set_defaults(func=cmd_tasks)

    logs = sub.add_parser("logs", help="print a node's log (or a task's), optionally following it")
    logs.add_argument("node", nargs="?", help="the node's name or admin MAC")
    logs.add_argument("--task", help="only this task's part (without NODE: the task's whole log)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines (Ctrl-C stops)")
    logs.add_argument("--tail", type=int, metavar="BYTES", help="start this many bytes before the end")
    logs.set_defaults(func=cmd_logs)


# --------------------------------------------------------------------------- listings


def cmd_releases(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        releases = await client.releases()
        if args.json:
            print_json(releases)
            return EXIT_OK
        rows = [(r.id, r.name, r.openstack_version, ", ".join(m.value for m in r.modes)) for r in releases]
        table(("ID", "NAME", "OPENSTACK", "MODES"), rows)
        return EXIT_OK

    return with_client(work)


def cmd_envs(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        envs = await client.environments()
        if args.json:
            print_json(envs)
            return EXIT_OK
        nodes = await client.nodes()
        rows = []
        for record in envs:
            env = record.environment
            count = sum(1 for n in nodes if n.node.environment == env.name)
            rows.append((env.name, env.status.value, env.mode.value, env.release, count, record.revision))
        if not rows:
            print("no environments yet (create one in the TUI, or `fueltui apply answers.yaml`)")
            return EXIT_OK
        table(("NAME", "STATUS", "MODE", "RELEASE", "NODES", "REV"), rows)
        for line in await handover_lines(client, [r.environment.name for r in envs]):
            print(line)
        return EXIT_OK

    return with_client(work)


async def handover_lines(client: MasterClient, names: list[str]) -> list[str]:
    """The cloud each deployed environment hands over (#15.7), asked of the master each time:
    derived from what is deployed now, never a stored string."""
    lines: list[str] = []
    for name in names:
        try:
            access = await client.cloud(name)
        except NotFoundError:
            continue  # no cloud yet
        if access.deployed:
            lines.append(f"{name}: Horizon {access.horizon_url}  Keystone {access.keystone_url}")
    return ["", *lines] if lines else []


def cmd_nodes(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        records = await client.nodes(environment=args.env)
        if args.json:
            print_json(records)
            return EXIT_OK
        if not records:
            print("no nodes discovered yet (boot servers from the admin network)")
            return EXIT_OK
        rows = []
        for record in records:
            node = record.node
            state = "untrusted" if node.untrusted else ("online" if node.online else "offline")
            facts = node.facts
            hardware = (
                f"{facts.cpu.count} cpu, {human_bytes(facts.memory.total_bytes)}, {len(facts.nics)} nic"
            )
            rows.append(
                (
                    node.name,
                    node.mac,
                    node.ip or "-",
                    state,
                    node_state(node).value,
                    node.environment or "-",
                    ",".join(node.roles) or "-",
                    hardware,
                )
            )
        table(("NAME", "MAC", "IP", "STATE", "STATUS", "ENV", "ROLES", "HARDWARE"), rows)
        return EXIT_OK

    return with_client(work)


# --------------------------------------------------------------------------- apply / export


def cmd_apply(args: argparse.Namespace) -> int:
    try:
        if args.file == "-":
            text, source = sys.stdin.read(), "<stdin>"
        else:
            text, source = Path(args.file).read_text(encoding="utf-8"), args.file
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"cannot read {args.file}: {exc}", EXIT_REFUSED)

    async def work(client: MasterClient) -> int:
        # The dry run is this command's read: the write carries the revision it saw.
        result = await client.apply(text, source=source, dry_run=True)
        if not args.dry_run and result.changes:
            result = await client.apply(text, source=source, revision=result.revision)
        if args.json:
            print_json(result)
            return EXIT_OK
        warnings = [f for f in result.findings if f.severity == Severity.warning]
        if warnings:
            print_findings(warnings, sys.stderr)
        if not result.changes:
            print(f"{source}: nothing to change")
            return EXIT_OK
        prefix = "would apply" if args.dry_run else "applied"
        print(f"{source}: {prefix} {len(result.changes)} change{'s' if len(result.changes) != 1 else ''}")
        for change in result.changes:
            print(f"  {change}")
        return EXIT_OK

    return with_client(work)


def cmd_export(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        text = await client.export(args.env)
        if not args.output or args.output == "-":
            sys.stdout.write(text)
            return EXIT_OK
        target = Path(args.output)
        try:
            statedir.write_atomic(target, text, 0o644)
        except OSError as exc:
            return fail(f"cannot write {target}: {exc}")
        print(f"wrote {target}", file=sys.stderr)
        return EXIT_OK

    return with_client(work)


# --------------------------------------------------------------------------- tasks and logs


def cmd_tasks(args: argparse.Namespace) -> int:
    if (args.stop or args.resume) and not args.task:
        return fail("--stop and --resume need a task id", EXIT_REFUSED)

    async def work(client: MasterClient) -> int:
        if args.task:
            if args.stop:
                record = await client.stop_task(args.task, now=args.now)
            elif args.resume:
                record = await client.resume_task(args.task)
                print(f"resumed {args.task} as task {record.id}", file=sys.stderr)
            else:
                record = await client.task(args.task)
            if args.json:
                print_json(record)
                return EXIT_OK
            env = record.env or "-"
            print(f"task {record.id}  {record.kind}  env {env}  {record.status.value}  {record.progress}%")
            if record.message:
                print(f"  {safe_line(record.message)}")
            if record.resumed_from:
                print(f"  resumes {record.resumed_from}")
            names = {r.node.mac: r.node.name for r in await client.nodes()} if record.nodes else {}
            rows = [
                (names.get(mac) or mac, p.status, f"{p.progress}%", p.task or "-", p.message)
                for mac, p in record.nodes.items()
            ]
            if rows:
                table(("NODE", "STATUS", "PROGRESS", "STEP", "MESSAGE"), rows)
            return EXIT_OK
        records = await client.tasks(args.env)
        if args.json:
            print_json(records)
            return EXIT_OK
        if not records:
            print("no tasks yet")
            return EXIT_OK
        listing = [
            (
                t.id,
                t.kind,
                t.env or "-",
                t.status.value,
                f"{t.progress}%",
                t.created.strftime("%Y-%m-%d %H:%M:%S"),
                t.message,
            )
            for t in records
        ]
        table(("ID", "KIND", "ENV", "STATUS", "PROGRESS", "CREATED", "MESSAGE"), listing)
        return EXIT_OK

    return with_client(work)


async def resolve_node(client: MasterClient, ref: str) -> str:
    """A node's admin MAC from its MAC or its name."""
    try:
        return normalize_mac(ref)
    except ValueError:
        pass
    matches = [r.node.mac for r in await client.nodes() if r.node.name == ref]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFoundError(404, "node-not-found", f"no node named {ref!r} (give its name or admin MAC)")
    raise NotFoundError(404, "node-ambiguous", f"{len(matches)} nodes are named {ref!r}; give the MAC")


def cmd_logs(args: argparse.Namespace) -> int:
    if not args.node and not args.task:
        return fail("give a NODE (name or MAC), or --task ID", EXIT_REFUSED)
    if args.tail is not None and args.tail < 0:
        return fail("--tail wants a number of bytes (0 or more)", EXIT_REFUSED)

    async def work(client: MasterClient) -> int:
        mac = await resolve_node(client, args.node) if args.node else None
        if mac is not None:
            chunk = await client.node_log(mac, task_id=args.task, tail=args.tail)
        else:
            chunk = await client.task_log(args.task, tail=args.tail)
        while True:
            for line in chunk.entries:
                print(safe_line(line))
            if not chunk.has_more:
                break
            chunk = (
                await client.node_log(mac, chunk.end, task_id=args.task)
                if mac is not None
                else await client.task_log(args.task, chunk.end)
            )
        sys.stdout.flush()
        if not args.follow:
            return EXIT_OK
        lines = (
            client.follow_node_log(mac, chunk.end, task_id=args.task)
            if mac is not None
            else client.follow_task_log(args.task, chunk.end)
        )
        async for line in lines:
            print(safe_line(line), flush=True)
        return fail("the master went away while following the log")  # the stream only ends then

    return with_client(work)
