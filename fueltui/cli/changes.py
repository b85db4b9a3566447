"""`fueltui changes ENV`: what `fueltui deploy ENV` would do (Fuel's Deploy Changes list)."""

from __future__ import annotations

import argparse

from fueltui.cli.common import EXIT_OK, print_json, with_client
from fueltui.client.api import MasterClient
from fueltui.core.terminaltext import safe_line


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "changes",
        help="list an environment's pending changes (what `fueltui deploy ENV` deploys)",
        description="The nodes to add, remove and redeploy, and whether settings or networks changed "
        "since the last deploy. `fueltui deploy ENV` deploys exactly these.",
    )
    parser.add_argument("env", help="the environment's name")
    parser.add_argument("--json", action="store_true", help="the list as JSON")
    parser.set_defaults(func=cmd_changes)


def cmd_changes(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        plan = await client.changes(args.env)
        if args.json:
            print_json({**plan.model_dump(mode="json"), "count": plan.count})
            return EXIT_OK
        name = safe_line(plan.environment)
        if plan.empty:
            print(f"{name}: nothing to deploy")
            return EXIT_OK
        print(f"{name}: {plan.count} pending change{'s' if plan.count != 1 else ''} (fueltui deploy {name})")
        for line in plan.lines():
            print(f"  {safe_line(line)}")
        return EXIT_OK

    return with_client(work)
