"""Page 6: running verification and reading its node × NIC × network matrix."""

from __future__ import annotations

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from fueltui.core.releases import default_release
from fueltui.core.verifyplan import Missing, build_plan
from fueltui.tui.screens.verify import VerifyScreen
from tui.conftest import discover, node_mac, place
from tui.test_environments import settle

LAYOUT = {"eth0": ["fuelweb_admin", "management", "storage", "private"], "eth1": ["public"]}


async def test_verify_runs_and_highlights_what_is_missing(master, client, make_app, scripted) -> None:
    await client.create_environment("prod")
    for i in (1, 2):
        await place(client, discover(master, i), "prod", ["controller"], LAYOUT)
    env = (await client.environment("prod")).environment
    nodes = [r.node for r in await client.nodes()]
    plan = build_plan(env, default_release(), nodes)
    gap = Missing(
        node="node-2",
        node_mac=node_mac(2),
        nic="eth0",
        mac=node_mac(2),
        network="management",
        vlan=101,
        missing=["node-1"],
    )
    scripted.result.update(
        {
            "ok": False,
            "summary": "1 NIC/network pair missed peers",
            "plan": plan.model_dump(),
            "missing": [gap.model_dump()],
            "dhcp": [{"address": "10.20.0.77", "mac": "52:54:00:de:ad:01"}],
            "dhcp_error": None,
            "skipped": {},
            "errors": {},
        }
    )
    app = make_app(client, start="verify", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        await pilot.press("v")
        await settle(pilot, lambda: scripted.started, "the verification task")
        scripted.finish()
        table = screen.query_one("#verify-table", DataTable)
        await settle(pilot, lambda: table.row_count == 4, "a row per node and NIC")
        cells = {
            (str(table.get_cell_at(Coordinate(r, 0))), str(table.get_cell_at(Coordinate(r, 1)))): r
            for r in range(4)
        }
        management = [str(c.label) for c in table.ordered_columns].index("management")
        assert str(table.get_cell_at(Coordinate(cells[("node-2", "eth0")], management))).startswith("✗ v101")
        assert str(table.get_cell_at(Coordinate(cells[("node-1", "eth0")], management))) == "✓ ok"
        assert str(table.get_cell_at(Coordinate(cells[("node-1", "eth1")], management))) == ""
        dhcp = str(screen.query_one("#verify-dhcp", Static).render())
        assert "10.20.0.77" in dhcp and "✗" in dhcp


def plan_and_gap(env, nodes) -> tuple[dict[str, object], Missing]:
    plan = build_plan(env, default_release(), nodes)
    gap = Missing(
        node="node-2", node_mac=node_mac(2), nic="eth0", mac=node_mac(2),
        network="management", vlan=101, missing=["node-1"],
    )  # fmt: skip
    return plan.model_dump(), gap


async def test_the_matrix_flags_both_sides_and_lone_networks(master, client, make_app, scripted) -> None:
    """Item 12: the header does not say ✓ when pairs are missing; the peer that never heard the
    blamed NIC is flagged too; a network on one node only is "alone", not "✓ ok"."""
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod", ["controller"], LAYOUT)
    await place(client, discover(master, 2), "prod", ["compute"], {"eth0": LAYOUT["eth0"]})
    env = (await client.environment("prod")).environment
    plan, gap = plan_and_gap(env, [r.node for r in await client.nodes()])
    heard = {
        "node-1": {"eth0": {"0": ["node-2/eth0"], "101": [], "102": ["node-2/eth0"]}, "eth1": {}},
        "node-2": {"eth0": {"0": ["node-1/eth0"], "101": [], "102": ["node-1/eth0"]}},
    }
    scripted.result.update(
        {"ok": False, "summary": "1 NIC/network pair missed peers", "plan": plan,
         "missing": [gap.model_dump()], "heard": heard, "dhcp": [], "dhcp_error": None, "skipped": {},
         "errors": {}}
    )  # fmt: skip
    app = make_app(client, start="verify", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, VerifyScreen)
        await pilot.press("v")
        await settle(pilot, lambda: scripted.started, "the verification task")
        scripted.finish()
        table = screen.query_one("#verify-table", DataTable)
        await settle(pilot, lambda: table.row_count == 3, "a row per node and NIC")
        rows = {
            (str(table.get_cell_at(Coordinate(r, 0))), str(table.get_cell_at(Coordinate(r, 1)))): r
            for r in range(3)
        }
        columns = [str(c.label) for c in table.ordered_columns]

        def cell(node: str, nic: str, net: str) -> str:
            return str(table.get_cell_at(Coordinate(rows[(node, nic)], columns.index(net))))

        assert cell("node-2", "eth0", "management").startswith("✗ v101")
        assert cell("node-1", "eth0", "management") == "! unheard -1"  # it never heard node-2
        assert cell("node-1", "eth0", "storage") == "✓ ok"
        assert cell("node-1", "eth1", "public") == "– alone"
        status = str(screen.query_one("#verify-status").render())
        assert status.startswith("✗ verify failed") and "✓" not in status

        # A new run: the old matrix stays, marked as stale.
        scripted.result.clear()
        await pilot.press("v")
        await settle(pilot, lambda: len(scripted.started) == 2, "the second run")
        title = screen.query_one("#verify-title")
        await settle(pilot, lambda: "STALE" in str(title.render()), "the stale mark")
        assert scripted.started[0] in str(title.render())
        scripted.finish()
