#!/usr/bin/env python3
"""Regenerate screenshots/*.svg: every page of the TUI at 100×32.

Starts a master of its own on a temporary state directory, loads the recorded environment
(`tests/tui/recorded.py`: an answers file, synthetic discovered nodes, a verification and a
deployment replayed through the master's task framework), then opens each page and saves it.
Nothing on the host is changed; the master is stopped and its directory removed at the end.

    python scripts/screenshots.py [--out screenshots] [--size 100x32]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fueltui.api.host import HostInterface, MasterHost  # noqa: E402
from fueltui.client.api import MasterClient  # noqa: E402
from fueltui.master import tasks as master_tasks  # noqa: E402
from fueltui.master.routes import host as master_host  # noqa: E402
from fueltui.master.server import MasterServer, ThreadedMaster  # noqa: E402
from fueltui.tui.app import FuelApp  # noqa: E402
from tui.recorded import SHOTS, Shot, load_recorded  # noqa: E402

HOST_NICS = [
    HostInterface(name="eth0", mac="52:54:00:12:34:01", addresses=["10.20.0.2/24"]),
    HostInterface(name="eth1", mac="52:54:00:12:34:02", addresses=["192.168.122.15/24"]),
]
CMDLINE = (
    "BOOT_IMAGE=/vmlinuz ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0 "
    "hostname=fuel.example.com showmenu=yes"
)


async def shoot(base: Path, name: str, shot: Shot, out: Path, size: tuple[int, int]) -> Path:
    async def connect() -> MasterClient:
        return await MasterClient.connect(base, autostart=False)

    app = FuelApp(
        connect=connect,
        root=None,  # Apply would only store the options on the master (none is pressed here)
        start=shot.page,
        env_name="lab",
    )
    app.notify = lambda *args, **kwargs: None  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        for _ in range(200):
            await pilot.pause()
            if app.master is not None and shot.ready(app):
                break
            await asyncio.sleep(0.05)  # waiting for the page's data
        else:
            raise RuntimeError(f"page {name} did not load")
        if shot.before is not None:
            shot.before(app)
        for key in shot.press:
            await pilot.pause() if key == "_" else await pilot.press(key)
        previous = None
        for _ in range(100):  # until two pictures in a row agree: late messages land first
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            current = app.export_screenshot()
            if current == previous:
                break
            previous = current
        path = app.save_screenshot(filename=f"{name}.svg", path=str(out))
    return Path(path)


def pin_the_masters_machine() -> None:
    """The master's NICs as a real master would report them, not those of the machine taking
    the pictures."""
    machine = MasterHost(interfaces=HOST_NICS, cmdline=CMDLINE)
    master_host.read_host = lambda: machine  # type: ignore[assignment]


def pin_the_master_clock() -> None:
    """Task ids and log stamps fixed, so re-running the script changes no picture by itself."""
    counter = itertools.count(1)
    master_tasks.secrets = SimpleNamespace(token_hex=lambda n=6: f"{next(counter):0{2 * n}x}")  # type: ignore[attr-defined]
    master_tasks._now = lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # type: ignore[attr-defined]


async def main_async(out: Path, size: tuple[int, int]) -> list[Path]:
    pin_the_master_clock()
    pin_the_masters_machine()
    base = Path(tempfile.mkdtemp(prefix="ft-shots-", dir="/tmp"))
    master = ThreadedMaster(MasterServer(base, None, discovery=False))
    master.start()
    try:
        async with await MasterClient.connect(base, autostart=False) as client:
            await load_recorded(client, master.server.server.master)  # type: ignore[union-attr]
        out.mkdir(parents=True, exist_ok=True)
        return [await shoot(base, name, shot, out, size) for name, shot in SHOTS.items()]
    finally:
        master.stop()
        shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--size", default="100x32", help="terminal size, COLUMNSxROWS")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.lower().split("x"))
    for path in asyncio.run(main_async(args.out, (width, height))):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
