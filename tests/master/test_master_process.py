"""The master as a real process: autostarted from a clean state directory, killed with
SIGKILL in the middle of a task, restarted — nothing committed is lost, the task is
`interrupted` and resumes where it stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fueltui import statedir
from fueltui.api.schema import TaskStatus
from fueltui.client.api import MasterClient
from fueltui.client.errors import MasterUnavailable
from fueltui.main import main
from masterfixtures import short_state_dir
from polling import async_wait_until, wait_until

HERE = Path(__file__).resolve().parent


def _gone(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)  # our child (autostarted): reap it
        if done == pid:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    base = short_state_dir() / "state"  # does not exist yet
    paths = [str(HERE), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    monkeypatch.setenv("FUELTUI_MASTER_PLUGINS", "mastercrashplugin")
    monkeypatch.setenv("FUELTUI_NO_DISCOVERY", "1")
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(base))
    yield base
    pidfile = statedir.pidfile_path(base)
    if pidfile.exists():  # never leave a master behind, even when the test failed
        text = pidfile.read_text().strip()
        if text.isdigit():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(text), signal.SIGKILL)
            wait_until(lambda: _gone(int(text)), timeout=10, what="master gone")


@pytest.mark.timeout(90)
async def test_autostart_kill9_restart_resume(clean_state: Path) -> None:
    base = clean_state
    assert not base.exists()
    with pytest.raises(MasterUnavailable):
        await MasterClient.connect(base, autostart=False)
    client = await MasterClient.connect(base)  # starts a detached master
    try:
        status = await client.status()
        pid = status.pid
        assert pid != os.getpid() and os.getsid(pid) == pid  # its own session
        assert statedir.pidfile_path(base).read_text().strip() == str(pid)
        assert stat.S_IMODE(os.stat(statedir.socket_path(base)).st_mode) == 0o600
        assert "test.steps" in status.task_kinds
        await client.create_environment("prod")
        task = await client.start_task("test.steps", "prod", {"block_after": 3})

        async def blocked() -> bool:
            record = await client.task(task.id)
            return record.status == TaskStatus.running and record.progress == 30

        await async_wait_until(blocked, timeout=20, what="task blocked after step 3")
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: _gone(pid), timeout=10, what="master killed")
        with pytest.raises(MasterUnavailable):
            await client.status()
    finally:
        await client.close()

    assert await asyncio.to_thread(main, ["master", "start"]) == 0  # a new master, same state
    assert await asyncio.to_thread(main, ["master", "status"]) == 0
    client = await MasterClient.connect(base, autostart=False)
    try:
        assert (await client.status()).pid != pid
        assert [e.environment.name for e in await client.environments()] == ["prod"]
        interrupted = await client.task(task.id)
        assert interrupted.status == TaskStatus.interrupted and interrupted.progress == 30
        log = await client.task_log(task.id)
        assert [line.split(" ", 1)[1] for line in log.entries] == ["step 0", "step 1", "step 2"]
        resumed = await client.resume_task(task.id)
        assert resumed.resumed_from == task.id

        async def finished() -> bool:
            return (await client.task(resumed.id)).status.finished

        await async_wait_until(finished, timeout=20, what="resumed task finished")
        done = await client.task(resumed.id)
        assert done.status == TaskStatus.done and done.result == {"started_at": 3}
        new_pid = (await client.status()).pid
    finally:
        await client.close()
    assert main(["master", "stop"]) == 0
    wait_until(lambda: _gone(new_pid), timeout=10, what="master stopped")
    assert not statedir.socket_path(base).exists()
    assert await asyncio.to_thread(main, ["master", "status"]) == 3


async def test_no_autostart_for_the_lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FUELTUI_STATE_DIR", raising=False)
    monkeypatch.setenv("FUELTUI_LAB", "1")
    monkeypatch.setenv("FUELTUI_LAB_STATE_DIR", str(tmp_path / "lab-master"))
    with pytest.raises(MasterUnavailable) as err:
        await MasterClient.connect()
    assert "fueltui lab up" in err.value.message
    assert not (tmp_path / "lab-master").exists()
