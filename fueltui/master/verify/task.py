"""The `verify` task: probe the environment's wiring for real and say which NIC is wrong.

Params: `nodes` — admin MACs to verify (default: every node of the environment). Result:
`ok` (every expected peer heard, every node probed), `missing` (list of
`{node, node_mac, nic, mac, network, vlan, missing}`, see `fueltui.core.verifyplan`),
`dhcp` (foreign DHCP servers `{address, mac, offered}`), `heard` (node name -> NIC -> VLAN
-> the "peer/NIC" it heard), `signature` (of the network
settings and NIC assignments verified, for the deploy gate), `plan`, `skipped` (nodes not
probed: offline, untrusted, without address), `errors` (per node), `seconds` (in all),
`probe_seconds` (the L2 probes alone; the DHCP check runs alongside).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from fueltui.api.schema import VerifyRequest
from fueltui.api.tasks import DhcpServerSeen, ProbeFailure, VerifyResult
from fueltui.core.model import Node
from fueltui.core.verifyplan import build_plan, compare, network_signature
from fueltui.master.tasks import TaskContext, TaskFailed
from fueltui.master.verify.dhcp_check import check_dhcp_async
from fueltui.master.verify.probes import FanoutLike, ProbeRun, Timing
from fueltui.settings import settings

KIND = "verify"
# Long enough for servers that ping an address before offering it (dnsmasq waits up to 3 s).
DHCP_TIMEOUT = settings().verify_dhcp_timeout


def _shared_fanout(state_dir: Path) -> FanoutLike:
    from fueltui.ssh.fanout import shared_fanout

    return shared_fanout(state_dir)


# The master's one fan-out (its key, pinned host keys, open connections) unless a test
# swaps it; a swapped-in fan-out is closed after the run, the shared one stays open.
fanout_factory: Callable[[Path], FanoutLike] = _shared_fanout
timing = Timing()


def _selected(ctx: TaskContext[VerifyRequest], nodes: list[Node]) -> list[Node]:
    wanted = ctx.request.nodes
    if not wanted:
        return nodes
    macs = {str(m).lower() for m in wanted}
    return [n for n in nodes if n.mac in macs]


def _skip_reason(node: Node) -> str | None:
    if node.untrusted:
        return "untrusted (its host key changed)"
    if not node.online:
        return "offline"
    if not node.ip:
        return "no admin address"
    return None


async def handle_verify(ctx: TaskContext[VerifyRequest]) -> VerifyResult:
    if ctx.env_name is None:
        raise TaskFailed("verification needs an environment")
    started = time.monotonic()
    env = ctx.store.environment(ctx.env_name).environment
    release = ctx.store.release(env.release)
    all_nodes = [r.node for r in ctx.store.nodes(env.name)]
    chosen = _selected(ctx, all_nodes)
    skipped = {n.name: reason for n in chosen if (reason := _skip_reason(n)) is not None}
    probed = [n for n in chosen if n.name not in skipped]
    for name, reason in sorted(skipped.items()):
        await ctx.log(None, f"{name} is not verified: {reason}")
    if len(probed) < 2:
        also = f" ({len(skipped)} offline, untrusted or without address)" if skipped else ""
        raise TaskFailed(
            f"network verification needs at least two online nodes in {env.name!r}; "
            f"{len(probed)} can be probed{also}"
        )
    plan = build_plan(env, release, probed)
    # Only a verification of every node of the environment opens the deploy gate: a run on
    # `--nodes A,B` says nothing about the wiring of the others.
    complete = {n.mac for n in probed} == {n.mac for n in all_nodes}
    signature = network_signature(env, all_nodes) if complete else None
    await ctx.set_progress(5, f"verifying {len(probed)} nodes")
    for node in probed:
        await ctx.set_node(node.mac, status="running", progress=0, task="verify networks")

    dhcp_job = asyncio.create_task(_dhcp(ctx))
    fanout = fanout_factory(ctx.state_dir)
    try:
        run = ProbeRun(
            fanout,
            plan,
            {n.mac: str(n.ip) for n in probed},
            ctx.task_id,
            ctx.log,
            ctx.set_progress,
            timing,
        )
        probe_started = time.monotonic()
        heard = await run.run()
        probe_seconds = time.monotonic() - probe_started
    finally:
        close = getattr(fanout, "close", None)
        if close is not None and fanout_factory is not _shared_fanout:
            await close()
    dhcp, dhcp_error = await dhcp_job

    missing = compare(plan, heard)
    names = {n.mac: n.name for n in probed}
    heard_by_name = {
        names[mac]: {
            nic: {
                str(vlan): sorted(f"{names.get(p, p)}/{p_nic}" for p, p_nic in peers)
                for vlan, peers in vlans.items()
            }
            for nic, vlans in sorted(per_nic.items())
        }
        for mac, per_nic in heard.items()
    }
    errors = {
        n.name: {"failure": run.nodes[n.mac].failure, "nics": run.nodes[n.mac].errors}
        for n in probed
        if run.nodes[n.mac].failure or run.nodes[n.mac].errors
    }
    blamed = {m.node_mac for m in missing}
    for node in probed:
        state = run.nodes[node.mac]
        bad = state.failure or node.mac in blamed
        message = state.failure or ("missed peers" if node.mac in blamed else "heard every peer")
        await ctx.set_node(node.mac, status="error" if bad else "done", progress=100, message=message)
    for m in missing:
        await ctx.log(
            m.node_mac,
            f"verification: {m.nic} ({m.mac}) did not hear {', '.join(m.missing)} on {m.network} "
            f"({'untagged' if m.vlan == 0 else f'VLAN {m.vlan}'})",
        )
    for server in dhcp:
        where = f"{server['address']} ({server['mac']})"
        await ctx.log(None, f"WARNING: foreign DHCP server {where} answers on the admin network")
    # A rogue-DHCP check that could not run proves nothing: the verification fails with it
    # (a wrong admin interface once disabled the check silently, run after run).
    ok = not missing and not skipped and not errors and not dhcp_error
    summary = (
        "every NIC heard its peers"
        if not missing
        else f"{len(missing)} NIC/network pair{'s' if len(missing) != 1 else ''} missed peers"
    )
    if dhcp_error:
        summary += f"; DHCP check not run: {dhcp_error}"
    if dhcp:
        summary += f"; {len(dhcp)} foreign DHCP server{'s' if len(dhcp) != 1 else ''}"
    await ctx.set_progress(100, summary)
    return VerifyResult(
        ok=ok,
        summary=summary,
        missing=missing,
        dhcp=[DhcpServerSeen.model_validate(server) for server in dhcp],
        dhcp_error=dhcp_error,
        signature=signature,
        complete=complete,
        plan=plan,
        heard=heard_by_name,
        skipped=skipped,
        errors={name: ProbeFailure.model_validate(error) for name, error in errors.items()},
        seconds=round(time.monotonic() - started, 3),
        probe_seconds=round(probe_seconds, 3),
    )


async def _dhcp(ctx: TaskContext[VerifyRequest]) -> tuple[list[dict[str, str | None]], str | None]:
    options = ctx.store.boot_options().options
    if options is None:
        await ctx.log(None, "DHCP check skipped: the master's admin interface is not set up")
        return [], "the master's admin interface is not set up"
    try:
        servers = await check_dhcp_async(options.interface, DHCP_TIMEOUT)
    except OSError as exc:
        message = f"DHCP check on {options.interface} failed: {exc.strerror or exc}"
        await ctx.log(None, message)
        return [], message
    return [s.as_dict() for s in servers], None
