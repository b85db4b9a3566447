"""`fueltui check FILE [--json]`: validate an answers file offline.

Exit 0 when there are no errors (warnings allowed); 2 (refused) when there are, or when the
file cannot be read or is not an answers file (the message names file, line and field; with --json the
one error has the code `file-invalid`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fueltui.cli.exitcodes import EXIT_OK, EXIT_REFUSED
from fueltui.core.answers import AnswersError, SourceMap, load_answers_data
from fueltui.core.model import Finding, Severity
from fueltui.core.rules import check_answers

EXIT_FINDINGS = EXIT_UNREADABLE = EXIT_REFUSED


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="validate an answers file offline",
        description="Validate an answers file offline. Exit 0: no errors; 2: errors, or an unreadable file.",
    )
    parser.add_argument("file", help="the answers file (YAML); '-' reads standard input")
    parser.add_argument("--json", action="store_true", help='print {"ok", "errors", "warnings"} as JSON')
    parser.set_defaults(func=run)


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    return Path(name).read_text(encoding="utf-8")


def _entry(finding: Finding) -> dict[str, str]:
    return {"code": finding.code, "path": finding.path, "message": finding.message}


def check_text(text: str, source: str) -> tuple[int, list[Finding], SourceMap | None, str | None]:
    """(exit code, findings, source map, unreadable message) for an answers file's text."""
    try:
        answers, smap = load_answers_data(text, source)
    except AnswersError as exc:
        return EXIT_UNREADABLE, [], None, str(exc)
    findings = check_answers(answers)
    failed = any(f.severity == Severity.error for f in findings)
    return (EXIT_FINDINGS if failed else EXIT_OK), findings, smap, None


def run(args: argparse.Namespace) -> int:
    name: str = args.file
    source = "<stdin>" if name == "-" else name
    try:
        text = _read(name)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return _unreadable(args, f"{source}: cannot read the file: {reason}")
    try:
        code, findings, smap, problem = check_text(text, source)
    except Exception as exc:  # a bug must not print a traceback at the operator; say what failed
        return _unreadable(args, f"{source}: internal error while checking ({type(exc).__name__}: {exc})")
    if problem is not None:
        return _unreadable(args, problem)
    errors = [f for f in findings if f.severity == Severity.error]
    warnings = [f for f in findings if f.severity != Severity.error]
    if args.json:
        print(
            json.dumps(
                {
                    "ok": not errors,
                    "errors": [_entry(f) for f in errors],
                    "warnings": [_entry(f) for f in warnings],
                },
                indent=2,
            )
        )
        return code
    lines = {id(f): smap.line_of_path(f.path) if smap is not None else None for f in findings}
    for finding in sorted(errors, key=lambda f: lines[id(f)] or 0) + sorted(
        warnings, key=lambda f: lines[id(f)] or 0
    ):
        line = lines[id(finding)]
        where = f"{source}:{line}" if line is not None else source
        print(f"{where}: {finding.severity.value}: {finding.code}: {finding.path}: {finding.message}")
    summary = f"{len(errors)} error(s), {len(warnings)} warning(s)"
    print(f"{source}: {'OK, ' if not errors else ''}{summary}", file=sys.stderr if errors else sys.stdout)
    return code


def _unreadable(args: argparse.Namespace, message: str) -> int:
    if args.json:
        error = {"code": "file-invalid", "path": "", "message": message}
        print(json.dumps({"ok": False, "errors": [error], "warnings": []}, indent=2))
    print(message, file=sys.stderr)
    return EXIT_UNREADABLE
