"""Page 7: deploy panes fed by the master's live stream, and reattaching with history."""

from __future__ import annotations

from textual.widgets import OptionList

from fueltui.tui.screens.deploy import DeployScreen, grid_shape
from fueltui.tui.widgets.nodepane import NodePane
from polling import async_wait_until
from tui.conftest import discover, node_mac, place
from tui.test_environments import settle


async def two_nodes(master, client) -> tuple[str, str]:
    await client.create_environment("prod")
    first, second = discover(master, 1), discover(master, 2)
    admin = ["fuelweb_admin", "management", "storage", "private"]
    await place(client, first, "prod", ["controller"], {"eth0": admin, "eth1": ["public"]})
    await place(client, second, "prod", ["compute"], {"eth0": admin})
    return first, second


def pane_text(screen: DeployScreen, mac: str) -> str:
    pane = screen.panes().get(mac)
    return pane.shown_text() if pane else ""


async def test_deploy_panes_receive_streamed_lines(master, client, make_app, scripted) -> None:
    first, second = await two_nodes(master, client)
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(
            pilot,
            lambda: "networks" in str(screen.query_one("#deploy-summary").render()),
            "the summary",
        )
        await pilot.press("d")
        await settle(pilot, lambda: app.screen is not screen, "the deploy dialog")
        await pilot.press("y")
        await settle(pilot, lambda: len(screen.panes()) == 2, "a pane per node")
        assert screen.layout_kind == "grid"
        await settle(
            pilot,
            lambda: "node_config (upload_file) started" in pane_text(screen, first),
            "the first line in node-1's pane",
        )
        scripted.say(second, "puppet: applying catalog on node-2")
        await settle(
            pilot, lambda: "applying catalog on node-2" in pane_text(screen, second), "a streamed line"
        )
        assert "node-2" not in pane_text(screen, first)
        await settle(
            pilot,
            lambda: "puppet" in str(screen.panes()[second].query_one(".pane-head").render()),
            "the current task in the pane head",
        )
        scripted.finish()
        await settle(
            pilot,
            lambda: screen.deploy_task is not None and screen.deploy_task.status.value == "done",
            "the deployment finished",
        )


async def test_reopening_reattaches_with_the_history(master, client, make_app, scripted) -> None:
    first, _ = await two_nodes(master, client)
    task = await client.deploy("prod")
    for n in range(5):
        scripted.say(first, f"history line {n}")

    async def logged() -> bool:
        chunk = await client.node_log(first, 0, task.id)
        return any("history line 4" in line for line in chunk.entries)

    await async_wait_until(logged, what="history on the master")
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(pilot, lambda: "history line 4" in pane_text(screen, first), "the history in the pane")
        assert "history line 0" in pane_text(screen, first)
        scripted.say(first, "after the reattach")
        await settle(
            pilot, lambda: "after the reattach" in pane_text(screen, first), "live lines after reattach"
        )
    scripted.finish()


async def test_many_nodes_become_a_list_with_one_pane(master, client, make_app, scripted) -> None:
    await client.create_environment("prod")
    for i in range(1, 7):
        await place(client, discover(master, i), "prod", ["compute"])
    await client.deploy("prod")
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(pilot, lambda: screen.layout_kind == "list", "the list layout")
        assert len(screen.query(NodePane)) == 1
        listing = screen.query_one("#pane-list", OptionList)
        listing.focus()
        await pilot.press("down", "down")
        await settle(pilot, lambda: screen.focused_mac == node_mac(3), "the third node focused")
        scripted.say(node_mac(3), "line for the focused pane")
        scripted.say(node_mac(5), "line for a hidden pane")
        await settle(
            pilot, lambda: "focused pane" in pane_text(screen, node_mac(3)), "line in the focused pane"
        )
        await settle(
            pilot, lambda: any("hidden pane" in x for x in screen.states[node_mac(5)].lines), "buffered"
        )
        await pilot.press("s")
        await settle(
            pilot, lambda: screen.deploy_task is not None and screen.deploy_task.status.finished, "stopped"
        )


async def test_the_summary_follows_changes_and_shows_blocking_findings(master, client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        summary = app.screen.query_one("#deploy-summary")
        await settle(pilot, lambda: "blocking finding" in str(summary.render()), "the blocking findings")
        assert "0 node(s)" in str(summary.render())
        await place(client, discover(master, 1), "prod", ["controller"])
        await settle(pilot, lambda: "1 node(s)" in str(summary.render()), "the summary after a node joined")


def test_grid_when_it_fits_list_when_it_does_not() -> None:
    assert grid_shape(2, 80, 24) == (2, 1)
    assert grid_shape(6, 80, 24) is None
    assert grid_shape(30, 200, 60) == (5, 6)
    assert grid_shape(0, 80, 24) is None


async def test_a_stream_overflow_reloads_the_page(master, client, make_app, scripted) -> None:
    """Item 9: a TUI that fell behind gets `stream.overflow` from the master; like a reset, it
    must reload, or the page stays on "running" after the master says done."""
    from fueltui.api.events import StreamOverflow
    from fueltui.tui.messages import MasterEvent

    await two_nodes(master, client)
    await client.deploy("prod")
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(pilot, lambda: len(screen.panes()) == 2, "the running deployment")
        app.workers.cancel_group(app, "events")  # the TUI falls behind: it hears nothing more
        app.master = None
        scripted.finish()

        async def finished() -> bool:
            tasks = await client.tasks("prod")
            return tasks[-1].status.value == "done"

        await async_wait_until(finished, what="the deployment done on the master")
        await pilot.pause()
        assert screen.deploy_task is not None and screen.deploy_task.status.value == "running"
        app.master = client
        screen.post_message(MasterEvent.of(StreamOverflow()))
        await settle(
            pilot,
            lambda: screen.deploy_task is not None and screen.deploy_task.status.value == "done",
            "the page reloaded after the overflow",
        )


async def test_a_pane_updated_before_it_is_mounted_is_no_error(make_app) -> None:
    """Item 10: progress arriving between a pane's mount and its compose raised NoMatches."""
    from fueltui.tui.widgets.nodepane import NodeLines

    app = make_app(None, start="deploy")
    async with app.run_test(size=(80, 24)) as pilot:
        state = NodeLines()
        state.status, state.progress = "running", 40
        pane = NodePane("52:54:00:aa:00:01", "ctl-1", state)
        mounting = app.screen.query_one("#panes").mount(pane)
        pane.update_status()  # found by screen.panes() already, not composed yet
        pane.show_node("52:54:00:aa:00:01", "ctl-1", state)
        await mounting
        await pilot.pause()
        assert "ctl-1 running 40%" in str(pane.query_one(".pane-head").render())


async def test_the_deploy_dialog_shows_the_predeploy_answer(master, client, make_app, scripted) -> None:
    """Item 11: never verified → the dialog says so (not "no blocking findings"), shows the
    warnings, and offers "deploy anyway", which deploys with skip_verify as the CLI's flag does."""
    from fueltui.tui.screens.confirm import ConfirmScreen

    await two_nodes(master, client)
    expected = await client.predeploy("prod")
    assert [f.code for f in expected if f.severity == "error"] == ["network-not-verified"]
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        summary = screen.query_one("#deploy-summary")
        await settle(pilot, lambda: "not verified" in str(summary.render()), "the verification state")
        assert "no blocking" not in str(summary.render())
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        dialog = app.screen
        detail = str(dialog.query_one("#confirm-detail").render())
        assert "networks not verified" in detail and "never verified" in detail
        assert "--skip-verify" not in detail and "Deploy anyway" in detail
        for warning in (f for f in expected if f.severity == "warning"):
            assert warning.code in detail
        assert "Deploy anyway (skip verification)" in str(dialog.query_one("#yes").render())
        await pilot.press("y")
        await settle(pilot, lambda: bool(scripted.started), "the deployment started")
    task = await client.task(scripted.started[0])
    assert task.params.get("skip_verify") is True


async def test_a_blocked_deploy_offers_no_deploy_button(client, make_app) -> None:
    from fueltui.tui.screens.confirm import ConfirmScreen

    await client.create_environment("prod")
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        assert "cannot be deployed yet" in str(app.screen.query_one(".question").render())
        assert "no-nodes" in str(app.screen.query_one("#confirm-detail").render())
        assert not app.screen.query("#yes")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)  # y agrees to nothing here
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
    assert await client.tasks("prod") == []


async def test_a_failure_reason_wraps_in_its_pane(master, client, make_app, scripted) -> None:
    """Item 14: the reason a node failed was cut at the pane's width (~38 columns)."""
    first, second = await two_nodes(master, client)
    scripted.fail = {second}
    await client.deploy("prod")
    scripted.finish()
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(
            pilot,
            lambda: screen.states.get(second) is not None and screen.states[second].status == "error",
            "x",
        )
        await settle(pilot, lambda: second in screen.panes(), "the pane")
        pane = screen.panes()[second]
        await pilot.pause()
        reason = pane.query_one(".pane-reason")
        assert reason.display and "exited with status 1" in str(reason.render())
        assert reason.region.width <= pane.region.width
        assert not screen.panes()[first].query_one(".pane-reason").display


async def test_a_long_line_is_folded_to_the_pane_not_cut(make_app) -> None:
    """Issue 11: a line wider than its pane lost its end (an error's reason, a path)."""
    from fueltui.tui.widgets.nodepane import CONTINUED, NodeLines

    app = make_app(None, start="deploy")
    async with app.run_test(size=(80, 24)) as pilot:
        state = NodeLines()
        tail = "the-end-of-the-reason"
        state.add(["short", "x" * 150 + tail])
        pane = NodePane("52:54:00:aa:00:01", "ctl-1", state)
        await app.screen.query_one("#panes").mount(pane)
        await pilot.pause()
        await pilot.pause()
        log = pane.log_view
        shown = [log.lines[i] for i in range(log.line_count)]
        width = log.content_region.width
        assert shown[0] == "short" and len(shown) >= 3, shown
        assert all(len(line) <= width for line in shown), (width, shown)
        assert shown[2].startswith(CONTINUED)
        assert pane.shown_text() == "short\n" + "x" * 150 + tail
