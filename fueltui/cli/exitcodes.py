"""The one table of exit codes every `fueltui` command uses (shown in `--help` and the README).

A script can rely on a number meaning the same thing whatever the command: 2 is always
"refused, nothing changed", never "the deploy failed" in one command and "unreadable" in another.
"""

from __future__ import annotations

EXIT_OK = 0  # done
EXIT_FAILED = 1  # it ran and failed: a deploy failed, verification found problems, an error
EXIT_REFUSED = 2  # refused, nothing changed: bad input or usage, findings, an unreadable file
EXIT_NO_MASTER = 3  # no master runs or answers (and none could be started)
EXIT_STOPPED = 4  # a deploy stopped or was interrupted before it finished; `fueltui retry` resumes it
EXIT_INTERRUPTED = 130  # Ctrl+C

TABLE: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "done"),
    (EXIT_FAILED, "it ran and failed (a deploy failed, verification found problems, an error)"),
    (EXIT_REFUSED, "refused, nothing changed (bad input or usage, findings, an unreadable file)"),
    (EXIT_NO_MASTER, "no master runs or answers"),
    (EXIT_STOPPED, "a deploy stopped before it finished (fueltui retry resumes it)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl+C)"),
)


def help_text() -> str:
    return "exit codes (every command):\n" + "\n".join(f"  {code:>3}  {text}" for code, text in TABLE)


def markdown_table() -> str:
    rows = "\n".join(f"| {code} | {text} |" for code, text in TABLE)
    return f"| exit | meaning |\n| --- | --- |\n{rows}"
