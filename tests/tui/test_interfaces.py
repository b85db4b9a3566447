"""Page 5: the interfaces drag-map, by keys and by mouse."""

from __future__ import annotations

from fueltui.tui.screens.interfaces import InterfacesScreen
from fueltui.tui.widgets.niccolumn import HEADER_LINES, NicColumn
from polling import async_wait_until
from tui.conftest import discover, node_mac, place
from tui.test_environments import settle

GRE_DEFAULTS = {
    "eth0": ["fuelweb_admin", "management", "storage", "private"],
    "eth1": ["public"],
    "eth2": [],
}


async def open_map(
    master, client, make_app, roles: list[str], interfaces: dict[str, list[str]] | None = None, nics: int = 3
):
    await client.create_environment("prod")
    await place(client, discover(master, 1, nics=nics), "prod", roles, interfaces)
    return make_app(client, start="interfaces", env_name="prod")


async def columns_ready(pilot, app, nics: int = 3) -> InterfacesScreen:
    screen = app.screen
    assert isinstance(screen, InterfacesScreen)

    async def ready() -> bool:
        await pilot.pause()
        return len(screen.query(NicColumn)) == nics + 1

    await async_wait_until(ready, what="the NIC columns")
    return screen


def column_of(screen: InterfacesScreen, nic: str) -> NicColumn:
    return next(c for c in screen.query(NicColumn) if c.nic_name == nic)


async def test_keyboard_refuses_admin_off_the_pxe_nic(master, client, make_app) -> None:
    app = await open_map(
        master, client, make_app, ["controller"], {"eth0": ["fuelweb_admin"], "eth1": ["public"]}, nics=4
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        screen.col, screen.row = column_of(screen, "eth0").index, 0
        await pilot.press("enter", "right", "right", "enter")
        assert screen.last_refusal is not None and screen.last_refusal.code == "admin-not-on-pxe"
        assert screen.assignment["eth0"] == ["fuelweb_admin"]
        assert any(n.title == "Refused: admin-not-on-pxe" for n in app._notifications)
        # public is untagged like the admin network: it cannot join it on eth0
        screen.col, screen.row = column_of(screen, "eth1").index, 0
        await pilot.press("enter", "left", "enter")
        assert screen.last_refusal is not None and screen.last_refusal.code == "untagged-conflict"
        assert screen.assignment["eth1"] == ["public"]
        # a legal move by keys: public from eth1 to eth2
        screen.col, screen.row = column_of(screen, "eth1").index, 0
        await pilot.press("enter", "right", "enter")
        assert screen.assignment["eth2"] == ["public"] and screen.dirty


async def test_mouse_drag_refuses_admin_off_the_pxe_nic(master, client, make_app) -> None:
    app = await open_map(
        master, client, make_app, ["controller"], {"eth0": ["fuelweb_admin"], "eth1": ["public"]}, nics=4
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        eth0, eth2 = column_of(screen, "eth0"), column_of(screen, "eth2")
        chip = (
            eth0.content_region.x - eth0.region.x + 1,
            eth0.content_region.y - eth0.region.y + HEADER_LINES,
        )
        await pilot.mouse_down(eth0, offset=chip)
        assert screen.picked == ("fuelweb_admin", "eth0")
        await pilot.hover(eth2, offset=(3, 3))
        await pilot.mouse_up(eth2, offset=(3, 3))
        assert screen.last_refusal is not None and screen.last_refusal.code == "admin-not-on-pxe"
        assert screen.assignment["eth0"] == ["fuelweb_admin"] and screen.assignment["eth2"] == []
        # the same gesture with public is accepted
        eth1 = column_of(screen, "eth1")
        await pilot.mouse_down(eth1, offset=(2, eth1.content_region.y - eth1.region.y + HEADER_LINES))
        await pilot.hover(eth2, offset=(3, 3))
        await pilot.mouse_up(eth2, offset=(3, 3))
        assert screen.assignment["eth2"] == ["public"]


async def test_every_nic_column_fits_at_80x24(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], {"eth0": ["fuelweb_admin"]}, nics=4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        await pilot.pause()
        columns = sorted(screen.query(NicColumn), key=lambda c: c.index)
        assert [c.nic_name for c in columns] == ["", "eth0", "eth1", "eth2", "eth3"]
        for column in columns:
            assert column.region.width >= 14, (column.nic_name, column.region)
            assert column.region.x >= 0 and column.region.right <= 80, (column.nic_name, column.region)
        # the "not assigned" column is the narrow one; the NICs share the rest
        assert columns[0].region.width < min(c.region.width for c in columns[1:])
        for column in columns[1:]:
            lines = column.render().plain.splitlines()
            assert lines[0].startswith(column.nic_name)
            assert column.nic is not None and column.nic.mac[-8:] in lines[1]
            assert all(len(line) <= column.content_size.width for line in lines[:3]), lines
        chips = column_of(screen, "eth0").render().plain.splitlines()[HEADER_LINES:]
        assert any(line.strip("▶◇ ") == "admin" for line in chips), chips  # whole, not "fuelweb_adm…"
        assert all(len(line) <= column_of(screen, "eth0").content_size.width for line in chips)


async def test_defaults_then_apply_store_the_mapping(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app)
        screen.col = 0  # on "not assigned", which Defaults empties
        await pilot.press("l")
        assert "fuelweb_admin" in screen.assignment["eth0"]
        await pilot.pause()
        # item 15: the cursor is still on a chip, and chips say their VLAN
        assert any("▶" in c.render().plain for c in screen.query(NicColumn)), "the cursor vanished"
        eth0 = column_of(screen, "eth0").render().plain
        env = (await client.environment("prod")).environment
        assert f"management {env.networks['management'].vlan}" in eth0
        await pilot.press("ctrl+s")

        async def stored() -> bool:
            await pilot.pause()
            return bool((await client.node(node_mac(1))).node.interfaces)

        await async_wait_until(stored, what="interfaces stored on the master")
        stored_map = (await client.node(node_mac(1))).node.interfaces
        assert stored_map["eth0"][0] == "fuelweb_admin" and "public" in stored_map["eth1"]


async def test_bulk_needs_identical_nic_sets(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod")
    await place(client, discover(master, 2, nics=2), "prod")
    app = make_app(client, start="interfaces", env_name="prod")
    app.selected_macs = [node_mac(1), node_mac(2)]
    async with app.run_test(size=(80, 24)) as pilot:

        async def warned() -> bool:
            await pilot.pause()
            return any("identical NIC sets" in n.message for n in app._notifications)

        await async_wait_until(warned, what="the bulk refusal")
        assert len(app.screen.targets) == 1


async def test_bulk_applies_to_every_marked_node(master, client, make_app) -> None:
    await client.create_environment("prod")
    for i in (1, 2):
        await place(client, discover(master, i), "prod", ["compute"])
    app = make_app(client, start="interfaces", env_name="prod")
    app.selected_macs = [node_mac(1), node_mac(2)]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: len(getattr(app.screen, "targets", [])) == 2, "both nodes targeted")
        await settle(pilot, lambda: len(app.screen.query(NicColumn)) == 4, "the columns")
        await pilot.press("l", "ctrl+s")

        async def both() -> bool:
            await pilot.pause()
            return all([(await client.node(node_mac(i))).node.interfaces for i in (1, 2)])

        await async_wait_until(both, what="both nodes' interfaces stored")


async def test_too_many_nics_scroll_to_the_cursor(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], {"eth0": ["fuelweb_admin"]}, nics=6)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=6)
        await pilot.pause()
        columns = sorted(screen.query(NicColumn), key=lambda c: c.index)
        assert all(c.region.width <= 16 for c in columns), [c.region for c in columns]
        await pilot.press(*["right"] * (6 - screen.col))  # onto eth5, past the right edge
        await pilot.pause()
        last = columns[-1]
        assert screen.col == last.index
        assert last.region.x >= 0 and last.region.right <= 80, last.region


def screen_lines(app) -> list[str]:
    """The terminal's lines as the operator sees them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_the_footer_shows_the_arrow_move(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], {"eth0": ["fuelweb_admin"]})
    async with app.run_test(size=(80, 24)) as pilot:
        await columns_ready(pilot, app)
        await pilot.pause()
        footer = screen_lines(app)[-1]
        assert "←→ Move" in footer, footer
        assert "Pick/drop" in footer and "Apply" in footer and "[] Node" in footer, footer
        assert "Move l Defaults" in footer and "? Help" in footer, footer


async def test_apply_warns_about_what_the_layout_leaves_wrong(master, client, make_app) -> None:
    """Item 15: unassigning management on a compute, or changing a deployed node, is said
    before it is applied."""
    from fueltui.tui.screens.confirm import ConfirmScreen

    layout = {"eth0": ["fuelweb_admin", "management", "storage", "private"]}
    app = await open_map(master, client, make_app, ["compute"], layout)
    master.state.store.set_node_status(node_mac(1), "ready")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app)
        screen.col, screen.row = column_of(screen, "eth0").index, 1  # management
        await pilot.press("enter", "left", "enter")  # onto "not assigned"
        assert "management" not in screen.assignment["eth0"]
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the warning")
        detail = str(app.screen.query_one("#confirm-detail").render())
        assert "management" in detail and "✗" in detail
        assert "deployed again" in detail
        await pilot.press("n")
        await pilot.pause()
    assert (await client.node(node_mac(1))).node.interfaces == layout


async def test_the_cursor_shows_on_the_next_node_too(master, client, make_app) -> None:
    """Found in the 80×24 walk: after `]` the cursor stayed on a column the next node leaves
    empty (eth2 here), so no chip was marked and Enter picked nothing."""
    await client.create_environment("prod")
    layout = {**GRE_DEFAULTS, "eth0": ["fuelweb_admin", "management", "private"], "eth2": ["storage"]}
    await place(client, discover(master, 1), "prod", ["controller"], layout)
    await place(client, discover(master, 2), "prod", ["compute"], {"eth0": GRE_DEFAULTS["eth0"]})
    app = make_app(client, start="interfaces", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app)
        screen.col = column_of(screen, "eth2").index  # the controller's storage NIC
        await pilot.press("right_square_bracket")

        async def on_the_compute_with_a_cursor() -> bool:
            await pilot.pause()
            title = str(screen.query_one("#nic-title").render())
            return title.startswith("node-2") and any(
                "▶" in c.render().plain for c in screen.query(NicColumn)
            )

        await async_wait_until(on_the_compute_with_a_cursor, what="the cursor on the next node's chips")
