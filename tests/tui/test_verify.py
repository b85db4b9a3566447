"""Page 6: running verification and reading its node × NIC × network matrix."""

from __future__ import annotations

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
            "skipped": [],
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
        cells = {(str(table.get_cell_at((r, 0))), str(table.get_cell_at((r, 1)))): r for r in range(4)}
        management = [str(c.label) for c in table.ordered_columns].index("management")
        assert str(table.get_cell_at((cells[("node-2", "eth0")], management))).startswith("✗ v101")
        assert str(table.get_cell_at((cells[("node-1", "eth0")], management))) == "✓ ok"
        assert str(table.get_cell_at((cells[("node-1", "eth1")], management))) == ""
        dhcp = str(screen.query_one("#verify-dhcp", Static).render())
        assert "10.20.0.77" in dhcp and "✗" in dhcp
