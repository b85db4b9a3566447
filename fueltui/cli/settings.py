"""`fueltui settings ENV [--set KEY=VALUE ...] [--json] [--password]`, `fueltui rename ENV NEW`,
`fueltui node show|remove MAC|NAME`: Fuel's Settings and Actions tabs and a node's details."""

from __future__ import annotations

import argparse
import sys

from fueltui.api.settings import SettingsRecord
from fueltui.cli.common import EXIT_OK, EXIT_REFUSED, fail, print_findings, print_json, table, with_client
from fueltui.cli.resources import resolve_node
from fueltui.client.api import MasterClient
from fueltui.core.settings import SettingError, parse_assignment, show
from fueltui.core.terminaltext import safe_line


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    settings = sub.add_parser(
        "settings",
        help="show or change an environment's settings",
        description="Show an environment's settings by group, or change them with --set "
        "(KEY as shown, e.g. common.debug=yes). Locked fields cannot change after a deploy.",
    )
    settings.add_argument("env")
    settings.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="assignments", help="change a setting"
    )
    settings.add_argument(
        "--password", action="store_true", help="print the cloud administrator's generated password"
    )
    settings.add_argument("--json", action="store_true", help="print JSON")
    settings.set_defaults(func=cmd_settings)

    rename = sub.add_parser("rename", help="rename an environment", description="Rename an environment.")
    rename.add_argument("env")
    rename.add_argument("new_name", metavar="NEW")
    rename.set_defaults(func=cmd_rename)

    node = sub.add_parser("node", help="one node: `node show|remove MAC|NAME`")
    node_sub = node.add_subparsers(dest="node_command", metavar="COMMAND", required=True)
    node_show = node_sub.add_parser(
        "show", help="a node's facts, roles, addresses and history", description="Show one node in full."
    )
    node_show.add_argument("node", metavar="MAC|NAME")
    node_show.add_argument("--json", action="store_true", help="print JSON")
    node_show.set_defaults(func=cmd_node_show)
    node_remove = node_sub.add_parser(
        "remove",
        help="take a node out of its environment",
        description="Take a node out of its environment. A deployed node becomes pending deletion: "
        "the next deploy stops its services, deletes them from the cloud and hands it back as "
        "discovered. A node not yet deployed is unassigned at once.",
    )
    node_remove.add_argument("node", metavar="MAC|NAME")
    node_remove.set_defaults(func=cmd_node_remove)


def cmd_settings(args: argparse.Namespace) -> int:
    try:
        changes = dict(parse_assignment(text) for text in args.assignments)
    except SettingError as exc:
        return fail(exc.message, EXIT_REFUSED)

    async def work(client: MasterClient) -> int:
        if args.password:
            secret = await client.admin_password(args.env)
            if args.json:
                print_json(secret)
            else:
                print(f"{secret.user}: {secret.password}")
            return EXIT_OK
        record = await client.settings(args.env)
        if changes:
            record = await client.update_settings(args.env, changes, record.revision)
        if args.json:
            print_json(record)
        else:
            print_settings(record)
        return EXIT_OK

    return with_client(work)


def print_settings(record: SettingsRecord) -> None:
    state = "deployed: locked fields cannot change" if record.deployed else "not deployed"
    print(f"Settings of {record.environment} (revision {record.revision}, {state})")
    for group in record.groups:
        print(f"\n{group.label}")
        rows = []
        for field in group.fields:
            note = "locked" if field.locked else ("unavailable" if field.restricted else "")
            rows.append((f"  {field.key}", show(field.value), note, field.label))
        table(("  KEY", "VALUE", "", "WHAT"), rows)
    restricted = [f for g in record.groups for f in g.fields if f.restricted]
    if restricted:
        print()
        for field in restricted:
            print(safe_line(f"{field.key}: {field.restricted}"))
    if record.findings:
        print()
        print_findings(record.findings)


def cmd_rename(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        current = await client.environment(args.env)
        renamed = await client.rename_environment(args.env, args.new_name, current.revision)
        print(f"renamed {args.env} to {renamed.environment.name}")
        return EXIT_OK

    return with_client(work)


def cmd_node_remove(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        mac = await resolve_node(client, args.node)
        record = await client.node(mac)
        env = record.node.environment
        if env is None:
            return fail(f"{record.node.name} is in no environment", EXIT_REFUSED)
        after = (await client.update_node(mac, record.revision, environment=None, roles=[])).node
        if after.pending_deletion:
            print(f"{after.name}: pending deletion from {env}; `fueltui deploy {env}` removes it")
        else:
            print(f"{after.name}: no longer in {env}")
        return EXIT_OK

    return with_client(work)


def cmd_node_show(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        details = await client.node_details(await resolve_node(client, args.node))
        if args.json:
            print_json(details)
        else:
            sys.stdout.write("\n".join(details.lines()) + "\n")
        return EXIT_OK

    return with_client(work)
