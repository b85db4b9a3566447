"""Where a deploy task's command runs: a node over SSH, or the master itself.

The orchestrator only knows the small `NodeRunner` protocol, so its scheduling, retries,
timeouts and stop/resume rules are tested with `LocalRunner` (real local processes) and
used in production with `FanoutRunner` (the shared SSH fan-out).

Contract of `run`: stream every output line to `on_line(stream, line)` in order, return the
exit status; on timeout kill the process and raise `TimeoutError`; on cancellation kill the
process and re-raise; when the node cannot be reached raise `NodeLost`.

A master killed mid-command (kill -9, a crash) cannot kill what it started on a node, and
the next deployment would overlap with it. So every deploy command records its process
group on the node (`RUN_DIR/<pgid>`, with the leader's start time against pid reuse; /run
is empty after a reboot) and removes the record when it ends; `end_leftovers`, run
before a node's first task, ends every recorded group still alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shlex
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from fueltui.statedir import write_atomic

LineCallback = Callable[[str, str], None]

RUN_DIR = "/run/fueltui/deploy"
# Field 22 of /proc/PID/stat: the process's start time (the leader's comm has no spaces:
# it is the login shell).
_START = "cut -d' ' -f22 /proc/$$/stat"
# A node where the record cannot be written still deploys (without this protection).
_RECORD = f"{{ mkdir -p {RUN_DIR} && {_START} > {RUN_DIR}/$$; }} 2>/dev/null; "
_FORGET = f"rc=$?; rm -f {RUN_DIR}/$$; exit $rc"
# Ends what an earlier deployment's commands left running (their master died). A group is
# ended only when its recorded leader is gone or is still the same process (start time).
END_LEFTOVERS = f"""
for f in {RUN_DIR}/*; do
  [ -f "$f" ] || continue
  g=${{f##*/}}
  case $g in ''|*[!0-9]*) continue ;; esac
  [ "$g" = "$$" ] && continue
  if [ -e "/proc/$g" ] && [ "$(cut -d' ' -f22 "/proc/$g/stat" 2>/dev/null)" != "$(cat "$f")" ]; then
    rm -f "$f"; continue  # that pid is another process now
  fi
  if kill -s 0 -- "-$g" 2>/dev/null; then
    kill -s KILL -- "-$g" && echo "ended process group $g, left running by an earlier deployment"
  fi
  rm -f "$f"
done
exit 0
"""


class NodeLost(Exception):
    """The node stopped answering (connection refused, lost, authentication failed)."""


class NodeRunner(Protocol):
    async def run(self, command: str, on_line: LineCallback, timeout: float | None) -> int: ...

    async def put_file(self, path: str, data: bytes, mode: int) -> None: ...

    async def end_leftovers(self, on_line: LineCallback) -> None:
        """End what an earlier deployment's commands left running there (see above)."""
        ...

    async def file_state(self, path: str, timeout: float) -> tuple[str, int] | None:
        """(sha256 hex digest, permission bits) of the file at `path`, None when absent."""
        ...


def _unreachable() -> tuple[type[Exception], ...]:
    """What the SSH layer raises when a node cannot be worked on (a changed host key too:
    the node is refused, loudly, and the deployment says so for that node)."""
    from fueltui.ssh.fanout import FanoutError
    from fueltui.ssh.hostkeys import HostKeyChanged

    return (FanoutError, HostKeyChanged)


class FanoutRunner:
    """One node reached through `fueltui.ssh.fanout.Fanout`."""

    def __init__(self, fanout: object, host: str) -> None:
        self.fanout = fanout
        self.host = host

    async def run(self, command: str, on_line: LineCallback, timeout: float | None) -> int:
        # The command runs in a subshell: it may `exit`, the record is removed all the same.
        return await self._run(f"{_RECORD}( {command}\n); {_FORGET}", on_line, timeout)

    async def end_leftovers(self, on_line: LineCallback) -> None:
        await self._run(END_LEFTOVERS, on_line, 30)

    async def _run(self, command: str, on_line: LineCallback, timeout: float | None) -> int:
        try:
            result = await self.fanout.run(self.host, command, on_line, timeout)  # type: ignore[attr-defined]
        except TimeoutError:
            raise
        except _unreachable() as exc:
            raise NodeLost(str(exc)) from exc
        if result.exit_status is None:
            return 128 + 9 if result.signal else 255
        return int(result.exit_status)

    async def put_file(self, path: str, data: bytes, mode: int) -> None:
        try:
            await self.fanout.put_file(self.host, path, data, mode)  # type: ignore[attr-defined]
        except TimeoutError:
            raise
        except _unreachable() as exc:
            raise NodeLost(str(exc)) from exc

    async def file_state(self, path: str, timeout: float) -> tuple[str, int] | None:
        lines: list[str] = []
        q = shlex.quote(path)
        command = f"sha256sum < {q} && stat -c %a {q}"
        status = await self.run(command, lambda _stream, line: lines.append(line), timeout)
        return _parse_state(lines) if status == 0 else None


def _parse_state(lines: list[str]) -> tuple[str, int] | None:
    try:
        return lines[0].split()[0], int(lines[1].strip(), 8)
    except (IndexError, ValueError):
        return None


class LocalRunner:
    """Runs commands as local processes: `master_shell` tasks, and tests of the engine.

    `root` (tests) makes `put_file` write under a directory instead of `/`."""

    def __init__(
        self, env: Mapping[str, str] | None = None, root: Path | None = None, cwd: Path | None = None
    ) -> None:
        self.env = dict(env or {})
        self.root = root
        self.cwd = cwd

    async def run(self, command: str, on_line: LineCallback, timeout: float | None) -> int:
        proc = await asyncio.create_subprocess_exec(
            "sh",
            "-c",
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **self.env},
            cwd=self.cwd,
            start_new_session=True,  # its own process group: killed whole on timeout or cancel
            limit=1 << 20,
        )

        async def pump(reader: asyncio.StreamReader | None, name: str) -> None:
            assert reader is not None
            while raw := await reader.readline():
                on_line(name, raw.decode("utf-8", "replace").rstrip("\n"))

        async def interact() -> int:
            await asyncio.gather(pump(proc.stdout, "stdout"), pump(proc.stderr, "stderr"))
            return await proc.wait()

        try:
            return await asyncio.wait_for(interact(), timeout)
        except (TimeoutError, asyncio.CancelledError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await asyncio.shield(proc.wait())
            raise

    async def end_leftovers(self, on_line: LineCallback) -> None:
        return None  # its processes die with their session, killed with the task

    def _target(self, path: str) -> Path:
        return Path(path) if self.root is None else self.root / path.lstrip("/")

    async def file_state(self, path: str, timeout: float) -> tuple[str, int] | None:
        target = self._target(path)
        try:
            data = target.read_bytes()
            mode = target.stat().st_mode & 0o7777
        except OSError:
            return None
        return hashlib.sha256(data).hexdigest(), mode

    async def put_file(self, path: str, data: bytes, mode: int) -> None:
        target = self._target(path)
        write_atomic(target, data, mode)
