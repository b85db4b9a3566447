"""`fueltui notifications`: what the master noticed while nobody watched (Fuel's bell)."""

from __future__ import annotations

import argparse

from fueltui.cli.common import EXIT_OK, print_json, table, with_client
from fueltui.client.api import MasterClient
from fueltui.core.terminaltext import safe_line


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "notifications",
        help="list the master's notifications (unread ones; --all for the latest, read or not)",
        description="Nodes discovered or gone offline, deploys, verifications and health checks "
        "finished. Unread ones by default; --read marks the ones listed as read.",
    )
    parser.add_argument("--all", action="store_true", help="read ones too (the latest 200)")
    parser.add_argument("--read", action="store_true", help="mark the listed notifications read")
    parser.add_argument("--json", action="store_true", help="the list as JSON")
    parser.set_defaults(func=cmd_notifications)


def cmd_notifications(args: argparse.Namespace) -> int:
    async def work(client: MasterClient) -> int:
        listing = await client.notifications(include_read=args.all)
        unread = [n.id for n in listing.notifications if not n.read]
        if args.read and unread:
            marked = await client.mark_notifications_read(unread)
            listing = listing.model_copy(update={"unread": marked.unread})
        if args.json:
            print_json(listing)
            return EXIT_OK
        if not listing.notifications:
            print("no notifications" if args.all else "no unread notifications")
            return EXIT_OK
        rows = [
            (
                n.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                n.level,
                " " if n.read else "*",
                safe_line(n.message),
            )
            for n in listing.notifications
        ]
        table(("TIME", "LEVEL", "NEW", "MESSAGE"), rows)
        marked_note = f"; {len(unread)} marked read" if args.read and unread else ""
        print(f"{listing.unread} unread{marked_note}")
        return EXIT_OK

    return with_client(work)
