"""Run the master: uvicorn on the state directory's unix socket (0600), optionally on TCP.

One master per state directory: the pidfile is locked (flock) for the master's lifetime,
so a second one refuses to start and a killed one leaves no stale lock behind. The TCP
listener needs a bearer token, generated once and stored 0600 in `<state>/token`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import resource
import secrets
import socket
import threading
from pathlib import Path

import uvicorn

from fueltui import statedir
from fueltui.master.app import Master, create_app
from fueltui.master.limits import KEEP_ALIVE, GuardedH11Protocol, Limits, accept_tcp, guarded_protocol

log = logging.getLogger(__name__)


class AlreadyRunning(RuntimeError):
    pass


FD_LIMIT = 65536  # descriptors the master asks for: one SSH connection a node, plus log files


def raise_fd_limit(wanted: int = FD_LIMIT) -> int:
    """Raise this process's soft limit on open files towards its hard limit; the new soft limit.

    The master holds one SSH connection per node and an open log file per node being
    deployed: the usual soft limit of 1 024 is reached by a rack of a few hundred nodes
    (EMFILE on the next connection), while the hard limit is far higher."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"--listen wants HOST:PORT (e.g. 127.0.0.1:8700), not {text!r}")
    number = int(port)
    if not 0 <= number <= 65535:
        raise ValueError(f"port {number} is out of range")
    return host.strip("[]"), number


def ensure_token(base: Path) -> str:
    path = statedir.token_path(base)
    if path.exists():
        token = path.read_text().strip()
        if token:
            os.chmod(path, 0o600)
            return token
    token = secrets.token_urlsafe(32)
    statedir.write_private(path, token + "\n")
    return token


def _unix_socket(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # stale: the pidfile lock proved no master owns it
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # never world-connectable, not even for an instant
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    sock.listen(128)
    return sock


class _Uvicorn(uvicorn.Server):
    """uvicorn serving the unix socket itself, and TCP through `accept_tcp` (bounded)."""

    def __init__(self, config: uvicorn.Config, master: Master, tcp: list[socket.socket]) -> None:
        super().__init__(config)
        self.master = master
        self.tcp = tcp
        self._acceptors: list[asyncio.Task[None]] = []

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.should_exit:
            return
        config = self.config
        protocol = config.http_protocol_class
        assert issubclass(protocol, GuardedH11Protocol)

        def create_protocol() -> asyncio.Protocol:
            return protocol(config=config, server_state=self.server_state, app_state=self.lifespan.state)

        for listener in self.tcp:
            self._acceptors.append(asyncio.create_task(accept_tcp(listener, create_protocol, protocol)))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for acceptor in self._acceptors:
            acceptor.cancel()
        await asyncio.gather(*self._acceptors, return_exceptions=True)
        self.master.events.close()  # end live streams so connections can close
        await super().shutdown(sockets)


class MasterServer:
    def __init__(
        self,
        base: Path | None = None,
        listen: str | None = None,
        *,
        discovery: bool = True,
        log_level: str = "warning",
    ) -> None:
        self.base = statedir.ensure_state_dir(base)
        self.listen = listen
        self.discovery = discovery
        self.log_level = log_level
        self.token: str | None = None
        self.tcp_address: tuple[str, int] | None = None
        self._lock_fd: int | None = None
        self._sockets: list[socket.socket] = []  # the unix socket, served by uvicorn itself
        self._tcp: list[socket.socket] = []
        self.server: _Uvicorn | None = None

    # ------------------------------------------------------------------ set-up

    def _lock(self) -> None:
        path = statedir.pidfile_path(self.base)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.read(fd, 32).decode().strip() or "?"
            os.close(fd)
            raise AlreadyRunning(f"a master already runs for {self.base} (pid {other})") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._lock_fd = fd

    def prepare(self) -> None:
        raise_fd_limit()
        self._lock()
        try:
            self._sockets.append(_unix_socket(statedir.socket_path(self.base)))
            listen_label = None
            if self.listen:
                host, port = parse_listen(self.listen)
                self.token = ensure_token(self.base)
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                tcp = socket.create_server((host, port), family=family, backlog=128)
                address = tcp.getsockname()
                self.tcp_address = (str(address[0]), int(address[1]))
                listen_label = f"{host}:{self.tcp_address[1]}"
                statedir.write_private(self.base / statedir.LISTEN_NAME, listen_label + "\n")
                self._tcp.append(tcp)
            app = create_app(self.base, token=self.token, listen=listen_label, discovery=self.discovery)
            config = uvicorn.Config(
                app,
                log_level=self.log_level,
                access_log=False,
                http=guarded_protocol(Limits.from_env()),
                timeout_keep_alive=KEEP_ALIVE,
                timeout_graceful_shutdown=3,
                lifespan="on",
            )
            self.server = _Uvicorn(config, app.state.master, self._tcp)
        except BaseException:
            self.cleanup()
            raise

    # ------------------------------------------------------------------ running

    async def serve(self) -> None:
        if self.server is None:
            self.prepare()
        assert self.server is not None
        try:
            await self.server.serve(sockets=self._sockets)
        finally:
            self.cleanup()

    def run(self) -> int:
        """In the foreground until SIGINT/SIGTERM."""
        self.prepare()
        asyncio.run(self.serve())
        return 0

    @property
    def started(self) -> bool:
        return self.server is not None and self.server.started

    def request_stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True

    def cleanup(self) -> None:
        for sock in [*self._sockets, *self._tcp]:
            sock.close()
        self._sockets.clear()
        self._tcp.clear()
        with contextlib.suppress(FileNotFoundError):
            statedir.socket_path(self.base).unlink()
        with contextlib.suppress(FileNotFoundError):
            (self.base / statedir.LISTEN_NAME).unlink()
        if self._lock_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                statedir.pidfile_path(self.base).unlink()
            os.close(self._lock_fd)
            self._lock_fd = None


class ThreadedMaster:
    """A master on its own thread and event loop (tests, embedding)."""

    def __init__(self, server: MasterServer) -> None:
        self.server = server
        self._thread = threading.Thread(target=self._main, name="fueltui-master", daemon=True)
        self.error: BaseException | None = None

    def _main(self) -> None:
        try:
            asyncio.run(self.server.serve())
        except BaseException as exc:  # reported to the starter
            self.error = exc

    def start(self, timeout: float = 10.0) -> None:
        self.server.prepare()
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self.server.started:
            if self.error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the master did not start: {self.error!r}")
            if waited > timeout:
                raise TimeoutError("the master did not start in time")
            deadline.wait(0.02)
            waited += 0.02

    def stop(self, timeout: float = 10.0) -> None:
        self.server.request_stop()
        self._thread.join(timeout)
