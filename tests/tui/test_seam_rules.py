"""The NICs page asks the core's rule (nic_sets_match) whether marked nodes can be edited
together — the same NIC names and the PXE NIC in the same place — and re-implements none."""

from __future__ import annotations

from polling import async_wait_until
from tui.conftest import discover, node_facts, node_mac, place


async def test_bulk_refuses_nodes_whose_pxe_nic_differs(master, client, make_app) -> None:
    await client.create_environment("prod")
    await place(client, discover(master, 1), "prod")
    mac = discover(master, 2)
    facts = node_facts(2)
    flipped = [nic.model_copy(update={"pxe": nic.name == "eth1"}) for nic in facts.nics]
    master.state.store.upsert_discovered(mac, "10.20.0.130", facts.model_copy(update={"nics": flipped}))
    await place(client, mac, "prod")
    app = make_app(client, start="interfaces", env_name="prod")
    app.selected_macs = [node_mac(1), node_mac(2)]
    async with app.run_test(size=(80, 24)) as pilot:

        async def warned() -> bool:
            await pilot.pause()
            return any("identical NIC sets" in n.message for n in app._notifications)

        await async_wait_until(warned, what="the bulk refusal")
        assert len(app.screen.targets) == 1  # same NIC names, but PXE on another NIC: one at a time
