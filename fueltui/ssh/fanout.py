"""The one way anything runs on nodes: commands over SSH to many hosts at once.

One connection per node is opened on first use and reused; a semaphore bounds how many
nodes are worked at once (and so how many handshakes hit sshd's MaxStartups). Every
command's stdout and stderr are streamed line by line to a callback. A cancelled or
timed-out command is killed on the node: the remote shell reports its process group
first, and the whole group is killed over a second channel of the same connection.

A timeout is a bound on the caller's wait, whatever the node does: opening the session
counts against it, and the kill (its own channel included) gets at most `KILL_TIMEOUT`
more. A node that does not answer the kill has its connection dropped, and the error says
the command may still be running there rather than claiming it was killed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import shlex
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from fueltui.ssh.asyncssh_import import asyncssh
from fueltui.ssh.batchedwrites import BatchedTcp
from fueltui.ssh.hostkeys import HostKeyChanged, HostKeyStore
from fueltui.ssh.keys import ensure_master_key
from fueltui.ssh.results import KILL_TIMEOUT, CommandTimeout, FanoutError, NodeUnreachable, RunResult

LineCallback = Callable[[str, str], None]
# A command's stdin: all of it at once, or a stream of chunks written as they come (a
# long-running agent told what to do next without a new session); EOF when it ends.
Stdin = str | AsyncIterable[str]
__all__ = [
    "KILL_TIMEOUT",
    "CommandTimeout",
    "Fanout",
    "FanoutError",
    "LineCallback",
    "NodeUnreachable",
    "RunResult",
    "Stdin",
    "remote_command",
    "shared_fanout",
]

# First line the remote shell writes to stderr: its pid, which is also its process group
# (sshd makes the session's shell a session leader). Never shown to callers.
_PID_MARK = "\x1efueltui-pgid "
_PID_PREFIX = "printf '\\036fueltui-pgid %s\\n' $$ >&2; "
# TCP whose SSH packets of one loop turn leave in one send() (see fueltui.ssh.batchedwrites).
_BATCHED_TCP = BatchedTcp()


@dataclass
class _Stream:
    name: str
    lines: list[str] = field(default_factory=list)


def remote_command(argv: Sequence[str] | str) -> str:
    """The command line sent to the node: a list is quoted word by word, a string is a
    shell snippet taken as it is (callers quote what they interpolate)."""
    if isinstance(argv, str):
        return argv
    if not argv:
        raise ValueError("empty command")
    return "exec " + shlex.join(argv)


_ERRNO_TEXT = {
    errno.EHOSTUNREACH: "no host answers at this address",
    errno.ECONNREFUSED: "connection refused (no SSH server listening)",
    errno.ENETUNREACH: "network unreachable from the master",
    errno.ETIMEDOUT: "connection timed out",
}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    if isinstance(exc, asyncssh.PermissionDenied):
        return "the node refused the master's SSH key (is it in the bootstrap image's authorized_keys?)"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_TEXT:
        return _ERRNO_TEXT[exc.errno]
    return str(exc) or type(exc).__name__


class _PinningClient(asyncssh.SSHClient):
    def __init__(self, fanout: Fanout, host: str) -> None:
        self._fanout = fanout
        self._host = host

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        return self._fanout.host_keys.check(self._host, key)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fanout._forget(self._host)


def _no_known_hosts(host: str, addr: str, port: int) -> tuple[list[object], list[object], list[object]]:
    # An empty (but present) list routes every key through validate_host_public_key.
    return [], [], []


class Fanout:
    def __init__(
        self,
        key_path: Path,
        host_keys: HostKeyStore,
        *,
        username: str = "root",
        port: int = 22,
        max_concurrency: int = 64,
        max_sessions_per_host: int = 8,
        connect_timeout: float = 10.0,
        keepalive_interval: float = 15.0,
        keepalive_count_max: int = 3,
    ) -> None:
        self.host_keys = host_keys
        self.port = port
        self._sem = asyncio.Semaphore(max_concurrency)
        self._max_sessions = max_sessions_per_host
        self._conns: dict[str, asyncssh.SSHClientConnection] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._sessions: dict[str, asyncio.Semaphore] = {}
        self._untrusted: set[str] = set()
        self._options = asyncssh.SSHClientConnectionOptions(
            username=username,
            client_keys=[asyncssh.read_private_key(str(key_path))],
            known_hosts=_no_known_hosts,
            agent_path=None,
            connect_timeout=connect_timeout,
            login_timeout=connect_timeout,
            keepalive_interval=keepalive_interval,
            keepalive_count_max=keepalive_count_max,
            server_host_key_algs=["ssh-ed25519"],
            # Cheap, modern algorithms first (AES-GCM runs in OpenSSL); no GSSAPI probing.
            kex_algs=["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256"],
            encryption_algs=[
                "aes128-gcm@openssh.com",
                "aes256-gcm@openssh.com",
                "chacha20-poly1305@openssh.com",
            ],
            compression_algs=["none"],
            gss_host=None,
        )

    @classmethod
    def from_state_dir(cls, state_dir: Path, **kwargs: float | int | str) -> Fanout:
        key = ensure_master_key(state_dir)
        return cls(key, HostKeyStore(state_dir / "ssh" / "known_hosts.json"), **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ trust

    @property
    def untrusted(self) -> set[str]:
        return set(self._untrusted)

    def is_untrusted(self, host: str) -> bool:
        return host in self._untrusted

    def accept_host_key(self, host: str) -> bool:
        """Pin the new key a refused node offered; it may be worked on again."""
        accepted = self.host_keys.accept(host)
        if accepted:
            self._untrusted.discard(host)
        return accepted

    def server_host_key(self, host: str) -> str | None:
        """The host key ("ssh-ed25519 AAAA...") of the open connection to `host`, if any."""
        conn = self._conns.get(host)
        key = conn.get_server_host_key() if conn is not None else None
        if key is None:
            return None
        data: bytes = key.export_public_key("openssh")
        return " ".join(data.decode().split()[:2])

    async def distrust(self, host: str, pinned: str, offered: str) -> HostKeyChanged:
        """Refuse `host` from now on: it showed `offered` where the node's pinned key is
        `pinned` (e.g. the same node, by MAC, back at another address with another key)."""
        pending = self.host_keys.refuse(host, pinned, offered)
        # The address itself now expects the node's key, so any other Fanout on the same
        # pin file (a deploy task's, say) refuses it too.
        self.host_keys.pin(host, pinned)
        self._untrusted.add(host)
        await self.disconnect(host)
        return HostKeyChanged(host, pending.pinned, pending.offered)

    # ------------------------------------------------------------------ connections

    def _forget(self, host: str) -> None:
        self._conns.pop(host, None)

    async def _connection(self, host: str) -> asyncssh.SSHClientConnection:
        conn = self._conns.get(host)
        if conn is not None and not conn.is_closed():
            return conn
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            conn = self._conns.get(host)
            if conn is not None and not conn.is_closed():
                return conn
            if host in self._untrusted:
                self._raise_changed(host)
            try:
                conn = await asyncssh.connect(
                    host,
                    self.port,
                    tunnel=_BATCHED_TCP,
                    config=[],
                    options=self._options,
                    client_factory=lambda: _PinningClient(self, host),
                )
            except asyncssh.HostKeyNotVerifiable:
                self._untrusted.add(host)
                self._raise_changed(host)
            except (TimeoutError, OSError, asyncssh.Error) as exc:
                raise NodeUnreachable(host, _describe(exc)) from exc
            try:
                # The pin is on disk before any use; a known node's key pinned nothing new, and
                # skips the thread (a cold round of 200 nodes made 200 hops for nothing).
                if self.host_keys.unsaved:
                    await asyncio.to_thread(self.host_keys.flush)
            except BaseException:
                conn.close()
                raise
            self._conns[host] = conn
            return conn

    def _raise_changed(self, host: str) -> NoReturn:
        pending = self.host_keys.pending().get(host)
        if pending is None:
            raise HostKeyChanged(host, "pinned key", "a different key")
        raise HostKeyChanged(host, pending.pinned, pending.offered)

    async def disconnect(self, host: str) -> None:
        conn = self._conns.pop(host, None)
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    async def close(self) -> None:
        for host in list(self._conns):
            await self.disconnect(host)

    async def __aenter__(self) -> Fanout:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ commands

    async def run(
        self,
        host: str,
        argv: Sequence[str] | str,
        on_line: LineCallback | None = None,
        timeout: float | None = None,
        input: Stdin | None = None,
    ) -> RunResult:
        """Run a command on `host`, streaming its output; kill it on cancel or timeout."""
        command = _PID_PREFIX + remote_command(argv)
        # `max_concurrency` bounds the handshakes in flight (the costly, bursty part), not the
        # commands: verification's listeners run on every node at once until all are ready,
        # and with the limit around the whole run a 200-node verify started only 64 of them.
        async with self._sem:
            conn = await self._connection(host)
        sessions = self._sessions.setdefault(host, asyncio.Semaphore(self._max_sessions))
        async with sessions:
            return await self._run_on(conn, host, command, on_line, timeout, input)

    async def _run_on(
        self,
        conn: asyncssh.SSHClientConnection,
        host: str,
        command: str,
        on_line: LineCallback | None,
        timeout: float | None,
        input: Stdin | None,
    ) -> RunResult:
        out, err = _Stream("stdout"), _Stream("stderr")
        pgid: list[int] = []
        procs: list[asyncssh.SSHClientProcess[str]] = []

        async def pump(reader: asyncssh.SSHReader[str], stream: _Stream) -> None:
            if on_line is None and stream is out:
                # Nobody follows it line by line: one read to EOF, not an await per line (a
                # facts round read ~70 lines a node, each through asyncssh's reader lock).
                stream.lines = (await reader.read()).split("\n")
                if stream.lines[-1] == "":
                    stream.lines.pop()
                return
            async for raw in reader:
                if not raw:  # asyncssh's iterator ends with an empty read at EOF
                    continue
                line = raw.rstrip("\n")
                if stream is err and not pgid and line.startswith(_PID_MARK):
                    with contextlib.suppress(ValueError):
                        pgid.append(int(line[len(_PID_MARK) :]))
                    continue
                stream.lines.append(line)
                if on_line is not None:
                    on_line(stream.name, line)

        async def interact() -> asyncssh.SSHCompletedProcess:
            # Opening the session is part of the command: a node that stopped answering
            # must not hold the caller past its timeout here either.
            try:
                proc = await conn.create_process(command, encoding="utf-8", errors="replace")
            except (OSError, asyncssh.Error) as exc:
                self._forget(host)
                raise NodeUnreachable(host, f"cannot open a session: {exc}") from exc
            procs.append(proc)
            feeder = None
            if input is None or isinstance(input, str):
                if input:
                    proc.stdin.write(input)
                proc.stdin.write_eof()
            else:
                feeder = asyncio.create_task(feed(proc, input))
            try:
                await asyncio.gather(pump(proc.stdout, out), pump(proc.stderr, err))
                return await proc.wait()
            finally:
                if feeder is not None:
                    feeder.cancel()  # the command ended: what it was not sent is moot

        async def feed(proc: asyncssh.SSHClientProcess[str], chunks: AsyncIterable[str]) -> None:
            # A command that ended (or a lost channel) leaves the rest unsent: its output says why.
            with contextlib.suppress(OSError, asyncssh.Error):
                async for chunk in chunks:
                    proc.stdin.write(chunk)
                proc.stdin.write_eof()

        def result(done: asyncssh.SSHCompletedProcess | None) -> RunResult:
            return RunResult(
                exit_status=None if done is None else done.exit_status,
                stdout="".join(line + "\n" for line in out.lines),
                stderr="".join(line + "\n" for line in err.lines),
                signal=None if done is None or done.exit_signal is None else done.exit_signal[0],
            )

        try:
            completed = await asyncio.wait_for(interact(), timeout)
        except TimeoutError:
            outcome = await self._kill(conn, host, procs, pgid)
            raise CommandTimeout(host, timeout or 0.0, result(None), outcome) from None
        except asyncio.CancelledError:
            await asyncio.shield(self._kill(conn, host, procs, pgid))
            raise
        except (OSError, asyncssh.Error) as exc:
            self._forget(host)
            raise NodeUnreachable(host, f"session lost: {exc}") from exc
        return result(completed)

    async def _kill(
        self,
        conn: asyncssh.SSHClientConnection,
        host: str,
        procs: list[asyncssh.SSHClientProcess[str]],
        pgid: list[int],
    ) -> str:
        """End the command on the node within KILL_TIMEOUT; see `CommandTimeout.outcome`.

        The kill's own channel is opened inside that bound: on a node that stopped answering
        opening it would wait for the keepalive to give up (a minute, not seconds)."""
        if not procs:
            outcome = "not-started"
        else:
            outcome = "unconfirmed"

            async def kill() -> bool:
                if pgid:
                    killer = await conn.create_process(f"kill -s KILL -- -{pgid[0]}")
                    return (await killer.wait()).exit_status == 0
                procs[0].kill()  # the shell has not said its process group yet: signal the session
                await procs[0].wait_closed()
                return True

            with contextlib.suppress(TimeoutError, OSError, asyncssh.Error):
                if await asyncio.wait_for(kill(), KILL_TIMEOUT):
                    outcome = "killed"
            procs[0].close()
        if outcome != "killed":
            # A node that cannot take a kill cannot be trusted with the next command on this
            # connection either: drop it, the next use opens a fresh one.
            conn.close()
            self._forget(host)
        return outcome

    async def put_file(self, host: str, path: str, data: bytes, mode: int = 0o644) -> None:
        """Write `data` to `path` on the node atomically (temp file + rename)."""
        script = (
            'set -e; umask 077; mkdir -p "$(dirname "$1")"; t="$1.fueltui-tmp.$$"; '
            'base64 -d > "$t"; chmod "$2" "$t"; mv -f "$t" "$1"'
        )
        argv = ["sh", "-c", script, "sh", path, f"{mode:o}"]
        payload = base64.encodebytes(data).decode()
        result = await self.run(host, argv, input=payload)
        if not result.ok:
            raise FanoutError(host, f"cannot write {path}: {result.stderr.strip() or result.exit_status}")


_shared: dict[str, tuple[asyncio.AbstractEventLoop, Fanout]] = {}


def shared_fanout(state_dir: Path) -> Fanout:
    """The master's one Fanout for `state_dir` (per event loop): discovery, deploy and verify
    share its connections and its list of untrusted nodes. Call from inside the loop."""
    loop = asyncio.get_running_loop()
    key = str(state_dir.resolve())
    entry = _shared.get(key)
    if entry is None or entry[0] is not loop or loop.is_closed():
        entry = (loop, Fanout.from_state_dir(state_dir))
        _shared[key] = entry
    return entry[1]
