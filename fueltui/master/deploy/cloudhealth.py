"""The `health` task (Fuel's Health Check tab): OSTF-style sanity and smoke tests of the cloud.

Params: `groups` — ["sanity", "smoke"] by default. The tests run on the primary controller
(`fueltui.core.payload.health`); each one's status, duration and message is streamed to the
controller's log and kept in the result: `tests` (list), `passed`, `failed`, `ok`, `seconds`.
It also runs at the end of every deploy: a failed health check fails the deploy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from fueltui.api.schema import HealthRequest
from fueltui.api.tasks import HealthResult
from fueltui.core.graph import deploy_roles
from fueltui.core.model import GraphTask
from fueltui.core.nodeconfig import NodeConfig, node_configs
from fueltui.core.payload.health import parse_ostf_line, render_health
from fueltui.core.payload.nodeview import NodeView
from fueltui.master.deploy.payload import attach_payload
from fueltui.master.deploy.runners import FanoutRunner, NodeLost, NodeRunner
from fueltui.master.deploy.tasktypes import run_task
from fueltui.master.tasks import TaskContext, TaskFailed

KIND = "health"
GROUPS = ("sanity", "smoke")
TIMEOUT = 1200.0


def _default_fanout(state_dir: Path) -> object:
    from fueltui.ssh.fanout import Fanout

    return Fanout.from_state_dir(state_dir)


fanout_factory: Callable[[Path], object] = _default_fanout


def summary(tests: list[dict[str, object]]) -> dict[str, object]:
    passed = sum(1 for t in tests if t["status"] == "passed")
    failed = sum(1 for t in tests if t["status"] == "failed")
    return {"tests": tests, "passed": passed, "failed": failed, "ok": bool(tests) and failed == 0}


async def run_health(
    runner: NodeRunner,
    cfg: NodeConfig,
    groups: list[str],
    on_line: Callable[[str], None],
) -> dict[str, object]:
    """Run the checks on the primary controller through `runner`; never raises for a failed
    test (that is the result), only for a controller that cannot be reached."""
    tests: list[dict[str, object]] = []

    def line(_stream: str, text: str) -> None:
        entry = parse_ostf_line(text)
        if entry is None:
            on_line(text)
            return
        tests.append(entry)
        mark = {"passed": "ok  ", "skipped": "skip"}.get(str(entry["status"]), "FAIL")
        on_line(f"health {mark} {entry['group']}: {entry['name']} ({entry['duration']} s) {entry['message']}")

    task = GraphTask(
        id="health", type="script", roles=["primary-controller"], parameters={"source": "health"}
    )
    started = time.monotonic()
    error = await run_task(
        task, runner, None, lambda _s: render_health(NodeView.of(cfg), groups), TIMEOUT, line
    )
    result = summary(tests)
    result["seconds"] = round(time.monotonic() - started, 1)
    if error and not tests:
        result["error"] = error
    return result


def primary_config(ctx: TaskContext) -> tuple[str, str, NodeConfig]:
    """The primary controller's (mac, address, config with the payload) of the environment."""
    assert ctx.env_name is not None
    env = ctx.store.environment(ctx.env_name).environment
    release = ctx.store.release(env.release)
    members = [r.node for r in ctx.store.nodes(ctx.env_name) if r.node.roles]
    primaries = [name for name, meta in release.roles.items() if meta.has_primary]
    roles = deploy_roles([(n.name, n.roles) for n in members], primaries)
    primary = next((n for n in members if "primary-controller" in roles[n.name]), None)
    if primary is None or not primary.ip:
        raise TaskFailed(f"environment {ctx.env_name} has no controller to check from")
    configs = node_configs(env, release, members)
    boot = ctx.store.boot_options().options
    controllers = [primary.name]
    configs = attach_payload(
        ctx.state_dir, env, release, members, configs, controllers, boot.ip if boot else None
    )
    cfg = configs[primary.mac]
    if cfg.payload is None:
        raise TaskFailed(
            f"environment {ctx.env_name} has no OpenStack payload to check (release {release.id})"
        )
    return primary.mac, primary.ip, cfg


async def check_cloud(
    ctx: TaskContext,
    mac: str,
    host: str,
    cfg: NodeConfig,
    groups: list[str],
    factory: Callable[[Path], object] | None = None,
) -> dict[str, object]:
    """The checks on the primary controller at `host`, over a fan-out of their own (a deploy
    has closed its connections by then); every line goes to that node's log, in order."""
    fanout = (factory or fanout_factory)(ctx.state_dir)
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    def on_line(text: str) -> None:
        task = loop.create_task(ctx.log(mac, text))  # in order: each is one synchronous append
        pending.add(task)
        task.add_done_callback(pending.discard)

    try:
        return await run_health(FanoutRunner(fanout, host), cfg, groups, on_line)
    finally:
        await asyncio.sleep(0)  # the last lines' writes
        close = getattr(fanout, "close", None)
        if close is not None:
            await close()


async def handle_health(ctx: TaskContext[HealthRequest]) -> HealthResult:
    if ctx.env_name is None:
        raise TaskFailed("a health check needs an environment")
    groups: list[str] = list(ctx.request.groups or GROUPS)  # the declaration admits only GROUPS
    mac, ip, cfg = primary_config(ctx)
    await ctx.set_node(mac, status="running", task="health check", progress=0)
    try:
        result = await check_cloud(ctx, mac, ip, cfg, groups)
    except NodeLost as exc:
        raise TaskFailed(f"the controller cannot be reached: {exc}") from exc
    message = f"{result['passed']} passed, {result['failed']} failed"
    await ctx.set_node(mac, status="done" if result["ok"] else "error", progress=100, message=message)
    await ctx.set_progress(100, message)
    if not result["ok"]:
        raise TaskFailed(
            f"health check: {message}" + (f" ({result['error']})" if "error" in result else ""), result
        )
    return HealthResult.model_validate(result)
