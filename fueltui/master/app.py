"""The master's ASGI application: state, plug-ins, error bodies and the token guard.

`create_app(state_dir)` opens the state and returns a FastAPI app; `server.py` runs it on
uvicorn. Parts plug in at start-up: `fueltui.master.deploy`, `verify` and `pxe` register their
task kinds on this master's task manager (`register(tasks)`), `fueltui.master.discovery`
provides a `DiscoveryService` the master starts and stops (and whose kinds it registers).
"""

from __future__ import annotations

import asyncio
import hmac
import importlib
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic.warnings import UnsupportedFieldAttributeWarning
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from fueltui import __version__ as VERSION
from fueltui import statedir
from fueltui.api.schema import API_PREFIX, ErrorBody
from fueltui.core.model import Finding
from fueltui.master.errors import MasterError
from fueltui.master.events import EventBus
from fueltui.master.limits import BodyLimit
from fueltui.master.logfiles import LogFiles
from fueltui.master.store import Store
from fueltui.master.tasks import TaskManager
from fueltui.settings import settings

log = logging.getLogger(__name__)

TASK_PLUGINS = ("fueltui.master.deploy", "fueltui.master.verify", "fueltui.master.pxe")
DISCOVERY_PLUGIN = "fueltui.master.discovery"


class Master:
    """Everything a route may use, created once per app."""

    def __init__(self, state_dir: Path, listen: str | None = None) -> None:
        self.state_dir = statedir.ensure_state_dir(state_dir)
        self.events = EventBus()
        self.store = Store(statedir.db_path(self.state_dir), publish=self.events.publish)
        self.logs = LogFiles(statedir.logs_dir(self.state_dir))
        self.tasks = TaskManager(self.store, self.events, self.state_dir, self.logs)
        self.started = datetime.now(UTC)
        self.listen = listen
        self.discovery: Any = None


def _optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # that part is not written yet
            return None
        raise


def load_task_plugins(tasks: TaskManager) -> None:
    """Register the task kinds of the parts present, and of any module named in
    `FUELTUI_MASTER_PLUGINS` (comma-separated; each has a `register(tasks)`), on this master's
    task manager."""
    extra = list(settings().master_plugins)
    for name in (*TASK_PLUGINS, *extra):
        module = _optional_module(name)
        register = getattr(module, "register", None)
        if register is not None:
            register(tasks)


async def start_discovery(master: Master) -> None:
    module = _optional_module(DISCOVERY_PLUGIN)
    service_class = getattr(module, "DiscoveryService", None)
    if service_class is None:
        return
    master.discovery = service_class(store=master.store, events=master.events, state_dir=master.state_dir)
    master.discovery.register(master.tasks)
    await master.discovery.start()


async def start_files(master: Master) -> Any:
    """The mirror and boot files on the admin address (from the stored boot options)."""
    from fueltui.master.httpfiles import start_file_server

    options = master.store.boot_options().options
    return await start_file_server(master.state_dir, options.ip if options else None)


MAX_MESSAGE = 1024  # an error never echoes much of what it was sent


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_response(
    status: int, code: str, message: str, findings: list[Finding] | None = None
) -> JSONResponse:
    if findings:
        findings = [
            f.model_copy(update={"message": bounded(f.message, 512), "path": bounded(f.path, 256)})
            for f in findings
        ]
    body = ErrorBody(code=code, message=bounded(message), findings=findings)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid value')}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


class TokenGuard:
    """Requests arriving over TCP must carry `Authorization: Bearer <token>`; the unix socket
    is guarded by its file mode (0600) instead. uvicorn reports a unix socket's server
    address as (path, None); anything else — TCP or unknown — needs the token."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        unix = isinstance(server, tuple | list) and len(server) == 2 and server[1] is None
        if scope["type"] in ("http", "websocket") and not unix:
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization", b"").decode("latin-1")
            expected = f"Bearer {self.token}" if self.token else None
            if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
                response = error_response(401, "unauthorized", "this request needs the master's bearer token")
                response.headers["WWW-Authenticate"] = "Bearer"
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    state_dir: Path, *, token: str | None = None, listen: str | None = None, discovery: bool = True
) -> FastAPI:
    master = Master(state_dir, listen)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        master.events.bind(asyncio.get_running_loop())
        interrupted = master.tasks.activate()
        for task in interrupted:
            log.warning("task %s (%s) was interrupted by a master restart", task.id, task.kind)
        load_task_plugins(master.tasks)
        from fueltui.master.notifications import Notifier

        notifier = Notifier(master.store, master.events)  # before discovery: it hears every node
        notifier.start()
        if discovery and not settings().no_discovery:
            await start_discovery(master)
        files = await start_files(master) if discovery else None
        try:
            yield
        finally:
            notifier.stop()
            if files is not None:
                await files.stop()
            if master.discovery is not None:
                await master.discovery.stop()
            await master.tasks.shutdown()
            master.events.close()
            master.store.close()
            master.logs.close()

    app = FastAPI(
        title="fueltui master",
        version=VERSION,
        description="The fueltui master: environments, nodes, tasks, logs and live events.",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.master = master

    @app.exception_handler(MasterError)
    async def _master_error(_request: Request, exc: MasterError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.findings)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid-request", _describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return error_response(500, "internal", f"internal error: {type(exc).__name__}")

    from fueltui.master.routes import (
        actions,
        changes,
        cloud,
        disks,
        envactions,
        environments,
        host,
        nodedetails,
        nodes,
        notifications,
        predeploy,
        reset,
        stream,
        tasks,
    )
    from fueltui.master.routes import settings as settings_routes

    routers = (environments, nodes, tasks, actions, cloud, stream, host, predeploy, reset, disks,
               settings_routes, envactions, nodedetails, changes, notifications)  # fmt: skip
    for module in routers:
        app.include_router(module.router, prefix=API_PREFIX)
    # Wire models build on first use (api/schema.py, for the TUI's start-up), so FastAPI's body
    # adapters build on the first request, outside the filter FastAPI puts around their
    # construction for this warning (its own `alias` on a body's FieldInfo): the same filter.
    warnings.filterwarnings(
        "ignore", message="The 'alias' attribute with value 'body'", category=UnsupportedFieldAttributeWarning
    )
    app.add_middleware(BodyLimit, refuse=error_response)
    app.add_middleware(TokenGuard, token=token)  # added last: runs first, before any body is read
    return app
