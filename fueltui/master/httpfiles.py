"""The master's read-only file server on the admin network: the package mirror and boot files.

Like Fuel's repository port it is unauthenticated and holds nothing secret (the mirror is
signed; its key reaches nodes over SSH). It listens only on the master's admin address, so
it is never on the host's other networks, and serves only GET/HEAD of files below its roots.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from fueltui.core.payload.data import HTTP_PORT
from fueltui.mirror.paths import mirror_root

log = logging.getLogger(__name__)


class _QuietServer(uvicorn.Server):
    """A second server in the master's loop: the API server owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def file_app(roots: dict[str, Path]) -> Starlette:
    mounts = [Mount(f"/{name}", StaticFiles(directory=path, check_dir=False)) for name, path in roots.items()]
    return Starlette(routes=mounts)


class FileServer:
    def __init__(self, host: str, state_dir: Path, port: int = HTTP_PORT) -> None:
        self.host, self.port = host, port
        roots = {"mirror": mirror_root(), "boot": state_dir / "boot"}
        config = uvicorn.Config(
            file_app(roots), host=host, port=port, log_level="warning", lifespan="off", access_log=False,
            timeout_keep_alive=5, limit_concurrency=256,
        )  # fmt: skip
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(100):
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.05)  # until the socket is bound (or binding failed)
        if self._task.done():
            log.warning("file server on %s:%s did not start", self.host, self.port)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)


async def start_file_server(state_dir: Path, admin_ip: str | None) -> FileServer | None:
    """Serve on the master's admin address; without boot options there is none yet."""
    if not admin_ip:
        return None
    server = FileServer(admin_ip, state_dir)
    await server.start()
    return server
