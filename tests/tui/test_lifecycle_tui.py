"""Deploy Changes on the Deploy page, the notifications badge and list, at 80×24 against a
real master (Textual's Pilot)."""

from __future__ import annotations

from fueltui.master.deploy.changes import record_deployed
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.deploy import DeployScreen
from fueltui.tui.screens.notifications import NotificationsScreen
from fueltui.tui.widgets.navbar import NavBar
from polling import async_wait_until
from tui.conftest import discover
from tui.test_deploy import two_nodes
from tui.test_environments import settle


def summary(app) -> str:
    return str(app.screen.query_one("#deploy-summary").render())


def bar(app) -> str:
    """The nav bar of the page on top (under the list while it is open)."""
    page = next(s for s in reversed(app.screen_stack) if s.query(NavBar))
    return str(page.query_one(NavBar).render())


async def test_deploy_changes_counted_and_listed_before_confirming(master, client, make_app) -> None:
    ctl, cmp = await two_nodes(master, client)
    app = make_app(client, start="deploy", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(pilot, lambda: "Deploy Changes (2)" in summary(app), "the count in the summary")
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        question = str(app.screen.query_one(".question").render())
        detail = str(app.screen.query_one("#confirm-detail").render())
        assert question.startswith("Deploy ") and " prod" in question  # (maybe: without a verification)
        assert "2 pending change(s):" in detail
        assert "add      node-1  (not deployed yet)" in detail and "add      node-2" in detail
        await pilot.press("n")
        await settle(pilot, lambda: app.screen is screen, "the dialog closed")
        assert [t for t in await client.tasks("prod")] == []  # cancelled: nothing started

        # Deployed as configured (what a successful deploy records): nothing is pending.
        store = master.state.store
        for mac in (ctl, cmp):
            store.set_node_status(mac, "ready")
        env = store.environment("prod").environment
        members = [r.node for r in store.nodes("prod")]
        record_deployed(store, env, store.release(env.release), members, [ctl, cmp], whole=True)
        screen.schedule_reload()
        await settle(pilot, lambda: "Nothing to deploy." in summary(app), "nothing pending")
        await pilot.press("d")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        assert str(app.screen.query_one(".question").render()) == "Nothing to deploy in prod."
        assert "No pending changes" in str(app.screen.query_one("#confirm-detail").render())
        assert [str(b.label) for b in app.screen.query("Button")] == ["Close (n)"]
        await pilot.press("y")  # no one-key yes to nothing
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")


async def test_badge_counts_unread_and_the_list_marks_them_read(master, client, make_app) -> None:
    await client.create_environment("prod")
    discover(master, 1)
    discover(master, 2)
    app = make_app(client, start="master", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, lambda: "✉2" in bar(app), "the badge")
        assert len(bar(app)) <= 80 and bar(app).rstrip().endswith("env: prod")
        # ctrl+n works even while a field of the Master page has the focus.
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the list")
        notes = app.screen

        def listed() -> str:
            options = notes.query_one("#notes-list")
            return "\n".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))

        await settle(pilot, lambda: "node node-2 discovered" in listed(), "the notifications")
        assert "● " in listed() and "node node-1 discovered" in listed()
        await settle(pilot, lambda: "✉" not in bar(app), "the badge out")
        assert (await client.notifications()).unread == 0
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, NotificationsScreen), "the list closed")

        discover(master, 3)  # live: the stream brings the new count
        await settle(pilot, lambda: "✉1" in bar(app), "the badge back")
        await pilot.press("4")  # every page's bar shows it
        await settle(pilot, lambda: app.current_mode == "nodes" and "✉1" in bar(app), "on the Nodes page")
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: isinstance(app.screen, NotificationsScreen), "the list again")
        await pilot.press("a")  # unread only: nothing now, it was just marked read

        async def read() -> bool:
            return (await client.notifications()).unread == 0

        await async_wait_until(read, what="marked read")
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: not isinstance(app.screen, NotificationsScreen), "closed with ctrl+n")
