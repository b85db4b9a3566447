"""Page 8: node and task logs from the master, past deployments too, with search and levels."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from fueltui.tui.screens.logs import LogsScreen
from polling import async_wait_until
from tui.conftest import discover, place
from tui.test_environments import settle


async def test_logs_of_a_past_deployment_with_search_and_level(master, client, make_app, scripted) -> None:
    await client.create_environment("prod")
    mac = discover(master, 1)
    await place(client, mac, "prod", ["controller"])
    task = await client.deploy("prod")
    scripted.say(mac, "apt: installing nova-api")
    scripted.say(mac, "WARNING: slow mirror")
    scripted.say(mac, "ERROR: nova-api failed to start")
    scripted.finish()

    async def finished() -> bool:
        return (await client.task(task.id)).status.finished

    await async_wait_until(finished, what="the deployment finished")
    app = make_app(client, start="logs", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        listing = screen.query_one("#log-sources", OptionList)
        await settle(pilot, lambda: listing.option_count >= 4, "nodes and tasks listed")
        listing.focus()
        index = next(
            i for i in range(listing.option_count) if listing.get_option_at_index(i).id == f"task:{task.id}"
        )
        listing.highlighted = index
        await settle(
            pilot, lambda: any("nova-api failed" in line for line in screen.shown_lines()), "the task log"
        )
        assert len(screen.shown_lines()) >= 4
        await pilot.press("l")  # warnings and errors
        await settle(
            pilot, lambda: not any("installing" in line for line in screen.shown_lines()), "level filter"
        )
        assert any("slow mirror" in line for line in screen.shown_lines())
        await pilot.press("l")  # errors only
        await settle(
            pilot, lambda: not any("slow mirror" in line for line in screen.shown_lines()), "errors only"
        )
        await pilot.press("l", "slash", *"mirror")
        await settle(
            pilot, lambda: screen.shown_lines() and all("mirror" in x for x in screen.shown_lines()), "search"
        )
        await pilot.press("escape")
        listing.highlighted = next(
            i for i in range(listing.option_count) if listing.get_option_at_index(i).id == f"node:{mac}"
        )
        screen.query_one("#log-search", Input).value = ""
        await settle(
            pilot,
            lambda: any("node_config (upload_file) started" in line for line in screen.shown_lines()),
            "the node's own log",
        )
        assert str(screen.query_one("#log-title", Static).content).startswith(f"node-1 ({mac})")
        # item 14: a task's lines name the node, not its 17-character MAC
        listing.highlighted = next(
            i for i in range(listing.option_count) if listing.get_option_at_index(i).id == f"task:{task.id}"
        )
        await settle(pilot, lambda: any("[node-1] apt" in x for x in screen.shown_lines()), "named lines")
        assert not any(f"[{mac}]" in line for line in screen.shown_lines())
