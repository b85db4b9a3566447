"""The one client of the master's API, used by the TUI and the CLI (async httpx).

`await MasterClient.connect()` talks to the master of the state directory over its unix
socket — starting one in the background when none runs — or, with `url` (or
`FUELTUI_MASTER_URL`), to a remote master over TCP with its bearer token.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, JsonValue, TypeAdapter

from fueltui import statedir
from fueltui.api.changes import PendingChanges
from fueltui.api.disks import DisksUpdate, NodeDisks
from fueltui.api.envactions import EnvironmentRename
from fueltui.api.events import AnyEvent, StreamReset, decode_event
from fueltui.api.host import MasterHost
from fueltui.api.nodedetails import NodeDetails
from fueltui.api.notifications import MarkedRead, NotificationList
from fueltui.api.schema import (
    API_PREFIX,
    ApplyRequest,
    ApplyResult,
    BootOptionsRecord,
    BootOptionsUpdate,
    CloudAccess,
    EnvironmentRecord,
    ErrorBody,
    ExportResponse,
    FindingsResponse,
    LogChunk,
    MasterStatus,
    NodeRecord,
    StreamHello,
    TaskRecord,
)
from fueltui.api.settings import AdminPassword, SettingsRecord, SettingsUpdate
from fueltui.client.autostart import log_tail, start_detached
from fueltui.client.errors import ApiError, ConflictError, MasterUnavailable, NotFoundError
from fueltui.client.nodelists import NodeLists
from fueltui.client.sse import read_sse
from fueltui.core.model import Bond, BootOptions, DiskAllocation, Finding, Mode, Release
from fueltui.settings import settings

M = TypeVar("M", bound=BaseModel)
JsonBody = Mapping[str, object] | None


class _Unset:
    """Marks an argument that was not given (so that `None` can mean "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()

STARTUP_TIMEOUT = 60.0  # generous: a loaded machine imports slowly
RECONNECT_DELAY = 0.5


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    # building the adapter's validator took 9 ms per call on a loaded machine (bench/api.py)
    return TypeAdapter(list[model])  # type: ignore[valid-type]


class MasterClient:
    def __init__(self, http: httpx.AsyncClient, base: Path | None = None, where: str = "") -> None:
        self.http = http
        self.base = base
        self.where = where
        self.node_lists = NodeLists()  # GET /nodes answers kept with their ETag

    # ------------------------------------------------------------------ connecting

    @classmethod
    def for_socket(cls, base: Path | None = None) -> MasterClient:
        base = base or statedir.state_dir()
        sock = statedir.socket_path(base)
        transport = httpx.AsyncHTTPTransport(uds=str(sock))
        http = httpx.AsyncClient(transport=transport, base_url="http://master", timeout=30.0)
        return cls(http, base, f"the master at {sock}")

    @classmethod
    def for_url(cls, url: str, token: str | None) -> MasterClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        http = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=30.0)
        return cls(http, None, f"the master at {url}")

    @classmethod
    async def connect(
        cls,
        base: Path | None = None,
        *,
        autostart: bool = True,
        url: str | None = None,
        token: str | None = None,
        timeout: float = STARTUP_TIMEOUT,
    ) -> MasterClient:
        env = settings()
        url = url or env.master_url
        if url:
            token = token or env.master_token
            client = cls.for_url(url, token)
            await client.status()
            return client
        base = base or statedir.state_dir()
        client = cls.for_socket(base)
        if await client.alive():
            return client
        if autostart and env.lab and base == statedir.lab_state_dir():
            await client.close()  # the lab's master lives in the lab's namespace: `lab up` starts it
            raise MasterUnavailable(
                f"the lab's master is not running ({base}); start the lab with `fueltui lab up`"
            )
        if not autostart:
            await client.close()
            raise MasterUnavailable(
                f"no master answers at {statedir.socket_path(base)}; start one with `fueltui master start`"
            )
        start_detached(base)
        deadline = time.monotonic() + timeout
        while not await client.alive():
            if time.monotonic() > deadline:
                await client.close()
                tail = log_tail(base)
                raise MasterUnavailable(
                    f"started a master for {base} but it did not answer within {timeout:.0f}s"
                    + (f"; its log ends with:\n{tail}" if tail else "")
                )
            await asyncio.sleep(0.1)
        return client

    async def alive(self) -> bool:
        try:
            await self.status()
        except MasterUnavailable:
            return False
        return True

    async def close(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> MasterClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ plumbing

    async def _request(
        self,
        method: str,
        path: str,
        body: JsonBody = None,
        params: Mapping[str, str | int | bool] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        try:
            response = await self.http.request(
                method,
                API_PREFIX + path,
                json=dict(body) if body is not None else None,
                params=params,
                headers=headers,
            )
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, FileNotFoundError) as exc:
            raise MasterUnavailable(f"cannot reach {self.where}: {exc}") from None
        except httpx.TimeoutException:
            raise MasterUnavailable(f"{self.where} did not answer in time") from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    async def _get(self, model: type[M], path: str, **params: str | int | bool | None) -> M:
        response = await self._request("GET", path, params=_params(params))
        return model.model_validate_json(response.content)

    async def _list(self, model: type[M], path: str, **params: str | int | bool | None) -> list[M]:
        response = await self._request("GET", path, params=_params(params))
        return _list_adapter(model).validate_json(response.content)

    async def _send(self, model: type[M], method: str, path: str, body: JsonBody = None) -> M:
        response = await self._request(method, path, body)
        return model.model_validate_json(response.content)

    # ------------------------------------------------------------------ master

    async def status(self) -> MasterStatus:
        return await self._get(MasterStatus, "/master")

    async def boot_options(self) -> BootOptionsRecord:
        return await self._get(BootOptionsRecord, "/boot-options")

    async def set_boot_options(self, options: BootOptions, revision: int) -> BootOptionsRecord:
        """Store the boot options; `revision` is the one you read (ConflictError when stale)."""
        body = BootOptionsUpdate(options=options, revision=revision)
        return await self._send(BootOptionsRecord, "PUT", "/boot-options", body.model_dump(mode="json"))

    async def releases(self) -> list[Release]:
        return await self._list(Release, "/releases")

    async def release(self, release_id: str) -> Release:
        return await self._get(Release, f"/releases/{_seg(release_id)}")

    # ------------------------------------------------------------------ environments

    async def environments(self) -> list[EnvironmentRecord]:
        return await self._list(EnvironmentRecord, "/environments")

    async def environment(self, name: str) -> EnvironmentRecord:
        return await self._get(EnvironmentRecord, f"/environments/{_seg(name)}")

    async def create_environment(
        self, name: str, release: str | None = None, mode: Mode | str | None = None
    ) -> EnvironmentRecord:
        body: dict[str, object] = {"name": name}
        if release is not None:
            body["release"] = release
        if mode is not None:
            body["mode"] = Mode(mode).value
        return await self._send(EnvironmentRecord, "POST", "/environments", body)

    async def update_environment(self, record: EnvironmentRecord) -> EnvironmentRecord:
        """Store `record.environment`; ConflictError when someone wrote since `record.revision`."""
        body = {"environment": record.environment.model_dump(mode="json"), "revision": record.revision}
        return await self._send(
            EnvironmentRecord, "PUT", f"/environments/{_seg(record.environment.name)}", body
        )

    async def delete_environment(self, name: str, revision: int | None = None) -> None:
        params = {"revision": revision} if revision is not None else None
        await self._request("DELETE", f"/environments/{_seg(name)}", params=params)

    async def findings(self, name: str) -> list[Finding]:
        return (await self._get(FindingsResponse, f"/environments/{_seg(name)}/findings")).findings

    async def apply(
        self, answers_text: str, source: str = "<answers>", dry_run: bool = False, revision: int | None = None
    ) -> ApplyResult:
        """Apply an answers file; `revision` is its environment's you read (a dry run's answer):
        ConflictError when that environment exists and is not at it."""
        body = ApplyRequest(answers=answers_text, source=source, dry_run=dry_run, revision=revision)
        return await self._send(ApplyResult, "POST", "/apply", body.model_dump(mode="json"))

    async def export(self, name: str) -> str:
        return (await self._get(ExportResponse, f"/environments/{_seg(name)}/export")).answers

    # ------------------------------------------------------------------ nodes

    async def nodes(self, environment: str | None = None) -> list[NodeRecord]:
        """The nodes (of `environment`). An answer the master says is unchanged (304 to the ETag
        kept) is not fetched and parsed again: the records are the ones returned last time, in a
        new list. Treat them as read-only (`model_copy(deep=True)` to edit one); a changed one is
        noticed at the next call and the kept answer parsed again (fueltui/client/nodelists.py)."""
        etag = self.node_lists.etag(environment)
        response = await self._request(
            "GET",
            "/nodes",
            params=_params({"environment": environment}),
            headers={"If-None-Match": etag} if etag else None,
        )
        if response.status_code == 304:
            kept = self.node_lists.unchanged(environment)
            if kept is None:
                raise ApiError(304, "not-modified", "the master answered 304 to a request without a tag")
            return kept
        return self.node_lists.parse(environment, response.content, response.headers.get("etag"))

    async def node(self, mac: str) -> NodeRecord:
        return await self._get(NodeRecord, f"/nodes/{_seg(mac)}")

    async def update_node(
        self,
        mac: str,
        revision: int,
        *,
        name: str | _Unset = UNSET,
        environment: str | _Unset | None = UNSET,
        roles: list[str] | _Unset = UNSET,
        interfaces: dict[str, list[str]] | _Unset = UNSET,
        bonds: list[Bond] | _Unset = UNSET,
        mtu: dict[str, int] | _Unset = UNSET,
    ) -> NodeRecord:
        """Change what is given; `environment=None` unassigns the node (and clears its roles).
        `bonds` is the node's whole bond list; networks go on a bond by its name in `interfaces`."""
        body: dict[str, object] = {"revision": revision}
        if not isinstance(bonds, _Unset):
            body["bonds"] = [bond.model_dump(mode="json") for bond in bonds]
        if not isinstance(mtu, _Unset):
            body["mtu"] = dict(mtu)
        for key, value in (
            ("name", name),
            ("environment", environment),
            ("roles", roles),
            ("interfaces", interfaces),
        ):
            if not isinstance(value, _Unset):
                body[key] = value
        return await self._send(NodeRecord, "PATCH", f"/nodes/{_seg(mac)}", body)

    async def delete_node(self, mac: str) -> None:
        await self._request("DELETE", f"/nodes/{_seg(mac)}")

    # ------------------------------------------------------------------ tasks

    async def tasks(self, env: str | None = None) -> list[TaskRecord]:
        return await self._list(TaskRecord, "/tasks", env=env)

    async def task(self, task_id: str) -> TaskRecord:
        return await self._get(TaskRecord, f"/tasks/{_seg(task_id)}")

    async def start_task(
        self, kind: str, env: str | None = None, params: Mapping[str, JsonValue] | None = None
    ) -> TaskRecord:
        body = {"kind": kind, "env": env, "params": dict(params or {})}
        return await self._send(TaskRecord, "POST", "/tasks", body)

    async def stop_task(self, task_id: str, now: bool = False) -> TaskRecord:
        return await self._send(TaskRecord, "POST", f"/tasks/{_seg(task_id)}/stop", {"now": now})

    async def resume_task(self, task_id: str) -> TaskRecord:
        return await self._send(TaskRecord, "POST", f"/tasks/{_seg(task_id)}/resume")

    async def deploy(
        self, env: str, nodes: list[str] | None = None, skip_verify: bool = False, force: bool = False
    ) -> TaskRecord:
        """Without `nodes`: the pending changes (refused with `nothing-to-deploy` when there are
        none, unless `force`)."""
        body = {"nodes": nodes, "skip_verify": skip_verify, "force": force}
        return await self._send(TaskRecord, "POST", f"/environments/{_seg(env)}/deploy", body)

    async def stop_deploy(self, env: str, now: bool = False) -> TaskRecord:
        return await self._send(TaskRecord, "POST", f"/environments/{_seg(env)}/stop", {"now": now})

    async def retry(self, env: str) -> TaskRecord:
        return await self._send(TaskRecord, "POST", f"/environments/{_seg(env)}/retry")

    async def verify(self, env: str, nodes: list[str] | None = None) -> TaskRecord:
        return await self._send(TaskRecord, "POST", f"/environments/{_seg(env)}/verify", {"nodes": nodes})

    async def health(self, env: str, groups: list[str] | None = None) -> TaskRecord:
        return await self._send(TaskRecord, "POST", f"/environments/{_seg(env)}/health", {"groups": groups})

    async def cloud(self, env: str) -> CloudAccess:
        return await self._get(CloudAccess, f"/environments/{_seg(env)}/cloud")

    async def openrc(self, env: str) -> str:
        response = await self._request("GET", f"/environments/{_seg(env)}/openrc")
        return response.text

    async def discover(self, targets: list[str]) -> TaskRecord:
        return await self._send(TaskRecord, "POST", "/discover", {"targets": targets})

    # ------------------------------------------------------------------ logs

    async def node_log(
        self, mac: str, offset: int = 0, task_id: str | None = None, tail: int | None = None
    ) -> LogChunk:
        return await self._get(
            LogChunk, f"/nodes/{_seg(mac)}/logs", offset=offset, task_id=task_id, tail=tail
        )

    async def task_log(self, task_id: str, offset: int = 0, tail: int | None = None) -> LogChunk:
        return await self._get(LogChunk, f"/tasks/{_seg(task_id)}/logs", offset=offset, tail=tail)

    async def follow_log_chunks(
        self, path: str, offset: int = 0, task_id: str | None = None
    ) -> AsyncIterator[LogChunk]:
        """Chunks of a log as they are written (server-sent events), from a byte offset."""
        params = _params({"offset": offset, "task_id": task_id})
        try:
            async with self.http.stream(
                "GET", API_PREFIX + path, params=params, timeout=httpx.Timeout(30.0, read=None)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error(response)
                async for message in read_sse(response):
                    if message.event == "log":
                        yield LogChunk.model_validate_json(message.data)
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            raise MasterUnavailable(f"lost {self.where}: {exc}") from None

    async def follow_node_log(
        self, mac: str, offset: int = 0, task_id: str | None = None
    ) -> AsyncIterator[str]:
        async for chunk in self.follow_log_chunks(f"/nodes/{_seg(mac)}/logs/follow", offset, task_id):
            for line in chunk.entries:
                yield line

    async def follow_task_log(self, task_id: str, offset: int = 0) -> AsyncIterator[str]:
        async for chunk in self.follow_log_chunks(f"/tasks/{_seg(task_id)}/logs/follow", offset):
            for line in chunk.entries:
                yield line

    # ------------------------------------------------------------------ events

    async def events(self, after: int | None = None, reconnect: bool = True) -> AsyncIterator[AnyEvent]:
        """The live event stream. With `reconnect`, a lost master is waited for and the stream
        resumes where it stopped; when events were lost (a restarted master) a `stream.reset`
        event says to reload everything."""
        last = after
        while True:
            params = _params({"after": last})
            try:
                async with self.http.stream(
                    "GET", API_PREFIX + "/events", params=params, timeout=httpx.Timeout(30.0, read=None)
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        raise _error(response)
                    async for message in read_sse(response):
                        if message.event == "hello":
                            seq = StreamHello.model_validate_json(message.data or "{}").seq
                            if last is not None and seq < last:
                                last = None
                                yield StreamReset()
                            continue
                        if message.id is not None and message.id.isdigit():
                            last = int(message.id)
                        event = decode_event(message.event, message.data)
                        if event is not None:  # an unknown kind is logged there and skipped
                            yield event
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, FileNotFoundError) as exc:
                if not reconnect:
                    raise MasterUnavailable(f"lost {self.where}: {exc}") from None
            if not reconnect:
                return
            await asyncio.sleep(RECONNECT_DELAY)

    # ------------------------------------------------------------------ the master's machine

    async def master_host(self) -> MasterHost:
        """The master's own NICs, default route and boot line (not the caller's machine)."""
        return await self._get(MasterHost, "/master/interfaces")

    async def predeploy(self, env: str, skip_verify: bool = False) -> list[Finding]:
        """What a deploy of `env` would be refused for (errors) and warned about, without one."""
        path = f"/environments/{_seg(env)}/predeploy"
        return (await self._get(FindingsResponse, path, skip_verify=skip_verify)).findings

    async def reset_environment(self, env: str, revision: int) -> TaskRecord:
        """Reset `env` as read at `revision` (409 if it changed since): its nodes back to the
        bootstrap with their disks wiped, its deploy state cleared. Returns the `reset` task."""
        from fueltui.api.reset import ResetRequest

        body = ResetRequest(revision=revision).model_dump()
        return await self._send(TaskRecord, "POST", f"/environments/{_seg(env)}/reset", body)

    # ------------------------------------------------------------------ Configure Disks

    async def disks(self, mac: str) -> NodeDisks:
        return await self._get(NodeDisks, f"/nodes/{_seg(mac)}/disks")

    async def set_disks(self, mac: str, revision: int, allocation: list[DiskAllocation]) -> NodeDisks:
        """Store the node's whole allocation; refused (422, with findings) when the rules object."""
        body = DisksUpdate(revision=revision, allocation=allocation).model_dump(mode="json")
        return await self._send(NodeDisks, "PUT", f"/nodes/{_seg(mac)}/disks", body)

    async def reset_disks(self, mac: str, revision: int) -> NodeDisks:
        """Back to the release's defaults for the node's roles."""
        body = DisksUpdate(revision=revision, allocation=None).model_dump(mode="json")
        return await self._send(NodeDisks, "PUT", f"/nodes/{_seg(mac)}/disks", body)

    # ------------------------------------------------------------------ settings, actions, node details

    async def settings(self, env: str) -> SettingsRecord:
        return await self._get(SettingsRecord, f"/environments/{_seg(env)}/settings")

    async def update_settings(
        self, env: str, changes: Mapping[str, bool | int | str], revision: int
    ) -> SettingsRecord:
        """Change settings by key; ConflictError when the environment moved on since `revision`
        or a changed field is locked after a deploy (code `setting-locked`)."""
        body = SettingsUpdate(revision=revision, changes=dict(changes)).model_dump(mode="json")
        return await self._send(SettingsRecord, "PUT", f"/environments/{_seg(env)}/settings", body)

    async def admin_password(self, env: str) -> AdminPassword:
        return await self._send(AdminPassword, "POST", f"/environments/{_seg(env)}/settings/password")

    async def rename_environment(self, env: str, new_name: str, revision: int) -> EnvironmentRecord:
        body = EnvironmentRename(name=new_name, revision=revision).model_dump(mode="json")
        return await self._send(EnvironmentRecord, "POST", f"/environments/{_seg(env)}/rename", body)

    async def node_details(self, mac: str) -> NodeDetails:
        return await self._get(NodeDetails, f"/nodes/{_seg(mac)}/details")

    # ------------------------------------------------------------------ deploy changes, notifications

    async def changes(self, env: str) -> PendingChanges:
        """What the next deploy of `env` would do (Deploy Changes)."""
        return await self._get(PendingChanges, f"/environments/{_seg(env)}/changes")

    async def notifications(self, include_read: bool = False) -> NotificationList:
        return await self._get(NotificationList, "/notifications", all=include_read)

    async def mark_notifications_read(self, ids: list[int] | None = None) -> MarkedRead:
        """Mark these notifications read (None: every unread one)."""
        return await self._send(MarkedRead, "POST", "/notifications/read", {"ids": ids})


def _seg(value: str) -> str:
    """A path segment, escaped (names and MACs come from operators)."""
    from urllib.parse import quote

    return quote(value, safe="")


def _params(values: Mapping[str, str | int | bool | None]) -> dict[str, str | int | bool]:
    return {key: value for key, value in values.items() if value is not None}


def _error(response: httpx.Response) -> ApiError:
    status = response.status_code
    try:
        body = ErrorBody.model_validate_json(response.content)
        code, message, findings = body.code, body.message, body.findings
    except ValueError:
        code, message, findings = "http-error", f"HTTP {status}: {response.text[:200]}", None
    kind = {409: ConflictError, 404: NotFoundError}.get(status, ApiError)
    return kind(status, code, message, findings)
