"""Page 4: the nodes × roles grid."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from polling import async_wait_until
from tui.fakemaster import make_node

ROLE_COLUMN_OFFSET = 6  # mark, name, MAC, status, online, env


async def loaded(pilot, app, rows: int) -> DataTable:
    table = app.screen.query_one("#nodes-table", DataTable)

    async def ready() -> bool:
        await pilot.pause()
        return table.row_count == rows and table.ordered_columns and len(table.ordered_columns) > 6

    await async_wait_until(ready, what=f"{rows} node rows")
    return table


def role_col(app, role: str) -> int:
    return ROLE_COLUMN_OFFSET + app.screen.roles.index(role)


async def test_role_grid_refuses_compute_on_a_controller(fake, make_app) -> None:
    await fake.create_environment("prod", None, None)
    fake.add_node(make_node(1, env="prod", roles=["controller"]))
    fake.add_node(make_node(2, env="prod"))
    app = make_app(fake, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 2)
        table.focus()
        table.move_cursor(row=0, column=role_col(app, "compute"))
        await pilot.pause()
        assert str(table.get_cell_at(table.cursor_coordinate)) == "[-]"
        reason = str(app.screen.query_one("#role-reason", Static).render())
        assert "not possible on node-1" in reason and "ontroller" in reason
        await pilot.press("space")

        async def refused() -> bool:
            await pilot.pause()
            return any("refused" in (n.title or "") for n in app._notifications)

        await async_wait_until(refused, what="the refusal notification")
        assert fake.node_records["52:54:00:aa:00:01"].node.roles == ["controller"]


async def test_space_toggles_a_role_on_marked_rows(fake, make_app) -> None:
    await fake.create_environment("prod", None, None)
    for i in (1, 2, 3):
        fake.add_node(make_node(i, env="prod"))
    app = make_app(fake, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 3)
        table.focus()
        table.move_cursor(row=1, column=role_col(app, "compute"))
        await pilot.press("m", "down", "m", "space")

        async def assigned() -> bool:
            await pilot.pause()
            roles = {mac[-2:]: r.node.roles for mac, r in fake.node_records.items()}
            return roles == {"01": [], "02": ["compute"], "03": ["compute"]}

        await async_wait_until(assigned, what="compute on the two marked nodes")
        summary = str(app.screen.query_one("#role-summary", Static).render())
        assert "Compute" in summary and "Controller" in summary


async def test_add_rename_and_live_discovery(fake, make_app) -> None:
    await fake.create_environment("prod", None, None)
    fake.add_node(make_node(1))
    app = make_app(fake, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 1)
        table.focus()
        await pilot.press("a")
        await async_wait_until(
            lambda: _true_after(pilot, fake.node_records["52:54:00:aa:00:01"].node.environment == "prod"),
            what="node added",
        )
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#prompt-input").value = ""
        await pilot.press(*"ctl-1", "enter")
        await async_wait_until(
            lambda: _true_after(pilot, fake.node_records["52:54:00:aa:00:01"].node.name == "ctl-1"),
            what="node renamed",
        )
        fake.add_node(make_node(7))  # discovered while the page is open
        await loaded(pilot, app, 2)


async def _true_after(pilot, value: bool) -> bool:
    await pilot.pause()
    return value
