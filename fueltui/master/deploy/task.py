"""The `deploy` task: the orchestrator plugged into the master's task framework.

Params: `nodes` — admin MACs to deploy (default: every node of the environment that has
a role); naming nodes redeploys them from scratch, unless this run resumes an earlier one
(`retry`, or resuming a stopped/interrupted task), which skips what already succeeded;
`skip_verify` — for the verification gate (see `checks`); `untagged` — put tagged networks
on bare NICs (automatic in the lab, whose kernel has no 802.1Q); `base_only` — the base
graph without the OpenStack payload. Nodes still in the bootstrap are provisioned first
(`fueltui.master.pxe.phase`).

The task ends `done` only when every node is `ready` and the health check passed; then
its result holds every node's outcome and every health pair. Otherwise it ends `error`
and each node's line of the task record says what went wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from fueltui.api.tasks import DeployParams, DeployResult
from fueltui.core.graph import GraphError, deploy_roles, graph_for_release
from fueltui.core.model import EnvStatus, Node
from fueltui.core.nodeconfig import node_configs
from fueltui.master.deploy.changes import record_deployed
from fueltui.master.deploy.checks import PredeployContext, deploy_untagged, predeploy_findings
from fueltui.master.deploy.engine import Orchestrator
from fueltui.master.deploy.envstatus import bystander_results, bystanders, env_status_now
from fueltui.master.deploy.health import summary as health_summary
from fueltui.master.deploy.nodes import DeployNode
from fueltui.master.deploy.payload import attach_payload
from fueltui.master.deploy.removal import remove_pending
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.deploy.runners import FanoutRunner, LocalRunner, NodeRunner
from fueltui.master.errors import Conflict, Invalid
from fueltui.master.store import Store
from fueltui.master.tasks import TaskContext, TaskFailed

KIND = "deploy"
STORE_STATUS = {"deploying": "deploying", "ready": "ready", "error": "error"}


def _default_fanout(state_dir: Path) -> object:
    from fueltui.ssh.fanout import Fanout

    return Fanout.from_state_dir(state_dir)


# Tests may swap this; the master uses its state directory's key and pinned host keys.
fanout_factory: Callable[[Path], object] = _default_fanout


class ContextSink:
    """Reports of the orchestrator, written to the task record, the logs and the store."""

    def __init__(self, ctx: TaskContext) -> None:
        self.ctx = ctx

    async def log(self, mac: str | None, lines: list[str]) -> None:
        await self.ctx.log(mac, "\n".join(lines))

    async def node(
        self,
        mac: str,
        *,
        status: str | None = None,
        progress: int | None = None,
        task: str | None = None,
        message: str | None = None,
    ) -> None:
        await self.ctx.set_node(mac, status=status, progress=progress, task=task, message=message)
        store = self.ctx.store
        if status in STORE_STATUS:
            store.set_node_status(mac, STORE_STATUS[status], message if status == "error" else None)
        elif status == "stopped" and store.node(mac).node.status == "deploying":
            store.set_node_status(mac, "provisioned", None)

    async def progress(self, progress: int, message: str) -> None:
        await self.ctx.set_progress(progress, message)


def controller_names(roles: dict[str, list[str]]) -> list[str]:
    """Controllers by name, the primary first."""
    found = [name for name, r in roles.items() if "primary-controller" in r]
    return found + sorted(name for name, r in roles.items() if "controller" in r and name not in found)


def selected_nodes(params: dict[str, object], nodes: list[Node]) -> list[Node]:
    wanted = params.get("nodes")
    if wanted:
        macs = {str(m).lower() for m in wanted} if isinstance(wanted, list) else set()
        return [n for n in nodes if n.mac in macs]
    return [n for n in nodes if n.roles]


def precheck(store: Store, env_name: str, params: dict[str, object]) -> PredeployContext:
    """Load what a deployment needs; raise `Invalid` (422, with findings) when refused."""
    env = store.environment(env_name).environment
    release = store.release(env.release)
    nodes = [r.node for r in store.nodes(env_name) if not r.node.pending_deletion]  # see `removal`
    wanted = params.get("nodes")
    targets = selected_nodes(params, nodes)
    if wanted and isinstance(wanted, list) and len(targets) != len(wanted):
        known = {n.mac for n in nodes}
        strangers = ", ".join(str(m) for m in wanted if str(m).lower() not in known)
        raise Invalid(f"not nodes of environment {env_name}: {strangers}", code="unknown-nodes")
    pctx = PredeployContext(
        store=store, env=env, release=release, nodes=nodes, targets=targets, params=params
    )
    findings = predeploy_findings(pctx)
    if findings:
        summary = "; ".join(f.message for f in findings[:3]) + (" …" if len(findings) > 3 else "")
        raise Invalid(f"deploy refused: {summary}", code="deploy-refused", findings=findings)
    return pctx


def refuse_early(store: Store, env_name: str | None, params: dict[str, object]) -> None:
    """The API's check before a deploy task is created: a refusal is a 422 with findings."""
    if env_name is not None:
        precheck(store, env_name, params)


def set_env_status(store: Store, env_name: str, status: EnvStatus) -> None:
    for _ in range(5):  # an operator may be editing at the same time: reread and try again
        record = store.environment(env_name)
        if record.environment.status == status:
            return
        try:
            store.update_environment(
                record.environment.model_copy(update={"status": status}), record.revision
            )
            return
        except Conflict:
            continue


async def handle_deploy(ctx: TaskContext[DeployParams]) -> DeployResult:
    if ctx.env_name is None:
        raise TaskFailed("a deployment needs an environment")
    try:
        pctx = precheck(ctx.store, ctx.env_name, ctx.params)
    except Invalid as exc:
        for finding in exc.findings or []:
            await ctx.log(None, f"refused: {finding.path}: {finding.message}")
        raise
    skip_note = _skip_note(ctx)
    if skip_note:
        await ctx.log(None, skip_note)
    for mac, line in bystanders(pctx.nodes, pctx.targets).items():  # every node shows
        await ctx.set_node(mac, **line)  # type: ignore[arg-type]
    pctx = await _provision_first(ctx, pctx)
    try:
        graph = graph_for_release(pctx.release)
    except GraphError as exc:
        raise TaskFailed(str(exc)) from exc

    members = [n for n in pctx.nodes if n.roles]
    configs = node_configs(pctx.env, pctx.release, members, apply_vlans=not deploy_untagged(ctx.params))
    primaries = [name for name, meta in pctx.release.roles.items() if meta.has_primary]
    roles = deploy_roles([(n.name, n.roles) for n in members], primaries)
    boot = ctx.store.boot_options().options
    # `base_only`: the base graph without the OpenStack payload (the VM tests: too slow under TCG).
    configs = attach_payload(
        ctx.state_dir,
        pctx.env,
        pctx.release,
        members,
        configs,
        controller_names(roles),
        boot.ip if boot and not ctx.params.get("base_only") else None,
    )

    fanout = fanout_factory(ctx.state_dir)
    env_vars = {"FUELTUI_ENV": pctx.env.name}

    def master_runner(node: DeployNode) -> NodeRunner:
        ip = next((n.ip or "" for n in pctx.targets if n.mac == node.mac), "")
        names = {"FUELTUI_NODE_NAME": node.name, "FUELTUI_NODE_MAC": node.mac, "FUELTUI_NODE_IP": ip}
        return LocalRunner(env={**env_vars, **names})

    nodes = [
        DeployNode(
            mac=n.mac,
            name=n.name,
            roles=roles[n.name],
            config=configs[n.mac],
            runner=FanoutRunner(fanout, str(n.ip)),
        )
        for n in pctx.targets
    ]
    resumed = ctx.resumed_from is not None or bool(ctx.params.get("resume"))
    orchestrator = Orchestrator(
        graph,
        nodes,
        ContextSink(ctx),
        ResumeState.for_environment(ctx.state_dir, pctx.env.name),
        stop=ctx.stop_requested,
        master_runner=master_runner,
        force=bool(ctx.params.get("nodes")) and not resumed,
    )
    set_env_status(ctx.store, pctx.env.name, EnvStatus.deploying)
    removed = [r.node for r in ctx.store.nodes(pctx.env.name) if r.node.pending_deletion]
    try:
        await remove_pending(ctx, pctx.release, members, removed, fanout)
        result = await orchestrator.run()
    except asyncio.CancelledError:
        set_env_status(ctx.store, pctx.env.name, EnvStatus.stopped)
        raise
    finally:
        close = getattr(fanout, "close", None)
        if close is not None:
            await close()
    await _report_health(ctx, orchestrator)
    ready = [mac for mac, o in orchestrator.outcomes.items() if o.status == "ready"]
    whole = bool(result["ready"] and result["health_ok"]) and not result["stopped"]
    record_deployed(ctx.store, pctx.env, pctx.release, members, ready, whole)
    if skip_note:
        result["skip_verify"] = skip_note
    nodes_result = result["nodes"]
    assert isinstance(nodes_result, dict)
    nodes_result.update(bystander_results(pctx.nodes, pctx.targets))
    if result["stopped"]:
        set_env_status(ctx.store, pctx.env.name, EnvStatus.stopped)
        return DeployResult.model_validate(result)
    if result["ready"] and result["health_ok"]:
        cloud = await _cloud_health(ctx, nodes, fanout_factory)
        if cloud is not None:
            result["cloud_health"] = cloud
        if cloud is None or cloud["ok"]:
            # The environment is what all its nodes are, not only the ones deployed now.
            set_env_status(ctx.store, pctx.env.name, env_status_now(ctx.store, pctx.env.name))
            return DeployResult.model_validate(result)
        set_env_status(ctx.store, pctx.env.name, EnvStatus.error)
        raise TaskFailed(f"health check: {cloud['passed']} passed, {cloud['failed']} failed", result=result)
    set_env_status(ctx.store, pctx.env.name, EnvStatus.error)
    failed = [o for o in orchestrator.outcomes.values() if o.status != "ready"]
    names = ", ".join(f"{o.name} ({o.status})" for o in failed) or "the health check"
    raise TaskFailed(
        f"{result['halted']}; not ready: {names}" if result["halted"] else f"not ready: {names}",
        result=result,
    )


async def _provision_first(ctx: TaskContext, pctx: PredeployContext) -> PredeployContext:
    """Phase one, in Fuel's order: the nodes still in the bootstrap get the release's OS and
    are back on it before the graph starts; then the deployment is judged again as it is now."""
    from fueltui.master.pxe.phase import plan_phase, run_phase

    plan = plan_phase(pctx.targets, pctx.release)
    for node in plan.skip:
        await ctx.log(node.mac, f"provisioning: not needed, runs {node.facts.os or 'its own OS'}")
    if plan.empty:
        return pctx
    names = {n.mac: n.name for n in pctx.targets}
    await ctx.set_progress(0, "provisioning " + ", ".join(n.name for n in plan.provision + plan.await_os))
    set_env_status(ctx.store, pctx.env.name, EnvStatus.deploying)

    async def say(mac: str, text: str) -> None:
        await ctx.log(mac, text)

    try:
        failed = await run_phase(
            ctx.store, ctx.state_dir, plan, pctx.release, ctx.set_node, say, ctx.stop_requested
        )
    except asyncio.CancelledError:
        set_env_status(ctx.store, pctx.env.name, EnvStatus.stopped)
        raise
    if failed:
        set_env_status(ctx.store, pctx.env.name, EnvStatus.error)
        why = "; ".join(f"{names.get(mac, mac)}: {reason}" for mac, reason in failed.items())
        raise TaskFailed(f"provisioning failed: {why}")
    try:
        return precheck(ctx.store, pctx.env.name, ctx.params)
    except Invalid as exc:
        set_env_status(ctx.store, pctx.env.name, EnvStatus.error)
        raise TaskFailed(f"after provisioning: {exc}") from exc


async def _cloud_health(
    ctx: TaskContext, nodes: list[DeployNode], factory: Callable[[Path], object]
) -> dict[str, object] | None:
    """Fuel's Health Check after a deploy of a cloud (None: no payload, nothing to check)."""
    from fueltui.master.deploy.cloudhealth import GROUPS, check_cloud

    primary = next((n for n in nodes if "primary-controller" in n.roles and n.config.payload), None)
    host = getattr(primary.runner, "host", None) if primary is not None else None
    if primary is None or not host:
        return None
    await ctx.set_progress(99, "health check")
    return await check_cloud(ctx, primary.mac, host, primary.config, list(GROUPS), factory)


def _skip_note(ctx: TaskContext) -> str | None:
    if not ctx.params.get("skip_verify") or ctx.env_name is None:
        return None
    from fueltui.master.verify.gate import skip_note

    return skip_note(ctx.store, ctx.env_name)


async def _report_health(ctx: TaskContext, orchestrator: Orchestrator) -> None:
    """Each node's health summary on its line of the task record (kept even on failure)."""
    for mac, outcome in orchestrator.outcomes.items():
        checks = {t.id for t in outcome.post if t.parameters.get("collect") == "health"}
        failed_elsewhere = outcome.failed_task is not None and outcome.failed_task not in checks
        if not checks or outcome.status not in ("ready", "error") or failed_elsewhere:
            continue
        message = health_summary(outcome.status, outcome.message, outcome.blamed, outcome.health)
        await ctx.set_node(mac, message=message)
