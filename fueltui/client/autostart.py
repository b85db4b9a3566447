"""Start a master in the background when a command needs one and none runs.

The master is detached: its own process session (a closed terminal does not kill it), its
output in `<state>/master.log`; it writes and locks `<state>/master.pid` itself. The caller
then waits for the socket to answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from fueltui import statedir


def start_detached(base: Path, extra_args: Sequence[str] = ()) -> int:
    """Spawn `fueltui master run` for `base`; returns the child's pid."""
    statedir.ensure_state_dir(base)
    log_path = statedir.logfile_path(base)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        env = {**os.environ, "FUELTUI_STATE_DIR": str(base)}
        process = subprocess.Popen(
            [sys.executable, "-m", "fueltui", "--state-dir", str(base), "master", "run", *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=env,
            cwd="/",
        )
    finally:
        os.close(log_fd)
    return process.pid


def log_tail(base: Path, lines: int = 15) -> str:
    """The end of the master's log, to explain a master that did not come up."""
    try:
        text = statedir.logfile_path(base).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
