"""Fixtures of the TUI tests: a real master (tests/masterfixtures.py), seeded through its store
and API, and apps whose host facts are given (the tests never touch the host's own network).

Deploy and verify need SSH to real nodes; where a test only needs their *stream* (log lines,
progress, a result) it swaps in a scripted handler for the task kind — restored afterwards —
so everything from the master's task framework to the panes is the real thing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fueltui.api.host import HostInterface, MasterHost
from fueltui.client.api import MasterClient
from fueltui.core.model import Cpu, Disk, Memory, Nic, NodeFacts
from fueltui.tui.app import FuelApp
from masterfixtures import RunningMaster
from tui.recorded import Script, install_scripted_handlers

HOST_NICS = [
    HostInterface(name="eth0", mac="52:54:00:00:00:01", addresses=["10.20.0.2/24"]),
    HostInterface(name="eth1", mac="52:54:00:00:00:02"),
]
CMDLINE = (
    "BOOT_IMAGE=/vmlinuz ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0 hostname=fuel.tld"
)


class MachineOfTheMaster:
    """What the in-process test master reports about its machine (its real NICs are the test
    host's, which a test must neither depend on nor show)."""

    def __init__(self) -> None:
        self.host = MasterHost(interfaces=list(HOST_NICS), gateway="10.20.0.1", cmdline=CMDLINE)

    def set(self, **changes: object) -> None:
        self.host = self.host.model_copy(update=changes)


@pytest.fixture(autouse=True)
def master_machine(monkeypatch: pytest.MonkeyPatch) -> MachineOfTheMaster:
    machine = MachineOfTheMaster()
    monkeypatch.setattr("fueltui.master.routes.host.read_host", lambda: machine.host)
    return machine


def node_mac(index: int) -> str:
    return f"52:54:00:aa:00:{index:02x}"


def node_facts(index: int, nics: int = 3) -> NodeFacts:
    return NodeFacts(
        nics=[
            Nic(
                name=f"eth{i}",
                mac=node_mac(index) if i == 0 else f"52:54:00:{i:02x}:00:{index:02x}",
                pxe=i == 0,
                state="up",
                speed_mbps=1000,
            )
            for i in range(nics)
        ],
        cpu=Cpu(model="QEMU", count=4),
        memory=Memory(total_bytes=8 << 30),
        disks=[Disk(name="vda", size_bytes=100 << 30)],
        hostname=f"node-{index}",
    )


def discover(master: RunningMaster, index: int, nics: int = 3) -> str:
    """A node as discovery would record it."""
    mac = node_mac(index)
    master.state.store.upsert_discovered(mac, f"10.20.0.{128 + index}", node_facts(index, nics))
    return mac


async def place(
    client: MasterClient,
    mac: str,
    env: str,
    roles: list[str] | None = None,
    interfaces: dict[str, list[str]] | None = None,
) -> None:
    record = await client.node(mac)
    record = await client.update_node(mac, record.revision, environment=env)
    if roles is not None:
        record = await client.update_node(mac, record.revision, roles=roles)
    if interfaces is not None:
        await client.update_node(mac, record.revision, interfaces=interfaces)


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., FuelApp]]:
    built: list[FuelApp] = []

    def build(
        master: MasterClient | None = None, start: str = "master", env_name: str | None = None
    ) -> FuelApp:
        app = FuelApp(
            master,
            root=tmp_path / "root",
            start=start,
            env_name=env_name,
        )
        built.append(app)
        return app

    yield build
    # The app's guard turns a bug into a notification; a test must still see it as a failure.
    for app in built:
        assert not app.guarded_errors, f"unexpected errors in the app: {app.guarded_errors!r}"


@pytest.fixture
def scripted(master: RunningMaster) -> Iterator[Script]:
    """Deploy and verify run scripted handlers for the test (the real ones need SSH)."""
    script = Script()
    restore = install_scripted_handlers(master.state.tasks, script)
    yield script
    script.finish()
    restore()
