"""Reset environment (Fuel's action): every node back to the bootstrap with its disks wiped,
ready to be provisioned again, and the environment's deploy state cleared (its nodes keep
their roles and NICs: Fuel's "pending addition").

Task kind `reset` (an environment's). Per node, by what it runs now (`reset_action`):
- an OS fueltui provisioned (it carries /etc/fueltui-provisioned): its PXE entry goes back
  to the bootstrap, the master arms a re-pin of its host key (see `rekey`), the disks'
  signatures and first MiB are wiped, it reboots, and the task waits for it back in the
  bootstrap;
- the bootstrap: the disks are wiped (a half-written OS goes too), nothing reboots;
- any other OS (the namespace lab's nodes, which share the host's disks and boot no PXE):
  nothing on the node is touched; only the deploy state is cleared, and the log says so;
- offline or untrusted: nothing reaches it; its deploy state is cleared and the log says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from fueltui.api.tasks import RESET, ResetOutcome, ResetResult
from fueltui.core.bootscript import BOOTSTRAP_OS_PREFIX
from fueltui.core.model import Node, NodeStatus
from fueltui.master.pxe import rekey
from fueltui.master.store import Store

if TYPE_CHECKING:
    from fueltui.master.tasks import TaskManager

log = logging.getLogger(__name__)
KIND = RESET.name
MARKER = "/etc/fueltui-provisioned"  # written by provisioning (see provision.py)
BACK_TIMEOUT = 900.0
POLL = 2.0
_DISK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ResetAction(StrEnum):
    reinstall = "reinstall"  # provisioned by us: wipe, PXE back to the bootstrap, reboot
    wipe = "wipe"  # in the bootstrap: wipe only
    state_only = "state-only"  # an OS we did not install: touch nothing on the node
    unreachable = "unreachable"  # offline or untrusted


def reset_action(node: Node, provisioned_by_us: bool) -> ResetAction:
    if not node.online or not node.ip or node.untrusted:
        return ResetAction.unreachable
    if (node.facts.os or "").startswith(BOOTSTRAP_OS_PREFIX):
        return ResetAction.wipe
    return ResetAction.reinstall if provisioned_by_us else ResetAction.state_only


# Not where an OS goes: floppy and optical drives, loop and RAM disks (an installed OS lists
# QEMU's empty floppy drive, fd0, which the bootstrap never loads a driver for).
_NOT_TARGETS = ("fd", "sr", "loop", "ram", "zram")


def target_disks(node: Node) -> list[str]:
    return [d.name for d in node.facts.disks if not d.name.startswith(_NOT_TARGETS) and d.size_bytes > 0]


def wipe_script(disks: list[str]) -> str:
    """Signatures off every partition and disk, the first MiB (MBR, GPT, boot code) and the
    last (the backup GPT) zeroed; only then does the caller reboot (no sync after: the OS
    running from these disks must write nothing back)."""
    bad = [d for d in disks if not _DISK.match(d)]
    if bad or not disks:
        raise ValueError(f"refusing to wipe disks named {bad or 'nothing'}")
    lines = ["set -u", "sync"]
    for disk in disks:
        dev = shlex.quote(f"/dev/{disk}")
        size = shlex.quote(f"/sys/class/block/{disk}/size")
        lines += [
            f"test -b {dev} || {{ echo 'no disk {disk}' >&2; exit 3; }}",
            f"for p in $(lsblk -lnpo NAME {dev}); do",
            f'  [ "$p" = {dev} ] || wipefs -a -f "$p" >/dev/null 2>&1',
            "done",
            f"wipefs -a -f {dev} >/dev/null 2>&1 || true",
            f"dd if=/dev/zero of={dev} bs=1M count=1 conv=fsync 2>/dev/null ||",
            f"  {{ echo 'cannot wipe {disk}' >&2; exit 4; }}",
            f"end=$(( $(cat {size}) - 2048 ))",
            f"dd if=/dev/zero of={dev} bs=512 seek=$end count=2048 conv=fsync 2>/dev/null",
        ]
    lines.append("echo wiped")
    return "\n".join(lines) + "\n"


def clear_deploy_state(store: Store, state_dir: Path, env_name: str) -> None:
    """What deploying left: its record of done tasks (a redeploy starts from scratch), the
    nodes' statuses (pending addition again), the environment's status."""
    from fueltui.core.model import EnvStatus
    from fueltui.master.deploy.resume import ResumeState
    from fueltui.master.deploy.task import set_env_status

    ResumeState.for_environment(state_dir, env_name).path.unlink(missing_ok=True)
    for record in store.nodes(env_name):
        if record.node.status != NodeStatus.discover or record.node.error:
            store.set_node_status(record.node.mac, NodeStatus.discover.value, None)
    set_env_status(store, env_name, EnvStatus.new)


async def wait_in_bootstrap(
    store: Store, mac: str, timeout: float = BACK_TIMEOUT, poll: float = POLL
) -> Node:
    deadline = time.monotonic() + timeout
    while True:
        node = store.node(mac).node
        if node.untrusted:
            raise RuntimeError(f"came back with a host key the master refused: {node.error}")
        if node.online and (node.facts.os or "").startswith(BOOTSTRAP_OS_PREFIX):
            return node
        if time.monotonic() > deadline:
            raise RuntimeError(f"not back in the bootstrap after {timeout:.0f} s (last seen running "
                               f"{node.facts.os or 'nothing'})")  # fmt: skip
        await asyncio.sleep(poll)


async def _reset_task(ctx: object) -> ResetResult:
    from fueltui.master.pxe.boottree import BootTree
    from fueltui.master.tasks import TaskContext, TaskFailed
    from fueltui.ssh.fanout import FanoutError, shared_fanout

    assert isinstance(ctx, TaskContext)
    if ctx.env_name is None:
        raise TaskFailed("a reset needs an environment")
    env_name = ctx.env_name
    store, fanout = ctx.store, shared_fanout(ctx.state_dir)
    nodes = [r.node for r in store.nodes(env_name)]
    boot = store.boot_options().options
    outcomes: dict[str, ResetOutcome] = {}
    failed: dict[str, str] = {}

    async def provisioned_by_us(node: Node) -> bool:
        if not node.ip or not node.online or node.untrusted:
            return False
        with contextlib.suppress(FanoutError):
            probe = await fanout.run(node.ip, ["test", "-e", MARKER], timeout=30)
            return probe.exit_status == 0
        return False

    async def one(node: Node) -> None:
        mac, ip = node.mac, str(node.ip)
        action = reset_action(node, await provisioned_by_us(node))
        await ctx.set_node(mac, status="resetting", progress=0, task="reset", message=action.value)
        disks = target_disks(node)
        if action == ResetAction.unreachable:
            note = "offline or untrusted: nothing reached it; its deploy state is cleared"
        elif action == ResetAction.state_only:
            note = (f"runs {node.facts.os or 'an OS'} that fueltui did not install (no PXE boot): "
                    "nothing on it is touched; its deploy state is cleared")  # fmt: skip
        else:
            if action == ResetAction.reinstall:
                if boot is None:
                    raise RuntimeError("the master has no boot options: its PXE entry cannot go back")
                flipped = store.set_node_status(mac, NodeStatus.discover.value, None)
                BootTree(ctx.state_dir, boot.ip).set_node(flipped.node)
                await ctx.log(mac, "PXE entry back to the bootstrap")
                rekey.expect(ctx.state_dir, mac)
            await ctx.log(mac, f"wiping {', '.join(disks)}")
            wiped = await fanout.run(ip, ["sh", "-c", wipe_script(disks)], timeout=120)
            if wiped.exit_status != 0 or "wiped" not in wiped.stdout:
                raise RuntimeError(f"wiping failed ({wiped.exit_status}): {wiped.stderr.strip()[-300:]}")
            note = "disks wiped; it stays in the bootstrap"
            if action == ResetAction.reinstall:
                await ctx.log(mac, "rebooting into the bootstrap")
                with contextlib.suppress(FanoutError):
                    await fanout.run(ip, ["sh", "-c", "echo b > /proc/sysrq-trigger"], timeout=10)
                await fanout.disconnect(ip)
                await ctx.set_node(mac, status="resetting", progress=50, task="reset",
                                   message="rebooting into the bootstrap")  # fmt: skip
                back = await wait_in_bootstrap(store, mac)
                note = f"disks wiped; back in the bootstrap at {back.ip}, rediscovered under its new key"
        await ctx.log(mac, note)
        outcomes[mac] = ResetOutcome(name=node.name, action=action.value, message=note)
        await ctx.set_node(mac, status="discover", progress=100, task="reset", message=note)

    async def guarded(node: Node) -> None:
        try:
            await one(node)
        except Exception as exc:
            reason = str(exc) or type(exc).__name__
            log.warning("reset of %s failed: %s", node.mac, reason)
            failed[node.mac] = reason
            rekey.disarm(ctx.state_dir, node.mac)
            await ctx.log(node.mac, f"reset failed: {reason}")
            await ctx.set_node(node.mac, status="error", task="reset", message=f"reset failed: {reason}")

    await ctx.set_progress(0, f"resetting {len(nodes)} nodes")
    await asyncio.gather(*(guarded(n) for n in nodes))
    clear_deploy_state(store, ctx.state_dir, env_name)
    for mac, reason in failed.items():
        with contextlib.suppress(Exception):
            store.set_node_status(mac, NodeStatus.error.value, f"reset: {reason}"[:500])
    result = ResetResult(nodes=outcomes, failed=failed)
    if failed:
        names = {n.mac: n.name for n in nodes}
        why = "; ".join(f"{names.get(m, m)}: {r}" for m, r in failed.items())
        raise TaskFailed(f"reset failed: {why}", result=result)
    return result


def register(tasks: TaskManager) -> None:
    tasks.register(KIND, _reset_task)
