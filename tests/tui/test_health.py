"""Page 8: Fuel's Health Check tab and the cloud handed over, at 80×24 against a real master.

The cloud exists for the master when the release's mirror key, the master's address and the
environment's secrets are there (what a deploy leaves behind); the tests put exactly those in
place — the mirror in a temporary folder — and record health results through the master's
store. A real check needs a deployed cloud; where a test runs one, a scripted `health`
handler logs the same lines and returns the same result shape."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Markdown, Static

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.client.api import MasterClient
from fueltui.core.environment import new_environment
from fueltui.core.ipalloc import allocate
from fueltui.core.model import EnvStatus, Node, NodeFacts
from fueltui.core.nodeconfig import node_configs
from fueltui.core.payload.data import PayloadSecrets, build_payload
from fueltui.core.payload.health import OSTF_MARK
from fueltui.core.releases import default_release
from fueltui.master.deploy.cloudhealth import run_health
from fueltui.master.deploy.payload import ensure_secrets
from fueltui.master.deploy.runners import LineCallback
from fueltui.mirror.paths import KEY_FILE, repo_dir
from fueltui.tui.app import FuelApp
from fueltui.tui.screens.deploy import DeployScreen
from fueltui.tui.screens.health import HealthScreen, OpenrcScreen
from fueltui.tui.screens.help import HelpScreen
from fueltui.tui.widgets.handover import CloudLine
from fueltui.tui.widgets.healthtable import parse_log_line
from masterfixtures import RunningMaster
from tui.recorded import Script, Shot, discover_machines, install_scripted_handlers, mac_of
from tui.test_environments import settle
from tui.test_shell import palette_offers
from tui.test_snapshots import app_for, prepare

FAILURE = (
    "instance ostf-cmp-2 got no DHCP lease on ostf-net within 120 s: port 3f2a is DOWN on cmp-2 "
    "(the OVS agent has not wired it yet)"
)
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
RELEASE = default_release()
# One controller and two computes, as the payload's lab deploys them (the release offers no
# Cinder yet, so the recorded environment of the other pages cannot be applied here).
ANSWERS = """\
master:
  interface: eth0
  ip: 10.20.0.2
  netmask: 255.255.255.0
  gateway: 10.20.0.1
  dns: [10.20.0.1]
  hostname: fuel.example.com
  ntp: [pool.ntp.org]
  dhcp_pool: {start: 10.20.0.129, end: 10.20.0.254}
environment:
  name: lab
  mode: neutron-gre
nodes:
  - {mac: "52:54:00:aa:00:01", name: ctl-1, roles: [controller],
     interfaces: {eth0: [fuelweb_admin, management, storage, private], eth1: [public]}}
  - {mac: "52:54:00:aa:00:02", name: cmp-1, roles: [compute],
     interfaces: {eth0: [fuelweb_admin, management, storage, private]}}
  - {mac: "52:54:00:aa:00:03", name: cmp-2, roles: [compute],
     interfaces: {eth0: [fuelweb_admin, management, storage, private]}}
"""


def test(name: str, group: str, status: str, duration: float, message: str = "") -> dict[str, str | float]:
    ident = re.sub(r"\W+", "_", name.lower())
    return {
        "id": ident,
        "name": name,
        "group": group,
        "status": status,
        "duration": duration,
        "message": message,
    }


test.__test__ = False  # type: ignore[attr-defined]  # a helper, not a pytest test

HEALTH_TESTS = [
    test("Keystone issues a token on the public VIP", "sanity", "passed", 0.6),
    test("Every catalog endpoint answers", "sanity", "passed", 2.1),
    test("Nova services are up", "sanity", "passed", 0.9),
    test("Instances on each compute reach each other", "smoke", "failed", 131.4, FAILURE),
    test("Floating IP answers ping", "smoke", "skipped", 0.0, "needs the instances"),
]


def result(tests: Sequence[Mapping[str, object]]) -> dict[str, object]:
    passed = sum(1 for t in tests if t["status"] == "passed")
    failed = sum(1 for t in tests if t["status"] == "failed")
    return {"tests": tests, "passed": passed, "failed": failed, "ok": failed == 0, "seconds": 140.0}


def record(master: RunningMaster, ident: str, kind: str, at: datetime, res: dict[str, object]) -> None:
    """A finished task as the master would have kept it."""
    checked = res if kind == "health" else res["cloud_health"]
    ok = isinstance(checked, dict) and checked["ok"] is True
    master.state.store.save_task(
        TaskRecord(
            id=ident,
            kind=kind,
            env="lab",
            status=TaskStatus.done if ok else TaskStatus.error,
            progress=100,
            message="done" if ok else "health check failed",
            result=res,
            created=at,
            started=at,
            finished=at + timedelta(minutes=3),
        )
    )


async def seed(client: MasterClient, master: RunningMaster) -> None:
    """The environment `lab` with its nodes and the master's address, not yet deployed."""
    discover_machines(master.state.store)
    applied = await client.apply(ANSWERS, source="health.yaml")
    assert not [f for f in applied.findings if f.severity == "error"]


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The release's mirror as `fueltui mirror sync` leaves it, as far as the cloud needs it."""
    monkeypatch.setenv("FUELTUI_MIRROR_DIR", str(tmp_path / "mirror"))
    os_image = default_release().os
    assert os_image is not None
    folder = repo_dir(os_image.name)
    folder.mkdir(parents=True)
    (folder / KEY_FILE).write_text("-----BEGIN PGP PUBLIC KEY BLOCK-----\n")
    return folder


def give_cloud(master: RunningMaster, operational: bool = True) -> str:
    """What a deploy leaves: nodes on the release's OS, the environment's secrets (and its
    status); the admin password."""
    store = master.state.store
    for record in store.nodes("lab"):  # only nodes that run the release's OS carry a cloud
        node = record.node
        facts = node.facts.model_copy(update={"os": "Debian GNU/Linux 13 (trixie)"})
        store.upsert_discovered(node.mac, node.ip or "", facts)
    password = ensure_secrets(master.state.state_dir, "lab")["admin"]
    if operational:
        current = store.environment("lab")
        store.update_environment(
            current.environment.model_copy(update={"status": EnvStatus.operational}), current.revision
        )
    return password


SVG_TEXT = re.compile(
    r'<text [^>]*x="([\d.]+)"[^>]*clip-path="url\(#terminal-(?:\d+-)?line-(\d+)\)">([^<]*)</text>'
)
CELL_WIDTH = 12.2  # Rich's SVG export: one terminal cell, in pixels


def screen_text(app: FuelApp) -> str:
    """What the terminal shows, line by line, from the same picture a snapshot stores."""
    grid: dict[int, list[str]] = {}
    for x, number, content in SVG_TEXT.findall(app.export_screenshot()):
        row = grid.setdefault(int(number), [" "] * 200)
        for offset, char in enumerate(html.unescape(content).replace("\xa0", " ")):
            row[round(float(x) / CELL_WIDTH) + offset] = char
    return "\n".join("".join(grid[n]).rstrip() for n in sorted(grid))


def words(text: str) -> str:
    """Wrapped lines joined back into one line of words."""
    return " ".join(text.split())


async def health_page(pilot, app: FuelApp) -> HealthScreen:
    screen = app.screen
    assert isinstance(screen, HealthScreen)
    await settle(
        pilot, lambda: screen.has_cloud is not None or screen.health_run is not None, "the page's data"
    )
    return screen


def cells(table: DataTable) -> list[list[str]]:
    return [
        [str(table.get_cell_at(Coordinate(r, c))) for c in range(len(table.columns))]
        for r in range(table.row_count)
    ]


async def test_rows_summary_failure_and_the_password_only_on_request(
    master, client, make_app, mirror
) -> None:
    await seed(client, master)
    password = give_cloud(master)
    older = result([test("Nova services are up", "sanity", "failed", 0.2, "nova-compute down")])
    record(master, "dep-old", "deploy", T0, {"cloud_health": older})
    record(master, "hc-new", "health", T0 + timedelta(hours=1), result(HEALTH_TESTS))
    app = make_app(client, start="health", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await health_page(pilot, app)
        table = screen.query_one("#health-table", DataTable)
        await settle(pilot, lambda: table.row_count == 5, "a row per test of the newest check")
        rows = cells(table)
        assert [r[0] for r in rows] == ["✓ pass", "✓ pass", "✓ pass", "✗ FAIL", "- skip"]
        assert [r[1] for r in rows] == ["sanity"] * 3 + ["smoke"] * 2
        assert rows[3][3] == "131.4s" and rows[3][2].startswith("Instances on each")
        status = str(screen.query_one("#health-status", Static).render())
        assert "✗ failed: 3 passed, 1 failed" in status and "health check" in status
        # The failure's whole message is reachable: the detail line of the selected row.
        table.focus()
        await pilot.press("down", "down", "down")
        await settle(pilot, lambda: table.cursor_row == 3, "the failed test selected")
        detail = str(screen.query_one("#health-detail", Static).render())
        assert "✗ FAIL" in detail and FAILURE in detail.replace("\n", " ")
        # The cloud handed over: where to log in, and the command that prints the password.
        line = screen.query_one(CloudLine)
        assert line.display and line.cloud is not None
        shown = screen_text(app)
        assert line.cloud.horizon_url in shown and "fueltui openrc lab" in shown
        assert "3 passed, 1 failed" in shown and "port 3f2a is DOWN" in words(shown)
        assert password not in shown
        await pilot.press("o")
        await settle(pilot, lambda: isinstance(app.screen, OpenrcScreen), "the openrc modal")
        await settle(pilot, lambda: password in screen_text(app), "the openrc with its password")
        assert "OS_AUTH_URL" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, HealthScreen), "the modal closed")
        assert password not in screen_text(app)


async def test_a_newer_deploy_result_wins_and_a_finished_check_is_passed(
    master, client, make_app, mirror
) -> None:
    await seed(client, master)
    give_cloud(master)
    record(master, "hc-old", "health", T0, result(HEALTH_TESTS))
    passed = [t for t in HEALTH_TESTS if t["status"] == "passed"]
    record(master, "dep-new", "deploy", T0 + timedelta(hours=1), {"cloud_health": result(passed)})
    app = make_app(client, start="health", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await health_page(pilot, app)
        table = screen.query_one("#health-table", DataTable)
        await settle(pilot, lambda: table.row_count == 3, "the deploy's health rows")
        assert all(r[0] == "✓ pass" for r in cells(table))
        status = str(screen.query_one("#health-status", Static).render())
        assert status.startswith("✓ passed: 3 passed, 0 failed (after deploy")


async def test_no_cloud_says_deploy_first_and_shows_no_openrc(master, client, make_app, mirror) -> None:
    await seed(client, master)  # no deploy yet: no secrets, no cloud
    app = make_app(client, start="health", env_name="lab")
    notes: list[str] = []
    app.notify = lambda message, **kw: notes.append(str(message))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await health_page(pilot, app)
        await settle(pilot, lambda: screen.has_cloud is False, "the master's answer: no cloud")
        shown = screen_text(app)
        assert "lab has no cloud yet: deploy it first" in shown
        assert "No health check of lab yet" in shown
        assert not screen.query_one(CloudLine).display
        await pilot.press("o")
        await settle(pilot, lambda: any("no cloud yet" in n for n in notes), "the refusal")
        assert isinstance(app.screen, HealthScreen)


@pytest.fixture
def health_script(master: RunningMaster):
    script = Script()
    restore = install_scripted_handlers(master.state.tasks, script, kinds=("health",))
    yield script
    script.finish()
    restore()


async def test_r_and_s_start_checks_whose_rows_update_live(
    master, client, make_app, mirror, health_script
) -> None:
    await seed(client, master)
    give_cloud(master)
    ctl = mac_of(1)
    app = make_app(client, start="health", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await health_page(pilot, app)
        table = screen.query_one("#health-table", DataTable)
        status = screen.query_one("#health-status", Static)
        await pilot.press("r")
        await settle(pilot, lambda: len(health_script.started) == 1, "a health task")
        first = await client.task(health_script.started[0])
        assert first.kind == "health" and first.env == "lab" and first.params["groups"] is None
        await settle(pilot, lambda: "running" in str(status.render()), "the header saying it runs")
        health_script.say(ctl, "health ok   sanity: Keystone issues a token on the public VIP (0.6 s) ")
        health_script.say(
            ctl, f"health FAIL smoke: Instances on each compute reach each other (131.4 s) {FAILURE}"
        )
        await settle(pilot, lambda: table.row_count == 2, "two rows while the check runs")
        assert [r[0] for r in cells(table)] == ["✓ pass", "✗ FAIL"]
        assert "1 passed, 1 failed so far" in str(status.render())
        health_script.result = result(HEALTH_TESTS)
        health_script.finish()
        await settle(pilot, lambda: table.row_count == 5, "the finished check's result")
        assert "✗ failed: 3 passed, 1 failed" in str(status.render())
        await pilot.press("s")
        await settle(pilot, lambda: len(health_script.started) == 2, "a sanity-only task")
        assert (await client.task(health_script.started[1])).params["groups"] == ["sanity"]


async def test_the_deploy_page_ends_with_the_cloud_once_operational(master, client, make_app, mirror) -> None:
    await seed(client, master)
    password = ensure_secrets(master.state.state_dir, "lab")["admin"]  # a cloud, not yet operational
    app = make_app(client, start="deploy", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await settle(pilot, lambda: screen.names, "the deploy summary")
        line = screen.query_one(CloudLine)
        assert not line.display
        give_cloud(master)  # the deploy's end: the environment is operational (an env.changed event)
        await settle(pilot, lambda: line.display, "the hand-over line")
        shown = screen_text(app)
        assert line.cloud is not None and line.cloud.keystone_url in shown
        assert "password: fueltui openrc lab" in shown and password not in shown


def _ready(app: object) -> bool:
    screen = app.screen  # type: ignore[attr-defined]
    return screen.query_one("#health-table", DataTable).row_count == 5 and bool(screen.has_cloud)


def test_health_page_snapshot(snap_compare, master: RunningMaster, mirror) -> None:
    async def seeded() -> None:
        async with await MasterClient.connect(master.base, autostart=False) as client:
            await seed(client, master)

    asyncio.run(seeded())
    give_cloud(master)
    record(master, "hc-recorded", "health", T0, result(HEALTH_TESTS))
    app = app_for(master, "health")
    shot = Shot("health", _ready, lambda app: app.screen.query_one("#health-table").move_cursor(row=3))  # type: ignore[attr-defined]
    assert snap_compare(app, run_before=prepare(shot))
    assert not app.guarded_errors


async def test_every_page_still_fits_the_nav_bar(client: MasterClient, make_app) -> None:
    """Nine pages at 80 columns: every page's key, the current page's label, the env's name."""
    app = make_app(client, start="health", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        plain = str(app.screen.query_one("#navbar").render())
        assert "[8 Health]" in plain
        assert all(f" {key} " in plain for key in "1234567") and " 9 " in plain
        assert plain.endswith("lab") and len(plain) <= 80


async def test_the_palette_and_help_offer_the_checks(master, client, make_app, mirror, health_script) -> None:
    await seed(client, master)
    give_cloud(master)
    app = make_app(client, start="health", env_name="lab")
    async with app.run_test(size=(80, 24)) as pilot:
        await health_page(pilot, app)
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        body = app.screen.query_one(Markdown).source
        assert "`r` Run all" in body and "`s` Run sanity" in body and "`o` Openrc" in body
        assert "`9 or F10` go to Logs" in body
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, HealthScreen), "help closed")
        await pilot.press("ctrl+p")
        await pilot.press(*"run sanity")
        await settle(pilot, lambda: palette_offers(app, "sanity"), "the palette's match")
        await pilot.press("enter")
        await settle(pilot, lambda: len(health_script.started) == 1, "a check from the palette")
        assert (await client.task(health_script.started[0])).params["groups"] == ["sanity"]


async def test_the_page_reads_the_lines_the_master_logs_for_each_test() -> None:
    """The live rows parse what `cloudhealth.run_health` logs: the two must agree."""
    env = new_environment("demo", RELEASE, "neutron-gre")
    nics = [{"name": f"eth{i}", "mac": f"52:54:00:00:01:0{i}", "pxe": i == 0} for i in range(5)]
    networks = ["fuelweb_admin", "public", "management", "storage", "private"]
    ctl = Node(
        mac="52:54:00:00:01:00",
        name="ctl-1",
        ip="10.20.0.131",
        roles=["controller"],
        facts=NodeFacts.model_validate({"nics": nics}),
        environment="demo",
        interfaces={f"eth{i}": [net] for i, net in enumerate(networks)},
    )
    cfg = node_configs(env, RELEASE, [ctl], apply_vlans=False)[ctl.mac]
    vips = allocate(env, RELEASE, [ctl]).vips
    data = build_payload(env, RELEASE, vips, ["ctl-1"], "10.20.0.2", "KEY", PayloadSecrets.generate())
    assert data is not None
    tests = [{**t, "duration": float(t["duration"])} for t in HEALTH_TESTS if t["status"] != "skipped"]

    class Controller:
        """Answers the health script with one OSTF line per test, as the real script prints."""

        async def put_file(self, path: str, data: bytes, mode: int) -> None:
            assert b"sanity" in data

        async def run(self, command: str, on_line: LineCallback, timeout: float | None) -> int:
            for entry in tests:
                on_line("stdout", OSTF_MARK + json.dumps(entry))
            return 0

        async def end_leftovers(self, on_line: LineCallback) -> None:
            raise AssertionError("the health check ends nothing it did not start")

        async def file_state(self, path: str, timeout: float) -> tuple[str, int] | None:
            raise AssertionError("the health check reads no file's state")

    logged: list[str] = []
    res = await run_health(
        Controller(), cfg.model_copy(update={"payload": data}), ["sanity", "smoke"], logged.append
    )
    assert res["passed"] == 3 and res["failed"] == 1
    parsed = [parse_log_line(f"03:04:05 [52:54:00:00:01:00] {line}") for line in logged]
    assert [(p.name, p.group, p.status, p.duration, p.message) for p in parsed if p] == [
        (t["name"], t["group"], t["status"], t["duration"], t["message"]) for t in tests
    ]


def test_a_log_line_names_its_test_and_other_lines_are_ignored() -> None:
    line = "03:04:05 health skip smoke: Floating IP answers ping (0.0 s) needs the instances"
    parsed = parse_log_line(line)
    assert parsed is not None and (parsed.status, parsed.message) == ("skipped", "needs the instances")
    assert parse_log_line("03:04:05 payload_keystone: changed /etc/keystone/keystone.conf") is None
