"""Pytest fixtures for a real lab: network namespaces, veth NICs, sshd, DHCP, a master.

- `lab3` (session): 3 nodes × 4 NICs (eth0..eth3 on admin, management, public, storage),
  the lab's fueltui master running in its namespace, all 3 nodes discovered. Shared by
  every test of the run: do not break its nodes (use `make_lab` for that).
- `lab3_module` (module): the same, private to one test module (pristine nodes).
- `make_lab` (function): `make_lab(nodes=1, nics=4, master=True, master_env=None,
  wait_discovered=True, dhcp=True)` builds a private lab, torn down when the test ends
  (master=False: no fueltui master; dhcp=False as well: nobody serves DHCP yet).

A `LabHandle` gives: `.lab` (fueltui.lab.lab.Lab: node_exec, kill_sshd, replace_host_key,
set_hostname...), `.nodes`, `.admin_ip(i)`, `.master_state_dir`, `.in_master_ns()` (a
context manager: this thread's sockets go to the lab, never to the host's network),
`await .client()` (MasterClient of the lab's master), `.fanout()` (use inside
in_master_ns), `.env()` (FUELTUI_STATE_DIR for subprocess clients).

Every lab gets a prefix unique to this pytest process ("t<pid><tag>"); labs left by a
killed earlier run (their pid gone) are removed when the session starts. Teardown runs
even when the test fails. Needs root; skipped otherwise.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import re
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from fueltui.api.schema import NodeRecord
from fueltui.client.api import MasterClient
from fueltui.lab import netns
from fueltui.lab.lab import Lab, LabNode, LabState
from fueltui.lab.names import LAB_BASE
from fueltui.ssh.fanout import Fanout

T = TypeVar("T")
_TEST_PREFIX = re.compile(r"^t(\d+)[a-z]{1,2}$")
_tags = (a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz")
_cleaned: list[bool] = []  # stale labs of dead runs are removed once per session


def unique_prefix() -> str:
    return f"t{os.getpid()}{next(_tags)}"


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def remove_stale_test_labs() -> None:
    """Labs from earlier pytest runs that were killed before their teardown."""
    if not LAB_BASE.exists():
        return
    for entry in LAB_BASE.iterdir():
        match = _TEST_PREFIX.match(entry.name)
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(Exception):
                Lab(entry.name).down()
    for ns in netns.list_netns():
        name = ns.split("-", 1)[0]
        match = _TEST_PREFIX.match(name)
        if match and not _pid_alive(int(match.group(1))):
            with contextlib.suppress(Exception):
                Lab(name).down()


@dataclass
class LabHandle:
    lab: Lab
    state: LabState
    _fanouts: list[Fanout] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return self.lab.names.prefix

    @property
    def nodes(self) -> list[LabNode]:
        return self.state.nodes

    @property
    def master_ns(self) -> str:
        return self.lab.names.master_ns

    @property
    def master_state_dir(self) -> Path:
        return self.lab.master_state_dir

    def admin_ip(self, index: int) -> str:
        ip = self.lab.admin_ip(index)
        assert ip is not None, f"node {index} has no admin address"
        return ip

    def env(self) -> dict[str, str]:
        return {"FUELTUI_STATE_DIR": str(self.master_state_dir), "FUELTUI_LAB_PREFIX": self.prefix}

    def in_master_ns(self) -> contextlib.AbstractContextManager[None]:
        return netns.entered_netns(self.master_ns)

    def fanout(self, **kwargs: float | int | str) -> Fanout:
        """A Fanout with the master's key and its own pin file (tests must not race the
        master over its known_hosts)."""
        from fueltui.ssh.hostkeys import HostKeyStore
        from fueltui.ssh.keys import key_path

        pins = self.lab.names.root / f"test-known-hosts-{len(self._fanouts)}.json"
        fan = Fanout(key_path(self.master_state_dir), HostKeyStore(pins), **kwargs)  # type: ignore[arg-type]
        self._fanouts.append(fan)
        return fan

    async def client(self) -> MasterClient:
        return await MasterClient.connect(self.master_state_dir, autostart=False)

    async def wait_discovered(self, count: int | None = None, timeout: float = 60.0) -> list[NodeRecord]:
        """Wait until the lab's master lists `count` (default: all) nodes online."""
        want = len(self.nodes) if count is None else count
        client = await self.client()
        try:
            deadline = time.monotonic() + timeout
            while True:
                records = [r for r in await client.nodes() if r.node.online and r.node.facts.nics]
                if len(records) >= want:
                    return records
                if time.monotonic() > deadline:
                    raise AssertionError(f"only {len(records)} of {want} lab nodes discovered in {timeout}s")
                await asyncio.sleep(0.1)  # polling interval
        finally:
            await client.close()


def run_sync(coro: Coroutine[object, object, T]) -> T:
    """Run a coroutine to the end from sync code, even when called inside a running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _build(
    nodes: int,
    nics: int,
    master: bool,
    master_env: dict[str, str] | None,
    discovered: bool,
    dhcp: bool = True,
) -> LabHandle:
    if os.geteuid() != 0:
        pytest.skip("lab tests need root (network namespaces, mounts)")
    if not _cleaned:
        _cleaned.append(True)
        remove_stale_test_labs()
    lab = Lab(unique_prefix(), master_env=master_env)
    try:
        state = lab.up(nodes=nodes, nics=nics, start_master=master, timeout=60, dhcp=dhcp)
        handle = LabHandle(lab, state)
        if master and discovered:
            run_sync(handle.wait_discovered())
    except BaseException:
        lab.down()
        raise
    return handle


def _teardown(handle: LabHandle) -> None:
    handle.lab.down()


@pytest.fixture(scope="session")
def lab3() -> Iterator[LabHandle]:
    handle = _build(3, 4, True, None, True)
    try:
        yield handle
    finally:
        _teardown(handle)


@pytest.fixture(scope="module")
def lab3_module() -> Iterator[LabHandle]:
    """Like `lab3`, but private to one test module: pristine nodes that no other module's
    tests (a deploy, say) have changed."""
    handle = _build(3, 4, True, None, True)
    try:
        yield handle
    finally:
        _teardown(handle)


@pytest.fixture
def make_lab() -> Iterator[Callable[..., LabHandle]]:
    made: list[LabHandle] = []

    def make(
        nodes: int = 1,
        nics: int = 4,
        master: bool = True,
        master_env: dict[str, str] | None = None,
        wait_discovered: bool = True,
        dhcp: bool = True,
    ) -> LabHandle:
        handle = _build(nodes, nics, master, master_env, wait_discovered, dhcp)
        made.append(handle)
        return handle

    try:
        yield make
    finally:
        errors = []
        for handle in made:
            try:
                _teardown(handle)
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


# Public names for modules that build their own module-scoped lab (see tests/deploy).
build_lab = _build
teardown_lab = _teardown
