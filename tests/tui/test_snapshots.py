"""Every page at 80×24 against a real master loaded with the recorded environment.

Task ids and the master's clock are pinned so the pictures are stable; the cursor does not
blink. `pytest tests/tui/test_snapshots.py --snapshot-update` re-records them after a
deliberate change (look at the report first)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from fueltui.client.api import MasterClient
from fueltui.tui.app import FuelApp
from masterfixtures import RunningMaster
from polling import async_wait_until
from tui.recorded import SHOTS, Shot, load_recorded

FIXED_ROOT = Path("/nonexistent/fueltui-snapshot-root")  # shown in the preview, never written


@pytest.fixture
def recorded(master: RunningMaster, monkeypatch: pytest.MonkeyPatch) -> RunningMaster:
    counter = itertools.count(1)
    monkeypatch.setattr("fueltui.master.tasks.secrets.token_hex", lambda n=6: f"{next(counter):0{2 * n}x}")
    monkeypatch.setattr("fueltui.master.tasks._now", lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    async def seed() -> None:
        async with await MasterClient.connect(master.base, autostart=False) as client:
            await load_recorded(client, master.state)

    asyncio.run(seed())
    return master


def app_for(master: RunningMaster, page: str) -> FuelApp:
    async def connect() -> MasterClient:
        return await MasterClient.connect(master.base, autostart=False)

    app = FuelApp(
        connect=connect,
        root=FIXED_ROOT,
        start=page,
        env_name="lab",
    )
    app.notify = lambda *args, **kwargs: None  # type: ignore[method-assign]  # no toasts in pictures
    return app


async def settled(pilot: Pilot) -> None:
    """Wait until two pictures in a row are the same: late messages on a loaded machine land
    before the snapshot is taken, not in it."""
    previous = None

    async def same() -> bool:
        nonlocal previous
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        current = pilot.app.export_screenshot()
        stable, previous = current == previous, current
        return stable

    await async_wait_until(same, what="a settled screen")


def prepare(shot: Shot):
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, FuelApp)

        async def check() -> bool:
            await pilot.pause()
            return app.master is not None and bool(shot.ready(app))

        await async_wait_until(check, what="the page's data")
        if shot.before is not None:
            shot.before(app)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await settled(pilot)

    return run_before


@pytest.mark.parametrize("name", [name for name in SHOTS if name != "master"])
def test_page(name: str, snap_compare, recorded) -> None:
    shot = SHOTS[name]
    app = app_for(recorded, shot.page)
    assert snap_compare(app, run_before=prepare(shot), press=shot.press)
    assert not app.guarded_errors


def test_master_setup(snap_compare, master) -> None:
    shot = SHOTS["master"]
    app = app_for(master, "master")
    assert snap_compare(app, run_before=prepare(shot))
    assert not app.guarded_errors
