"""Provisioning as the first phase of a deploy (Fuel's order): every node of the deployment
still running the bootstrap gets the release's OS, reboots into it, and is back on it
before the deployment graph starts anywhere.

Which node does what is decided here from the node alone (`plan_phase`), so a stopped or
interrupted deploy that runs again provisions nobody twice: a node whose status says its
disk holds the OS (provisioned, deploying, ready) is only waited for."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from fueltui.core.bootscript import BOOTSTRAP_OS_PREFIX
from fueltui.core.model import Node, NodeStatus, Release
from fueltui.master.store import Store
from fueltui.settings import settings

log = logging.getLogger(__name__)

PARALLEL = 3  # writing an OS image is disk and network bound: a few at once, like Fuel's
BACK_TIMEOUT = 900.0  # a reboot under TCG took ~2 min; real servers' firmware can take 10
POLL = 2.0
_ON_DISK = {NodeStatus.provisioned, NodeStatus.deploying, NodeStatus.ready}

SetNode = Callable[..., Awaitable[None]]
Say = Callable[[str, str], Awaitable[None]]


def in_bootstrap(node: Node) -> bool:
    return (node.facts.os or "").startswith(BOOTSTRAP_OS_PREFIX)


def runs_release_os(node: Node, release: Release) -> bool:
    return release.os is not None and (node.facts.os or "").startswith(release.os.pretty_name)


@dataclass
class PhasePlan:
    provision: list[Node] = field(default_factory=list)  # in the bootstrap: write the OS
    await_os: list[Node] = field(default_factory=list)  # OS written, not seen running it yet
    skip: list[Node] = field(default_factory=list)  # already on an OS (the namespace lab's nodes)

    @property
    def empty(self) -> bool:
        return not self.provision and not self.await_os


def plan_phase(targets: list[Node], release: Release) -> PhasePlan:
    plan = PhasePlan()
    for node in targets:
        if runs_release_os(node, release) or not in_bootstrap(node):
            plan.skip.append(node)
        elif node.status in _ON_DISK:
            plan.await_os.append(node)  # it was rebooting when the last deploy stopped
        else:
            plan.provision.append(node)
    return plan


def parallel_limit() -> int:
    return max(1, int(settings().provision_parallel or PARALLEL))


# Progress of one node's provisioning, by the line it last said (see provision.provision_node).
_STEPS = (("packing", 5), ("partitioning", 10), ("rebooting", 60))


class PhaseFailed(RuntimeError):
    def __init__(self, failed: dict[str, str]) -> None:
        self.failed = failed
        super().__init__("provisioning failed: " + "; ".join(f"{m}: {e}" for m, e in failed.items()))


async def wait_back_on_os(
    store: Store, mac: str, release: Release, timeout: float = BACK_TIMEOUT, poll: float = POLL
) -> Node:
    """Until discovery sees the node running the release's OS under its pinned key."""
    deadline = time.monotonic() + timeout
    while True:
        node = store.node(mac).node
        if node.untrusted:
            raise RuntimeError(f"came back with a host key that is not the one pinned for it: {node.error}")
        if runs_release_os(node, release) and node.online:
            return node
        if time.monotonic() > deadline:
            seen = node.facts.os or "nothing"
            raise RuntimeError(f"not back on {release.os.pretty_name if release.os else 'its OS'} "
                               f"after {timeout:.0f} s (last seen running {seen})")  # fmt: skip
        await asyncio.sleep(poll)


async def run_phase(
    store: Store,
    state_dir: Path,
    plan: PhasePlan,
    release: Release,
    set_node: SetNode,
    say: Say,
    stop: asyncio.Event,
    *,
    back_timeout: float = BACK_TIMEOUT,
) -> dict[str, str]:
    """Provision (bounded in parallel) and wait for every node of the plan; returns the
    nodes that failed, by MAC, with why. Stop: running provisionings finish, none starts."""
    from fueltui.master.pxe.provision import provision_node
    from fueltui.ssh.fanout import shared_fanout

    fanout = shared_fanout(state_dir)
    gate = asyncio.Semaphore(parallel_limit())
    failed: dict[str, str] = {}

    async def one(node: Node, write: bool) -> None:
        mac = node.mac

        async def said(text: str) -> None:
            await say(mac, text)
            step = next((p for word, p in _STEPS if text.startswith(word)), None)
            if step is not None:
                await set_node(mac, status="provisioning", progress=step, task="provision", message=text)

        try:
            if write:
                async with gate:
                    if stop.is_set():
                        await set_node(mac, status="stopped", message="stopped before provisioning")
                        return
                    await set_node(mac, status="provisioning", progress=0, task="provision",
                                   message="provisioning")  # fmt: skip
                    await provision_node(fanout, store, state_dir, mac, said)
            await set_node(mac, status="provisioned", progress=70, task="provision",
                           message="provisioned: waiting for it to boot its disk")  # fmt: skip
            back = await wait_back_on_os(store, mac, release, back_timeout)
            await say(mac, f"back on {back.facts.os} at {back.ip}")
            await set_node(mac, status="provisioned", progress=100, task="provision",
                           message=f"provisioned: runs {back.facts.os}")  # fmt: skip
        except Exception as exc:  # one node's failure is that node's, reported, not a traceback
            log.warning("provisioning %s failed: %s", mac, exc)
            reason = str(exc) or type(exc).__name__
            failed[mac] = reason
            await say(mac, f"provisioning failed: {reason}")
            with contextlib.suppress(Exception):
                store.set_node_status(mac, NodeStatus.error.value, f"provisioning: {reason}"[:500])
            await set_node(mac, status="error", task="provision", message=f"provisioning failed: {reason}")

    await asyncio.gather(*(one(n, True) for n in plan.provision), *(one(n, False) for n in plan.await_os))
    return failed
