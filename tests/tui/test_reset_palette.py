"""Reset environment from the Deploy page's command palette: a danger dialog (no one-key yes)
naming the nodes, then the master's `reset` task with the revision the dialog was built from."""

from __future__ import annotations

from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.deploy import DeployScreen
from polling import async_wait_until
from tui.test_deploy import two_nodes
from tui.test_environments import settle


async def test_the_palette_resets_the_environment_after_a_danger_dialog(master, client, make_app) -> None:
    first, second = await two_nodes(master, client)
    for mac in (first, second):  # nothing to reach: the reset clears the deploy state only
        master.state.store.set_node_status(mac, "ready")
        master.state.store.set_node_online(mac, False)
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await pilot.press("ctrl+p")
        await pilot.press(*"reset env")
        await settle(pilot, lambda: True, "typing")
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the reset dialog")
        dialog = app.screen
        detail = str(dialog.query_one("#confirm-detail").render())
        assert "disks are wiped" in detail
        await pilot.press("y")  # a danger question takes no one-key yes
        await pilot.pause()
        assert app.screen is dialog and await client.tasks("prod") == []
        await pilot.press("tab", "enter")  # to the red button
        await settle(pilot, lambda: app.screen is screen, "the dialog closed")

        async def reset_done() -> bool:
            tasks = [t for t in await client.tasks("prod") if t.kind == "reset"]
            return bool(tasks) and tasks[-1].status.value == "done"

        await async_wait_until(reset_done, 120, "the reset task")
    for mac in (first, second):
        assert (await client.node(mac)).node.status == "discover"
