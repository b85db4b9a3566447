"""Deploying a pending deletion: the node's services leave the cloud, its configuration
leaves the node, and the node leaves the environment (discovered again).

Runs at the start of a deploy, before the other nodes are (re)configured without it. An
offline node keeps whatever is on it (a reset or reinstall clears it) but still leaves; a
clean-up that fails (the cloud's or the node's) fails the deploy, the environment is in
error and the node stays pending deletion, so the next deploy tries again.
"""

from __future__ import annotations

from fueltui.core.graph import deploy_roles
from fueltui.core.model import EnvStatus, GraphTask, Node, NodeStatus, Release
from fueltui.core.payload.removal import render_cloud_removal, render_node_cleanup, render_node_stop
from fueltui.master.deploy import changes
from fueltui.master.deploy.payload import load_secrets, mirror_key, runs_os
from fueltui.master.deploy.resume import ResumeState
from fueltui.master.deploy.runners import FanoutRunner, NodeLost
from fueltui.master.deploy.tasktypes import run_task
from fueltui.master.errors import Conflict
from fueltui.master.tasks import TaskContext, TaskFailed

TIMEOUT = 300.0


def primary_controller(release: Release, members: list[Node]) -> Node | None:
    primaries = [name for name, meta in release.roles.items() if meta.has_primary]
    roles = deploy_roles([(n.name, n.roles) for n in members], primaries)
    return next((n for n in members if "primary-controller" in roles[n.name] and n.ip), None)


def has_cloud_services(ctx: TaskContext, release: Release, node: Node) -> bool:
    """The node took the payload: the cloud knows it (the payload's secrets exist once a
    deploy built a cloud; only nodes on the release's OS get the payload)."""
    assert ctx.env_name is not None
    return (
        release.payload is not None
        and mirror_key(release) is not None
        and runs_os(node, release)
        and load_secrets(ctx.state_dir, ctx.env_name) is not None
    )


async def _script(
    ctx: TaskContext, mac: str, host: str, fanout: object, task_id: str, text: str
) -> str | None:
    task = GraphTask(id=task_id, type="script", parameters={"source": task_id})

    lines: list[str] = []  # written to the node's log once the script ends

    def line(_stream: str, value: str) -> None:
        lines.append(value)

    try:
        return await run_task(task, FanoutRunner(fanout, host), None, lambda _s: text, TIMEOUT, line)
    finally:
        if lines:
            await ctx.log(mac, "\n".join(lines))


async def remove_pending(
    ctx: TaskContext, release: Release, members: list[Node], removed: list[Node], fanout: object
) -> list[str]:
    """Clean up each pending deletion; the MACs that left the environment."""
    assert ctx.env_name is not None
    left: list[str] = []
    primary = primary_controller(release, members)
    for node in removed:
        await ctx.set_node(node.mac, status="removing", progress=0, task="remove", message="being removed")
        if has_cloud_services(ctx, release, node):
            if primary is None or not primary.ip:
                reason = "no controller is left to remove its services from the cloud"
                await ctx.set_node(node.mac, status="error", message=reason)
                raise _failed(ctx, f"{node.name} stays pending deletion: {reason}")
            if node.online and node.ip:  # stopped first: a running agent would report itself back
                await ctx.log(node.mac, f"--- stopping the cloud's services on {node.name}")
                try:
                    error = await _script(
                        ctx, node.mac, node.ip, fanout, "node-stop", render_node_stop(node.name)
                    )
                except (NodeLost, OSError, TimeoutError) as exc:
                    error = str(exc)
                if error is not None:
                    await ctx.set_node(node.mac, status="error", message=f"stopping services: {error}")
                    raise _failed(
                        ctx, f"{node.name} stays pending deletion: stopping its services failed: {error}"
                    )
            await ctx.log(
                node.mac, f"--- removing the services of {node.name} from the cloud (on {primary.name})"
            )
            try:
                error = await _script(
                    ctx, node.mac, primary.ip, fanout, "remove-node", render_cloud_removal(node.name)
                )
            except (NodeLost, OSError, TimeoutError) as exc:
                error = f"the controller cannot be reached: {exc}"
            if error is not None:
                await ctx.set_node(node.mac, status="error", message=f"cloud clean-up: {error}")
                raise _failed(ctx, f"{node.name} stays pending deletion: cloud clean-up failed: {error}")
        if node.online and node.ip:
            await ctx.log(node.mac, f"--- removing the environment's configuration from {node.name}")
            try:
                error = await _script(
                    ctx, node.mac, node.ip, fanout, "node-cleanup", render_node_cleanup(node.name, node.ip)
                )
            except (NodeLost, OSError, TimeoutError) as exc:
                error = str(exc)
            if error is not None:
                await ctx.set_node(node.mac, status="error", message=f"node clean-up: {error}")
                raise _failed(ctx, f"{node.name} stays pending deletion: node clean-up failed: {error}")
        else:  # a dead node cannot be cleaned; it must not keep the environment from changing
            await ctx.log(node.mac, f"--- {node.name} is offline: what is on it stays until it is reset")
        _leave(ctx, node.mac)
        ResumeState.for_environment(ctx.state_dir, ctx.env_name).forget(node.mac)
        changes.forget_node(ctx.store, ctx.env_name, node.mac)
        await ctx.set_node(
            node.mac, status="removed", progress=100, task="", message="removed: discovered again"
        )
        left.append(node.mac)
    return left


def _failed(ctx: TaskContext, message: str) -> TaskFailed:
    """The deploy ends here; the environment is in error (not left `deploying`)."""
    if ctx.env_name is not None:
        ctx.store.set_environment_status(ctx.env_name, EnvStatus.error)
    return TaskFailed(message)


def _leave(ctx: TaskContext, mac: str) -> None:
    """The node is unassigned, as a discovered one (an operator may be editing it: retry)."""
    for _ in range(5):
        record = ctx.store.node(mac)
        node = record.node.model_copy(
            update={
                "environment": None,
                "roles": [],
                "interfaces": {},
                "pending_deletion": False,
                "status": NodeStatus.discover,
                "error": None,
            }
        )
        try:
            ctx.store.update_node(node, record.revision)
            return
        except Conflict:
            continue
    raise TaskFailed(f"node {mac} kept changing; it stays pending deletion")
