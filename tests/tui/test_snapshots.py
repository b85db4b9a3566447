"""Every page at 80×24 against a real master loaded with the recorded environment.

Task ids and the master's clock are pinned so the pictures are stable; the cursor does not
blink. `pytest tests/tui/test_snapshots.py --snapshot-update` re-records them after a
deliberate change (look at the report first)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from fueltui.client.api import MasterClient
from fueltui.tui.app import FuelApp
from masterfixtures import RunningMaster
from polling import async_wait_until
from tui.conftest import CMDLINE, HOST_NICS
from tui.recorded import load_recorded

FIXED_ROOT = Path("/nonexistent/fueltui-snapshot-root")  # shown in the preview, never written


@pytest.fixture
def recorded(master: RunningMaster, monkeypatch: pytest.MonkeyPatch) -> RunningMaster:
    counter = itertools.count(1)
    monkeypatch.setattr("fueltui.master.tasks.secrets.token_hex", lambda n=6: f"{next(counter):0{2 * n}x}")
    monkeypatch.setattr("fueltui.master.tasks._now", lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))

    async def seed() -> None:
        async with await MasterClient.connect(master.base, autostart=False) as client:
            await load_recorded(client, master.state.store)

    asyncio.run(seed())
    return master


def app_for(master: RunningMaster, page: str) -> FuelApp:
    async def connect() -> MasterClient:
        return await MasterClient.connect(master.base, autostart=False)

    app = FuelApp(
        connect=connect,
        root=FIXED_ROOT,
        nics=lambda: HOST_NICS,
        cmdline=lambda: CMDLINE,
        start=page,
        env_name="lab",
    )
    app.notify = lambda *args, **kwargs: None  # type: ignore[method-assign]  # no toasts in pictures
    return app


def ready(condition: Callable[[FuelApp], object], then: Callable[[FuelApp], object] | None = None):
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, FuelApp)

        async def check() -> bool:
            await pilot.pause()
            return app.master is not None and bool(condition(app))

        await async_wait_until(check, what="the page's data")
        if then is not None:
            then(app)
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    return run_before


def table_rows(selector: str, rows: int) -> Callable[[FuelApp], bool]:
    return lambda app: app.screen.query_one(selector, DataTable).row_count >= rows


def test_master_setup(snap_compare, master) -> None:
    assert snap_compare(app_for(master, "master"), run_before=ready(lambda app: True))


def test_environments(snap_compare, recorded) -> None:
    assert snap_compare(app_for(recorded, "environments"), run_before=ready(table_rows("#env-table", 1)))


def test_networks(snap_compare, recorded) -> None:
    assert snap_compare(app_for(recorded, "networks"), run_before=ready(lambda app: app.screen.paths))


def _cursor_on_blocked_role(app: FuelApp) -> None:
    table = app.screen.query_one("#nodes-table", DataTable)
    table.focus()
    row = next(i for i, r in enumerate(app.screen.records) if "controller" in r.node.roles)
    table.move_cursor(row=row, column=6 + app.screen.roles.index("compute"))


def test_nodes(snap_compare, recorded) -> None:
    assert snap_compare(
        app_for(recorded, "nodes"), run_before=ready(table_rows("#nodes-table", 5), _cursor_on_blocked_role)
    )


def test_interfaces(snap_compare, recorded) -> None:
    assert snap_compare(
        app_for(recorded, "interfaces"),
        run_before=ready(lambda app: app.screen.targets),
        press=["enter", "right"],
    )


def test_verify(snap_compare, recorded) -> None:
    assert snap_compare(app_for(recorded, "verify"), run_before=ready(table_rows("#verify-table", 4)))


def test_deploy(snap_compare, recorded) -> None:
    assert snap_compare(
        app_for(recorded, "deploy"), run_before=ready(lambda app: app.screen.layout_kind in ("grid", "list"))
    )


def test_logs(snap_compare, recorded) -> None:
    def pick_task(app: FuelApp) -> None:
        listing = app.screen.query_one("#log-sources")
        listing.focus()
        listing.highlighted = next(
            i
            for i in range(listing.option_count)
            if (listing.get_option_at_index(i).id or "") == "node:52:54:00:aa:00:03"
        )

    assert snap_compare(
        app_for(recorded, "logs"),
        run_before=ready(lambda app: app.screen.query_one("#log-sources").option_count > 3, pick_task),
        press=["_", "_"],
    )


def test_help(snap_compare, recorded) -> None:
    assert snap_compare(
        app_for(recorded, "nodes"), run_before=ready(table_rows("#nodes-table", 5)), press=["question_mark"]
    )
