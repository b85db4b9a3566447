"""Page 5 with bonds, at 80×24: mark NICs, bond them through the dialog, drop a network on
the bond, apply, unbond; a bond Fuel forbids (the PXE NIC in it) is refused with its finding."""

from __future__ import annotations

from fueltui.core.model import Bond, BondMode, Node
from fueltui.tui.widgets.bondcolumn import BondColumn
from fueltui.tui.widgets.bonddialog import BondDialog
from fueltui.tui.widgets.niccolumn import NicColumn
from tui.conftest import node_mac
from tui.test_environments import settle
from tui.test_interfaces import column_of, columns_ready, open_map, screen_lines

LAYOUT = {"eth0": ["fuelweb_admin", "management", "storage", "private"], "eth1": ["public"]}


async def stored_node(pilot, client, condition, what: str):
    holder: list[Node] = []

    async def check() -> bool:
        await pilot.pause()
        node = (await client.node(node_mac(1))).node
        holder[:] = [node]
        return bool(condition(node))

    from polling import async_wait_until

    await async_wait_until(check, what=what)
    return holder[0]


async def open_bond_dialog(pilot, app, screen, first: str, what: str = "the bond dialog") -> BondDialog:
    """Mark `first` and the NIC right of it, press `b`: the dialog that bonds them."""
    screen.col = column_of(screen, first).index
    await pilot.press("m", "right", "m", "b")
    await settle(pilot, lambda: isinstance(app.screen, BondDialog), what)
    dialog = app.screen
    assert isinstance(dialog, BondDialog)
    return dialog


async def test_bond_two_nics_drop_a_network_apply_and_unbond(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], LAYOUT, nics=4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        screen.col = column_of(screen, "eth1").index
        await pilot.press("m", "right", "space")  # mark eth1 and eth2
        assert screen.marked == ["eth1", "eth2"]
        assert column_of(screen, "eth1").render().plain.startswith("✓eth1")
        assert "b bonds them" in screen_lines(app)[-2]
        await pilot.press("b")
        await settle(pilot, lambda: isinstance(app.screen, BondDialog), "the bond dialog")
        await pilot.press("enter")  # the proposed name, active-backup
        await settle(pilot, lambda: screen.query(BondColumn), "the bond column")
        bond = screen.query_one(BondColumn)
        assert screen.bonds == [Bond(name="bond0", slaves=["eth1", "eth2"])]
        assert screen.assignment["bond0"] == ["public"] and screen.assignment["eth1"] == []
        # the slaves are listed in the bond's column, not shown as columns of their own
        assert [c.nic_name for c in sorted(screen.query(NicColumn), key=lambda c: c.index)] == [
            "",
            "eth0",
            "eth3",
            "bond0",
        ]
        header = bond.render().plain.splitlines()
        assert header[0] == "bond0 act-backup" and header[1] == "eth1+eth2"
        assert bond.region.right <= 80 and bond.region.width >= 14
        assert any("bond0 act-backup" in line for line in screen_lines(app))
        # storage (tagged) joins public on the bond, by keys
        screen.col, screen.row = column_of(screen, "eth0").index, 2
        await pilot.press("enter", "right", "right", "enter")
        assert screen.assignment["bond0"] == ["public", "storage"], screen.last_refusal
        await pilot.press("ctrl+s")
        node = await stored_node(pilot, client, lambda n: n.bonds, "the bond stored on the master")
        assert node.bonds == [Bond(name="bond0", slaves=["eth1", "eth2"])]
        assert node.interfaces["bond0"] == ["public", "storage"]
        assert "eth1" not in node.interfaces or node.interfaces["eth1"] == []

        await settle(pilot, lambda: screen.query(BondColumn) and not screen.dirty, "the page reloaded")
        screen.col = screen.query_one(BondColumn).index
        await pilot.press("u")
        await settle(pilot, lambda: not screen.query(BondColumn), "the bond column gone")
        assert screen.bonds == [] and screen.assignment["eth1"] == ["public", "storage"]
        await pilot.press("ctrl+s")
        node = await stored_node(pilot, client, lambda n: not n.bonds, "the unbond stored")
        assert node.interfaces["eth1"] == ["public", "storage"] and "bond0" not in node.interfaces


async def test_a_lacp_bond_with_its_options_through_the_dialog(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], LAYOUT, nics=4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        dialog = await open_bond_dialog(pilot, app, screen, "eth2")
        assert dialog.query_one("#bond-rate").disabled  # LACP options only for 802.3ad
        await pilot.press("tab", "enter", "down", "down", "enter")  # mode: LACP (802.3ad)
        await settle(pilot, lambda: not dialog.query_one("#bond-rate").disabled, "the LACP options")
        await pilot.press("tab", "enter", "down", "enter")  # lacp rate: fast
        await pilot.press("tab", "enter", "down", "down", "enter")  # hash: layer3+4
        await pilot.press("tab", *"9001", "enter")  # MTU too large: refused in the dialog
        await pilot.pause()
        assert app.screen is dialog
        assert dialog.refusal is not None and dialog.refusal.code == "mtu-invalid"
        assert "mtu-invalid" in str(dialog.query_one("#bond-error").render())
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"9000", "enter")
        await settle(pilot, lambda: screen.query(BondColumn), "the bond column")
        assert screen.bonds == [
            Bond(
                name="bond0",
                mode=BondMode.lacp,
                slaves=["eth2", "eth3"],
                lacp_rate="fast",
                xmit_hash_policy="layer3+4",
                mtu=9000,
            )
        ]
        header = screen.query_one(BondColumn).render().plain.splitlines()
        assert header[0] == "bond0 LACP" and header[2].startswith("fast layer3+4")
        # the default assignment keeps the bond: what it gives the slaves goes on the bond
        await pilot.press("l")
        assert [b.name for b in screen.bonds] == ["bond0"]
        assert screen.assignment["eth2"] == screen.assignment["eth3"] == []
        placed = [net for nets in screen.assignment.values() for net in nets]
        assert sorted(placed) == sorted(["fuelweb_admin", "management", "storage", "private", "public"])


async def test_a_bond_with_the_pxe_nic_is_refused_with_the_finding(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], LAYOUT, nics=4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        screen.col = column_of(screen, "eth0").index
        await pilot.press("m", "right", "m", "b")
        await pilot.pause()
        assert not isinstance(app.screen, BondDialog)  # refused before the dialog
        assert screen.last_refusal is not None and screen.last_refusal.code == "bond-pxe-slave"
        assert any(n.title == "Refused: bond-pxe-slave" for n in app._notifications)
        assert screen.bonds == [] and screen.assignment == {**LAYOUT, "eth2": [], "eth3": []}
        status = " ".join(screen_lines(app)[-3:-1])  # the status line, wrapped
        assert "✗ bond-pxe-slave: eth0 is node-1's PXE NIC" in status, status
        # one NIC is no bond either
        await pilot.press("left", "m", "b")  # unmark eth0: only eth1 is left
        assert screen.marked == ["eth1"]
        assert screen.last_refusal.code == "bond-too-few-slaves"
    assert (await client.node(node_mac(1))).node.bonds == []


async def test_mtu_of_a_nic_is_set_checked_and_applied(master, client, make_app) -> None:
    from fueltui.tui.screens.prompt import PromptScreen

    app = await open_map(master, client, make_app, ["controller"], LAYOUT, nics=4)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=4)
        screen.col = column_of(screen, "eth1").index
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen), "the MTU prompt")
        await pilot.press(*"67", "enter")
        await settle(pilot, lambda: app.screen is screen, "the page again")
        assert screen.last_refusal is not None and screen.last_refusal.code == "mtu-invalid"
        assert screen.mtu == {}
        await pilot.press("t")
        await settle(pilot, lambda: isinstance(app.screen, PromptScreen), "the MTU prompt")
        await pilot.press(*"9000", "enter")
        await settle(pilot, lambda: screen.mtu == {"eth1": 9000}, "the MTU taken")
        assert "mtu 9000" in column_of(screen, "eth1").render().plain.splitlines()[2]
        await pilot.press("ctrl+s")
        node = await stored_node(pilot, client, lambda n: n.mtu, "the MTU stored")
        assert node.mtu == {"eth1": 9000}


async def test_a_second_bond_of_the_same_name_is_refused_by_the_core_rule(master, client, make_app) -> None:
    app = await open_map(master, client, make_app, ["controller"], LAYOUT, nics=6)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await columns_ready(pilot, app, nics=6)
        await open_bond_dialog(pilot, app, screen, "eth1")
        await pilot.press("enter")
        await settle(pilot, lambda: screen.query(BondColumn), "the bond column")
        assert [b.name for b in screen.bonds] == ["bond0"]
        dialog = await open_bond_dialog(pilot, app, screen, "eth3", "the second bond dialog")
        await pilot.press(*["backspace"] * 8, *"bond0", "enter")
        await settle(pilot, lambda: dialog.refusal is not None, "the refusal in the dialog")
        assert dialog.refusal is not None and dialog.refusal.code == "bond-name-invalid"
        assert "two bonds named bond0" in dialog.refusal.message
        assert [b.name for b in screen.bonds] == ["bond0"]
