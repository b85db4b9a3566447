"""Configure Disks at 80×24 against a real master: reached with `d` from the nodes page,
+/- move space between volumes, a typed size, a bad one refused with nothing lost, a rule
broken shown at once and not saved, save and reset stored on the master."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from fueltui.core.model import DiskAllocation
from fueltui.tui.screens.disks import DisksScreen
from polling import async_wait_until
from tui.conftest import discover, node_mac, place
from tui.recorded import mac_of
from tui.test_environments import settle
from tui.test_snapshots import app_for, recorded, settled  # noqa: F401  (recorded: the fixture)

GIB_MIB = 1024


async def open_disks(pilot, app) -> DisksScreen:
    table = app.screen.query_one("#nodes-table", DataTable)
    await settle(pilot, lambda: table.row_count == 1, "the node row")
    table.focus()
    await pilot.press("d")
    await settle(
        pilot,
        lambda: isinstance(app.screen, DisksScreen) and app.screen.view is not None and app.screen.columns,
        "the disks screen",
    )
    screen = app.screen
    assert isinstance(screen, DisksScreen)
    return screen


def text_of(screen: DisksScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def go_to(screen: DisksScreen, volume: str) -> None:
    table = screen.query_one("#disks-table", DataTable)
    table.focus()
    table.move_cursor(row=0, column=2 + [v.id for v in screen.columns].index(volume))


async def test_plus_moves_space_and_save_stores_it(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["compute"])
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_disks(pilot, app)
        assert [v.id for v in screen.columns] == ["os", "logs", "vm"]
        before = dict(screen.alloc["vda"])
        assert "role defaults" in text_of(screen, "#disks-title") and "no problems" in text_of(
            screen, "#disks-findings"
        )
        go_to(screen, "os")
        await pilot.press("plus", "plus")
        # the disk was full: the 2 GiB came from the largest other volume, vm
        assert screen.alloc["vda"]["os"] == before["os"] + 2 * GIB_MIB
        assert screen.alloc["vda"]["vm"] == before["vm"] - 2 * GIB_MIB
        assert "edited, not saved" in text_of(screen, "#disks-title")
        # the page fits 80×24: the last line of findings is above the footer
        assert screen.query_one("#disks-findings").region.bottom <= 23
        await pilot.press("ctrl+s")
        stored: list[object] = []

        async def saved() -> bool:
            stored[:] = [(await client.node(node_mac(1))).node.disks]
            return stored[0] is not None

        await async_wait_until(saved, what="the allocation on the master")
        node = (await client.node(node_mac(1))).node
        assert node.disks is not None and node.disks[0].volumes["os"] == before["os"] + 2 * GIB_MIB
        await settle(pilot, lambda: "set by you" in text_of(screen, "#disks-title"), "the saved state")
        await pilot.press("r")
        await settle(pilot, lambda: "role defaults" in text_of(screen, "#disks-title"), "the defaults again")
        assert (await client.node(node_mac(1))).node.disks is None
        assert screen.alloc["vda"] == before
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, DisksScreen), "back on the nodes page")


async def test_a_bad_size_is_refused_and_nothing_is_lost(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["controller"])
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_disks(pilot, app)
        before = {k: dict(v) for k, v in screen.alloc.items()}
        go_to(screen, "logs")
        await pilot.press("enter")
        field = screen.query_one("#disks-input", Input)
        assert app.focused is field and field.value == "1G"
        await pilot.press("end", "backspace", "backspace", *"lots", "enter")
        assert screen.last_error is not None and "'lots' is not a size" in screen.last_error
        assert any(n.title == "Not a size" for n in app._notifications)
        assert field.value == "lots" and app.focused is field  # what was typed is kept
        assert screen.alloc == before and not screen.dirty
        await pilot.press("escape")
        assert app.focused is not field and isinstance(app.screen, DisksScreen)
        # a size the rules refuse: shown at once, and ctrl+s does not store it
        await pilot.press("enter")
        field.value = "0"
        await pilot.press("enter")
        assert "logs" not in screen.alloc["vda"]
        assert "Logs needs at least 1024 MiB" in text_of(screen, "#disks-findings")
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: any(n.title == "Not saved" for n in app._notifications), "the refusal")
        assert (await client.node(node_mac(1))).node.disks is None
        assert screen.dirty  # the edit is still there to fix
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen.__class__.__name__ == "ConfirmScreen", "leave without saving?")
        await pilot.press("n")
        assert isinstance(app.screen, DisksScreen) and screen.dirty


async def test_a_change_from_another_console_is_not_overwritten(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["compute"])
    app = make_app(client, start="nodes", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_disks(pilot, app)
        go_to(screen, "logs")
        await pilot.press("plus")
        assert screen.dirty
        view = await client.disks(node_mac(1))
        theirs = [DiskAllocation(disk="vda", volumes={"os": 8192, "logs": 2048, "vm": 8192})]
        await client.set_disks(node_mac(1), view.revision, theirs)
        await settle(
            pilot, lambda: any("changed on the master" in n.message for n in app._notifications), "the news"
        )
        mine = dict(screen.alloc["vda"])
        await pilot.press("ctrl+s")
        await settle(
            pilot, lambda: any("changed by someone else" in n.message for n in app._notifications), "409"
        )
        assert (await client.node(node_mac(1))).node.disks == theirs  # theirs is kept
        assert screen.dirty and screen.alloc["vda"] == mine  # and so are my edits, on screen
        await pilot.press("ctrl+r")
        await settle(
            pilot, lambda: not screen.dirty and screen.alloc["vda"] == theirs[0].volumes, "theirs shown"
        )


def test_snapshot_of_a_node_with_three_disks(snap_compare, recorded) -> None:  # noqa: F811
    """ops-1 of the recorded environment (base-os; disks of 100 GiB, 2 TiB, 2 TiB) after a typed
    size that breaks a rule (the base system on a second disk): bars, cursor line, finding."""
    app = app_for(recorded, "nodes")

    async def run_before(pilot) -> None:
        async def nodes_listed() -> bool:
            await pilot.pause()
            return app.master is not None and app.screen.query_one("#nodes-table", DataTable).row_count == 5

        await async_wait_until(nodes_listed, what="the nodes")
        app.push_screen(DisksScreen(mac_of(4)))
        await settle(pilot, lambda: isinstance(app.screen, DisksScreen) and app.screen.columns, "the disks")
        screen = app.screen
        assert isinstance(screen, DisksScreen)
        screen.query_one("#disks-table", DataTable).move_cursor(row=1, column=2)
        await pilot.press("enter")
        screen.query_one("#disks-input", Input).value = "20G"
        await pilot.press("enter")  # the base system on a second disk: refused by the rules
        screen.query_one("#disks-table", DataTable).move_cursor(row=0, column=2)
        await settled(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))
    assert not app.guarded_errors
