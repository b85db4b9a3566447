"""Page 3: network settings with the core's findings at the field, saved on a real master."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from fueltui.tui.screens.networks import NetworksScreen
from polling import async_wait_until
from tui.test_environments import settle

PUBLIC_GW = "environment.networks.public.gateway"
MGMT_VLAN = "environment.networks.management.vlan"


async def opened(pilot, app) -> NetworksScreen:
    screen = app.screen
    assert isinstance(screen, NetworksScreen)
    await settle(pilot, lambda: PUBLIC_GW in screen.paths, "the network form")
    return screen


def field(screen: NetworksScreen, path: str) -> Input:
    return screen.query_one(f"#in-{screen.paths[path]}", Input)


async def test_findings_appear_at_the_field_as_typed(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="networks", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        assert screen.field_codes(PUBLIC_GW) == []
        field(screen, PUBLIC_GW).value = "10.9.9.9"
        await pilot.pause()
        assert any(code.startswith("gateway") for code in screen.field_codes(PUBLIC_GW))
        field(screen, MGMT_VLAN).value = "tag"
        await pilot.pause()
        assert screen.field_codes(MGMT_VLAN) == ["value-invalid"]


async def test_save_stores_the_networks_on_the_master(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="networks", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        field(screen, MGMT_VLAN).value = "201"
        field(screen, "environment.networks.storage.vlan").value = ""
        await pilot.press("ctrl+s")

        async def saved() -> bool:
            await pilot.pause()
            env = (await client.environment("prod")).environment
            return env.networks["management"].vlan == 201 and env.networks["storage"].vlan is None

        await async_wait_until(saved, what="the saved networks on the master")


async def test_save_is_refused_while_a_shape_is_wrong(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="networks", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        field(screen, "environment.neutron.floating_ranges").value = "172.16.0.130"
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: any("Fix the marked" in n.message for n in app._notifications), "refusal")
        assert (await client.environment("prod")).revision == 1


async def test_save_is_refused_while_a_finding_blocks(client, make_app) -> None:
    """Item 16: Fuel refused to save invalid network settings; so does the page."""
    await client.create_environment("prod")
    app = make_app(client, start="networks", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        field(screen, PUBLIC_GW).value = "10.9.9.9"  # outside the public network
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: any("Not saved" in n.message for n in app._notifications), "refusal")
        assert any(code.startswith("gateway") for code in screen.field_codes(PUBLIC_GW))
        assert (await client.environment("prod")).revision == 1
        assert screen.has_unsaved()  # what was typed is kept to be fixed


async def test_leaving_the_page_keeps_unsaved_edits(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="networks", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot, app)
        assert not screen.has_unsaved()
        field(screen, MGMT_VLAN).value = "333"
        await pilot.pause()
        await pilot.press("f3")  # environments
        await settle(pilot, lambda: app.current_mode == "environments", "another page")
        await pilot.press("f4")
        await settle(pilot, lambda: app.current_mode == "networks", "back")
        await pilot.pause()
        assert field(screen, MGMT_VLAN).value == "333" and screen.has_unsaved()


@pytest.mark.parametrize("mode", ["neutron-vlan", "nova-network"])
async def test_every_mode_has_its_form_and_saves_unchanged(client, make_app, mode: str) -> None:
    await client.create_environment("env", mode=mode)
    app = make_app(client, start="networks", env_name="env")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, NetworksScreen)
        await settle(pilot, lambda: "environment.networks.management.vlan" in screen.paths, "the form")
        expected = (
            "environment.neutron.vlan_range"
            if mode == "neutron-vlan"
            else "environment.nova_network.net_manager"
        )
        assert expected in screen.paths
        assert screen.read_form() == ((await client.environment("env")).environment, [])
        await pilot.press("ctrl+s")

        async def saved() -> bool:
            await pilot.pause()
            return (await client.environment("env")).revision == 2

        await async_wait_until(saved, what="an unchanged save")
