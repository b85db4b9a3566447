"""How each kind of node task runs: shell, master_shell, upload_file, sync, reboot — and how
it is checked before a resume skips it.

Each returns None on success or one sentence saying why it failed; a timeout raises
`TimeoutError` and a node that cannot be reached raises `NodeLost` (the orchestrator turns
both into the node's error and decides about retries).

`check_task` asks the node whether a task done before still holds (Ansible's check mode in
small): an `upload_file` compares the file's content and mode with what would be written;
a task with a `check` parameter runs that command (exit 0: the node still matches). Tasks
with neither are trusted to the record of their success.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import secrets
import shlex
import tarfile
from collections.abc import Callable
from pathlib import Path

from fueltui.core.model import GraphTask
from fueltui.master.deploy.runners import LineCallback, NodeLost, NodeRunner

BOOT_ID = "cat /proc/sys/kernel/random/boot_id"
CHECK_TIMEOUT = 60.0  # at most this long for a check, whatever the task's own timeout


async def run_task(
    task: GraphTask,
    runner: NodeRunner,
    master_runner: NodeRunner | None,
    render: Callable[[str], str],
    timeout: float,
    on_line: LineCallback,
) -> str | None:
    """Run one attempt of `task`; `render(source)` gives an upload's rendered content."""
    params = task.parameters
    if task.type in ("shell", "master_shell"):
        command = str(params["cmd"])
        cwd = params.get("cwd")
        if isinstance(cwd, str):
            command = f"cd {shlex.quote(cwd)} && {command}"
        if task.type == "master_shell":
            if master_runner is None:
                return "this orchestrator cannot run commands on the master"
            runner = master_runner
        status = await runner.run(command, on_line, timeout)
        return None if status == 0 else f"exited with status {status}"
    if task.type == "upload_file":
        source = params.get("source")
        data = (render(str(source)) if source else str(params.get("data", ""))).encode()
        try:
            await asyncio.wait_for(runner.put_file(str(params["path"]), data, file_mode(params)), timeout)
        except TimeoutError:  # the transfer was abandoned; the file is whole or absent (atomic)
            return f"writing {params['path']} timed out after {timeout:g} s; the transfer was abandoned"
        on_line("stdout", f"wrote {params['path']} ({len(data)} bytes)")
        return None
    if task.type == "script":
        return await _script(task, runner, render, timeout, on_line)
    if task.type == "sync":
        return await _sync(task, runner, timeout, on_line)
    if task.type == "reboot":
        return await _reboot(task, runner, timeout, on_line)
    return f"task type {task.type} does not run on nodes"


async def _script(
    task: GraphTask, runner: NodeRunner, render: Callable[[str], str], timeout: float, on_line: LineCallback
) -> str | None:
    """Ship the script the master rendered for this node as a file (0700), then run it with
    stdin closed (an init script must not read the rest of a script from stdin)."""
    try:
        data = render(str(task.parameters["source"])).encode()
    except ValueError as exc:
        return str(exc)
    path = f"/etc/fueltui/tasks/{task.id}.sh"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await asyncio.wait_for(runner.put_file(path, data, 0o700), timeout)
    command = f"sh -e {shlex.quote(path)} </dev/null"
    status = await runner.run(command, on_line, max(1.0, deadline - loop.time()))
    return None if status == 0 else f"{task.id} exited with status {status}"


async def check_task(
    task: GraphTask,
    runner: NodeRunner,
    master_runner: NodeRunner | None,
    render: Callable[[str], str],
    timeout: float,
    on_line: LineCallback,
) -> str | None:
    """None when the node still matches what `task` made it (or the task has no check);
    else one sentence saying how it differs. An unreachable node or a check that times
    out differs too: running the task again will say what is wrong."""
    params = task.parameters
    limit = min(timeout, CHECK_TIMEOUT)
    try:
        if task.type == "upload_file":
            return await _check_upload(task, runner, render, limit)
        check = params.get("check")
        if not isinstance(check, str):
            return None
        if task.type == "master_shell":
            if master_runner is None:
                return "this orchestrator cannot run commands on the master"
            runner = master_runner
        status = await runner.run(check, lambda stream, line: on_line(stream, f"check: {line}"), limit)
    except TimeoutError:
        return f"the check did not finish within {limit:g} s"
    except NodeLost as exc:
        return f"the check could not reach the node: {exc}"
    return None if status == 0 else f"the check exited with status {status}"


async def _check_upload(
    task: GraphTask, runner: NodeRunner, render: Callable[[str], str], timeout: float
) -> str | None:
    params = task.parameters
    source = params.get("source")
    data = (render(str(source)) if source else str(params.get("data", ""))).encode()
    state = await runner.file_state(str(params["path"]), timeout)
    if state is None:
        return f"{params['path']} is missing or unreadable"
    digest, mode = state
    if digest != hashlib.sha256(data).hexdigest():
        return f"{params['path']} was changed on the node"
    if mode != file_mode(params):
        return f"{params['path']} has mode {mode:o}, not {file_mode(params):o}"
    return None


async def _sync(task: GraphTask, runner: NodeRunner, timeout: float, on_line: LineCallback) -> str | None:
    """Copy a directory of the master onto the node (shipped as one tar file)."""
    src, dst = Path(str(task.parameters["src"])), str(task.parameters["dst"])
    if not src.is_dir():
        return f"{src} is not a directory on the master"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(src, arcname=".")
    temp = f"/tmp/fueltui-sync-{secrets.token_hex(6)}.tar.gz"
    try:
        await asyncio.wait_for(runner.put_file(temp, buffer.getvalue(), 0o600), timeout)
    except TimeoutError:
        return f"copying {src} timed out after {timeout:g} s; the transfer was abandoned"
    q = shlex.quote
    command = f"mkdir -p {q(dst)} && tar -xzf {q(temp)} -C {q(dst)}; rc=$?; rm -f {q(temp)}; exit $rc"
    status = await runner.run(command, on_line, timeout)
    return None if status == 0 else f"unpacking into {dst} exited with status {status}"


async def _reboot(task: GraphTask, runner: NodeRunner, timeout: float, on_line: LineCallback) -> str | None:
    """Reboot and wait until the node answers with a new boot id (not merely still up)."""
    boot_id_cmd = str(task.parameters.get("boot_id_cmd", BOOT_ID))
    before = await _read(runner, boot_id_cmd)
    if not before:
        return "cannot read the node's boot id"
    with contextlib.suppress(NodeLost, TimeoutError):
        await runner.run(str(task.parameters.get("cmd", "systemctl reboot")), on_line, 30)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    poll = float(str(task.parameters.get("poll", 2)))
    while loop.time() < deadline:
        await asyncio.sleep(poll)  # polling the node until it is back
        with contextlib.suppress(NodeLost, TimeoutError):
            now = await _read(runner, boot_id_cmd)
            if now and now != before:
                on_line("stdout", "the node is back")
                return None
    return f"did not come back within {timeout:g} s"


async def _read(runner: NodeRunner, command: str) -> str:
    lines: list[str] = []
    status = await runner.run(command, lambda _stream, line: lines.append(line), 10)
    return "\n".join(lines).strip() if status == 0 else ""


def file_mode(params: dict[str, object]) -> int:
    value = params.get("mode", 0o644)
    if isinstance(value, str):
        return int(value, 8)
    return value if isinstance(value, int) else 0o644
