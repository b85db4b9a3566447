"""Fixtures of the TUI tests: a fake master and apps that never touch the host."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fueltui.tui.app import FuelApp
from fueltui.tui.hostinfo import HostNic
from tui.fakemaster import FakeMaster

HOST_NICS = [HostNic("eth0", "52:54:00:00:00:01", ["10.20.0.2/24"]), HostNic("eth1", "52:54:00:00:00:02", [])]
CMDLINE = (
    "BOOT_IMAGE=/vmlinuz ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0 hostname=fuel.tld"
)


@pytest.fixture
def fake() -> FakeMaster:
    return FakeMaster()


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., FuelApp]:
    def build(master: object = None, start: str = "master", env_name: str | None = None) -> FuelApp:
        return FuelApp(
            master,  # type: ignore[arg-type]
            root=tmp_path / "root",
            nics=lambda: HOST_NICS,
            cmdline=lambda: CMDLINE,
            start=start,
            env_name=env_name,
        )

    return build
