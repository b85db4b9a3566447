"""Page 4: the nodes × roles grid, against a real master."""

from __future__ import annotations

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from polling import async_wait_until
from tui.conftest import discover, node_mac, place
from tui.test_environments import settle


async def loaded(pilot, app, rows: int) -> DataTable:
    table = app.screen.query_one("#nodes-table", DataTable)
    await settle(
        pilot, lambda: table.row_count == rows and len(table.ordered_columns) > 6, f"{rows} node rows"
    )
    return table


def role_col(app, role: str) -> int:
    return app.screen.fixed_count + app.screen.roles.index(role)


async def test_role_grid_refuses_compute_on_a_controller(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["controller"])
    await place(client, discover(master, 2), "prod")
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 2)
        table.focus()
        table.move_cursor(row=0, column=role_col(app, "compute"))
        await pilot.pause()
        assert str(table.get_cell_at(table.cursor_coordinate)) == "[-]"
        reason = str(app.screen.query_one("#role-reason", Static).render())
        assert "not possible on node-1" in reason and "ontroller" in reason
        await pilot.press("space")
        await settle(
            pilot, lambda: any("refused" in (n.title or "") for n in app._notifications), "the refusal"
        )
        assert (await client.node(node_mac(1))).node.roles == ["controller"]


async def test_space_toggles_a_role_on_marked_rows(master, client, make_app) -> None:
    await client.create_environment("prod")
    for i in (1, 2, 3):
        await place(client, discover(master, i), "prod")
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 3)
        table.focus()
        table.move_cursor(row=1, column=role_col(app, "compute"))
        await pilot.press("m", "down", "m", "space")
        roles: dict[str, list[str]] = {}

        async def assigned() -> bool:
            roles.update({r.node.name: r.node.roles for r in await client.nodes()})
            return roles == {"node-1": [], "node-2": ["compute"], "node-3": ["compute"]}

        await async_wait_until(assigned, what="compute on the two marked nodes")
        await settle(
            pilot, lambda: "Compute" in str(app.screen.query_one("#role-summary", Static).render()), "summary"
        )


async def test_add_rename_and_live_discovery(master, client, make_app) -> None:
    await client.create_environment("prod")
    discover(master, 1)
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 1)
        table.focus()
        await pilot.press("a")

        async def added() -> bool:
            return (await client.node(node_mac(1))).node.environment == "prod"

        await async_wait_until(added, what="node added to prod")
        # a member gets role cells (MAC and Env are in the detail line at 80 columns)
        await settle(
            pilot,
            lambda: str(table.get_cell_at(Coordinate(0, role_col(app, "controller")))) == "[ ]",
            "role cells",
        )
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#prompt-input").value = ""
        await pilot.press(*"ctl-1", "enter")

        async def renamed() -> bool:
            return (await client.node(node_mac(1))).node.name == "ctl-1"

        await async_wait_until(renamed, what="node renamed")
        discover(master, 7)  # found by discovery while the page is open
        await loaded(pilot, app, 2)


async def test_a_wide_terminal_shows_the_facts_as_columns(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["controller"])
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(200, 60)) as pilot:
        table = await loaded(pilot, app, 1)
        labels = [str(c.label) for c in table.ordered_columns]
        assert labels[6:11] == ["IP", "CPU", "RAM", "Disks", "NICs"]
        assert (
            str(table.get_cell_at(Coordinate(0, 6))) == "10.20.0.129"
            and str(table.get_cell_at(Coordinate(0, 8))) == "8G"
        )
        assert app.screen.fixed_count == 11


def visible_lines(widget) -> list[str]:
    """The text a widget shows on the terminal now (its viewport, after scrolling)."""
    from textual.geometry import Region

    return [strip.text for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))]


async def test_names_and_status_readable_at_80x24(master, client, make_app) -> None:
    await client.create_environment("demo-cloud")
    app = make_app(client, start="nodes", env_name="demo-cloud")
    async with app.run_test(size=(80, 24)) as pilot:
        # nodes arrive and change while the page is open, as during a real discovery
        for i in (1, 2, 3):
            mac = discover(master, i, nics=4)
            await place(client, mac, "demo-cloud", ["compute"])
            record = await client.node(mac)
            await client.update_node(mac, record.revision, name=f"compute-node-{i}")
        table = await loaded(pilot, app, 3)
        await settle(
            pilot, lambda: "compute-node-3" in [r.node.name for r in app.screen.records], "the new names"
        )
        await pilot.pause()
        lines = visible_lines(table)
        shown = "\n".join(lines)
        for i in (1, 2, 3):
            assert f"compute-node-{i}" in shown, shown
        assert "to add" in shown, shown  # in the environment, not deployed yet
        # MAC and Env give way at 80 columns: the detail line under the table carries them
        assert "MAC" not in lines[0] and "Env" not in lines[0], lines[0]
        detail = str(app.screen.query_one("#node-detail", Static).render())
        assert node_mac(1) in detail and "demo-cloud" in detail, detail
        # every role column is on the screen, not scrolled off to the right
        for role in app.screen.roles:
            assert app.screen.role_header(role) in lines[0], (role, lines[0])


async def test_removing_a_node_from_an_operational_environment_asks_first(master, client, make_app) -> None:
    """Item 16: `x` on an operational environment's node changed the cloud at once."""
    from fueltui.tui.screens.confirm import ConfirmScreen

    await client.create_environment("prod")
    mac = discover(master, 1)
    await place(client, mac, "prod", ["controller"])
    master.state.store.set_node_status(mac, "ready")
    master.state.store.set_environment_status("prod", "operational")
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 1)
        table.focus()
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "operational" in str(app.screen.query_one(".question").render())
        assert "node-1" in str(app.screen.query_one("#confirm-detail").render())
        await pilot.press("n")
        await pilot.pause()
        assert (await client.node(mac)).node.environment == "prod"
        await pilot.press("x")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question again")
        await pilot.press("y")

        async def pending() -> bool:  # deployed: it leaves with the next deploy
            return (await client.node(mac)).node.pending_deletion

        await async_wait_until(pending, what="the node pending deletion")
        await settle(pilot, lambda: "to remove" in "\n".join(visible_lines(table)), "its status")


async def test_removing_an_undeployed_node_from_a_new_environment_is_immediate(
    master, client, make_app
) -> None:
    await client.create_environment("prod")
    mac = discover(master, 1)
    await place(client, mac, "prod")
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 1)
        table.focus()
        await pilot.press("x")

        async def removed() -> bool:
            return (await client.node(mac)).node.environment is None

        await async_wait_until(removed, what="the node out of prod")


async def test_the_cursor_starts_on_a_role_and_stays_on_its_node(master, client, make_app) -> None:
    """Item 15: the first Space assigns a role (the cursor no longer starts on the mark
    column), and after a rename re-sorts the rows the cursor is still on the renamed node."""
    await client.create_environment("prod")
    for i in (1, 2, 3):
        await place(client, discover(master, i), "prod")
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot, app, 3)
        table.focus()
        assert table.cursor_coordinate.column == app.screen.fixed_count
        await pilot.press("space")

        async def first_role() -> bool:
            return (await client.node(node_mac(1))).node.roles == [app.screen.roles[0]]

        await async_wait_until(first_role, what="the first role on node-1 with the first Space")
        await pilot.press("down")  # node-2
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#prompt-input").value = ""
        await pilot.press(*"aaa-first", "enter")  # sorts to the top
        await settle(
            pilot, lambda: str(table.get_cell_at(Coordinate(0, 1))) == "aaa-first", "the renamed node on top"
        )
        node, _ = app.screen._cursor()
        assert node is not None and node.mac == node_mac(2)
