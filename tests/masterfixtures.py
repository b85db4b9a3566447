"""Pytest fixtures for a real master: uvicorn on a temporary unix socket, in this process.

- `master`: a running master (its own thread and event loop) on a fresh state directory,
  discovery off; `master.state` is the master's `Master` (store, events, tasks, logs).
- `client`: a `MasterClient` connected to it over the unix socket.
- `master_factory`: start more masters, e.g. with `listen="127.0.0.1:0"`.

The master runs in-process so coverage counts it; everything goes over real HTTP.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fueltui import statedir
from fueltui.client.api import MasterClient
from fueltui.master.app import Master
from fueltui.master.server import MasterServer, ThreadedMaster


@dataclass
class RunningMaster:
    base: Path
    threaded: ThreadedMaster

    @property
    def server(self) -> MasterServer:
        return self.threaded.server

    @property
    def state(self) -> Master:
        assert self.server.server is not None
        master: Master = self.server.server.master
        return master

    @property
    def socket(self) -> Path:
        return statedir.socket_path(self.base)

    def stop(self) -> None:
        self.threaded.stop()


def short_state_dir() -> Path:
    """Unix socket paths are limited to 107 bytes: keep the state directory short."""
    return Path(tempfile.mkdtemp(prefix="ft-master-", dir="/tmp"))


@pytest.fixture
def master_factory() -> Iterator[Callable[..., RunningMaster]]:
    started: list[RunningMaster] = []
    dirs: list[Path] = []

    def start(base: Path | None = None, listen: str | None = None) -> RunningMaster:
        if base is None:
            base = short_state_dir()
            dirs.append(base)
        threaded = ThreadedMaster(MasterServer(base, listen, discovery=False))
        threaded.start()
        running = RunningMaster(base, threaded)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
    for base in dirs:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def master(master_factory: Callable[..., RunningMaster]) -> RunningMaster:
    return master_factory()


@pytest.fixture
async def client(master: RunningMaster) -> AsyncIterator[MasterClient]:
    connected = await MasterClient.connect(master.base, autostart=False)
    yield connected
    await connected.close()
