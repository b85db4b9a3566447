"""Node details (Nodes page, key i), rename and the cloud's hand-over on the Envs page, at 80×24."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable

from fueltui.api.schema import NodeProgress, TaskRecord, TaskStatus
from fueltui.tui.screens.nodedetails import NodeDetailsScreen
from fueltui.tui.screens.prompt import PromptScreen
from fueltui.tui.widgets.handover import CloudLine
from tui.conftest import discover, place
from tui.test_environments import settle
from tui.test_health import give_cloud, mirror, screen_text, seed  # noqa: F401 - fixture
from tui.test_nodes import loaded


async def test_node_details_modal(master, client, make_app) -> None:
    await client.create_environment("prod")
    first, second = discover(master, 1), discover(master, 2)
    await place(client, first, "prod", ["controller"])
    await place(client, second, "prod", ["compute"])
    master.state.store.save_task(
        TaskRecord(
            id="deploy-1",
            kind="deploy",
            env="prod",
            created=datetime(2026, 11, 30, 12, 0, tzinfo=UTC),
            status=TaskStatus.error,
            nodes={first: NodeProgress(status="error", message="apt failed")},
        )
    )
    expected = (await client.node_details(first)).addresses["management"]
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 2)
        table.focus()
        table.move_cursor(row=0, column=0)
        await pilot.press("i")
        await settle(pilot, lambda: isinstance(app.screen, NodeDetailsScreen), "the details")
        text = screen_text(app)
        assert "node-1" in text and first in text and "Roles: controller" in text
        assert "CPU: 4 × QEMU" in text and "RAM: 8.0 GiB" in text and "vda" in text and "100.0 GiB" in text
        assert "eth1" in text and "1000 Mb/s" in text and "link up" in text
        for _ in range(30):
            await pilot.press("down")
        text = screen_text(app)
        assert f"management     {expected}" in text
        assert "2026-11-30 12:00  deploy    deploy-1  task error, node error: apt failed" in text
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, NodeDetailsScreen), "closed")
        assert app.is_running


async def test_rename_an_environment_from_the_envs_page(master, client, make_app) -> None:
    await client.create_environment("prod")
    await client.create_environment("other")
    mac = discover(master, 1)
    await place(client, mac, "prod", ["controller"])
    app = make_app(client, start="environments", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)
        await settle(pilot, lambda: table.row_count == 2, "the environments")
        table.focus()
        table.move_cursor(row=1)  # sorted: other, prod
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt")
        await pilot.press("ctrl+a", "ctrl+k", *"other", "enter")  # taken: refused, nothing changes
        await settle(
            pilot, lambda: any("already exists" in n.message for n in app._notifications), "the refusal"
        )
        await pilot.press("e")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen), "the prompt again")
        await pilot.press("ctrl+a", "ctrl+k", *"staging", "enter")
        await settle(pilot, lambda: app.env_name == "staging", "the working environment follows")
        await settle(pilot, lambda: "staging" in screen_text(app), "the new name listed")
    assert sorted(r.environment.name for r in await client.environments()) == ["other", "staging"]
    assert (await client.node(mac)).node.environment == "staging"


async def test_envs_page_hands_the_cloud_over(master, client, make_app, mirror) -> None:  # noqa: F811
    await seed(client, master)
    app = make_app(client, start="environments", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#env-table", DataTable)
        await settle(pilot, lambda: table.row_count == 1, "the environment")
        line = app.screen.query_one("#env-cloud", CloudLine)
        await pilot.pause()
        assert not line.display  # not deployed: nothing to hand over
        give_cloud(master)
        access = await client.cloud("lab")
        await settle(pilot, lambda: line.display, "the hand-over line after the deploy")
        text = " ".join(screen_text(app).split())
        assert f"Horizon {access.horizon_url}" in text and access.keystone_url in text
