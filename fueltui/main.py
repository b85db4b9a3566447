"""The `fueltui` command: the TUI with no arguments, otherwise one of the subcommands.

Each subcommand lives in its own module that exposes `register(subparsers)`; the module
sets `func` on its parser to a callable taking the parsed arguments and returning the
exit code. This file only knows the table, so parts can grow without touching each other.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from fueltui import statedir
from fueltui.cli import exitcodes

# Modules that register subcommands, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "fueltui.cli.check",
    "fueltui.cli.resources",
    "fueltui.cli.deploy",
    "fueltui.cli.verify",
    "fueltui.cli.cloud",
    "fueltui.cli.changes",
    "fueltui.cli.notifications",
    "fueltui.cli.discovery",
    "fueltui.cli.reset",
    "fueltui.bootstrap.cli",
    "fueltui.master.cli",
    "fueltui.mirror.cli",
    "fueltui.lab.cli",
    "fueltui.cli.disks",
    "fueltui.cli.settings",
)


def _global_options(parser: argparse.ArgumentParser, default: Callable[[object], object]) -> None:
    """The options every command takes, before or after its name. Below the top level their
    default is SUPPRESS, so a subcommand that is not given one keeps the top level's value."""
    parser.add_argument(
        "--state-dir", default=default(None), help="the master's state directory (also FUELTUI_STATE_DIR)"
    )
    parser.add_argument(
        "--lab",
        action="store_true",
        default=default(False),
        help="talk to the master of the lab (`fueltui lab up`)",
    )
    parser.add_argument(
        "--root",
        default=default(None),
        help="TUI: write the master's network files under this root (`/`: this machine, after a warning)",
    )


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases share a parser
                found += [child, *_subparsers(child)]
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fueltui",
        description="Install OpenStack on bare metal from the keyboard. With no command, opens the TUI.",
        epilog=exitcodes.help_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(parser, lambda value: value)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a part not written yet
                continue
            raise
        module.register(sub)
    for child in _subparsers(parser):
        _global_options(child, lambda _value: argparse.SUPPRESS)
        child.epilog = child.epilog or exitcodes.help_text()
        child.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


def _apply_global_options(args: argparse.Namespace) -> None:
    if args.state_dir:
        os.environ["FUELTUI_STATE_DIR"] = os.path.abspath(args.state_dir)
    if args.lab:
        os.environ["FUELTUI_LAB"] = "1"


def _tui_args(argv: Sequence[str] | None) -> argparse.Namespace | None:
    """The arguments when they name no command (the TUI), else None. Building the full parser
    imports every command's module (SSH, the bootstrap builder…), which the TUI does not need
    before its first screen (bench/startup.py)."""
    quick = _QuietParser(prog="fueltui", add_help=False)
    _global_options(quick, lambda value: value)
    try:
        args, rest = quick.parse_known_args(argv)
    except ValueError:  # a malformed option: the full parser says what is wrong
        return None
    return None if rest else args


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ValueError(message)


def main(argv: Sequence[str] | None = None) -> int:
    quick = _tui_args(argv)
    if quick is not None:
        _apply_global_options(quick)
        tui = importlib.import_module("fueltui.tui.app")
        code: int = tui.run(quick)
        return code
    parser = build_parser()
    args = parser.parse_args(argv)
    _apply_global_options(args)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        tui = importlib.import_module("fueltui.tui.app")
        result: int = tui.run(args)
        return result
    try:
        return func(args)
    except statedir.SharedDirectory as exc:
        print(f"fueltui: {exc}", file=sys.stderr)
        return exitcodes.EXIT_REFUSED
    except KeyboardInterrupt:
        return exitcodes.EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
