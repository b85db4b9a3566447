"""Discovery as the master runs it: DHCP leases and explicit targets lead to one facts
round trip per node; nodes are re-polled and go offline when they stop answering.

A node's identity is the MAC of the NIC that holds the address we reached it on (its
admin/PXE NIC), so a node that comes back with another address is the same node.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from fueltui.api.schema import NodeRecord
from fueltui.core.model import BootOptions, NodeFacts, normalize_mac
from fueltui.core.targets import expand_targets
from fueltui.master.discovery.dhcp import DhcpServer
from fueltui.master.discovery.dnsmasq import Lease
from fueltui.master.discovery.facts import FactsError, gather_facts
from fueltui.master.errors import MasterError
from fueltui.master.store import Store
from fueltui.settings import settings
from fueltui.ssh.fanout import Fanout, FanoutError, shared_fanout
from fueltui.ssh.hostkeys import HostKeyChanged, ProvisionalKeys
from fueltui.ssh.keys import ensure_master_key

if TYPE_CHECKING:
    from fueltui.master.tasks import TaskManager

log = logging.getLogger(__name__)

POLL_INTERVAL = 30.0  # Fuel's agent reported every 30 s...
OFFLINE_AFTER = 180.0  # ...and a node silent for 3 minutes was offline
# A node leases before its sshd listens (its network comes up first; 200 booting at once on a
# loaded master make the gap seconds): a leased address that did not answer is asked again,
# the wait doubling from the first to the last, and given up after LEASE_RETRY_FOR (its next
# lease starts again). Without it a node that lost that race waited for its lease's renewal.
LEASE_RETRY_FIRST = 0.5
LEASE_RETRY_LAST = 10.0
LEASE_RETRY_FOR = 600.0
ACCEPT_KIND = "accept-host-key"  # params {"node": MAC or address}
LAB_BOOT_ENV = "FUELTUI_LAB_BOOT_OPTIONS"  # JSON boot options the lab hands its master


class DiscoveryService:
    def __init__(
        self,
        store: Store,
        state_dir: Path,
        events: object | None = None,
        *,
        fanout: Fanout | None = None,
        poll_interval: float | None = None,
        offline_after: float | None = None,
        run_dhcp: bool = True,
        facts_timeout: float = 30.0,
    ) -> None:
        self.store = store
        self.state_dir = state_dir
        env = settings()
        self.poll_interval = poll_interval or env.poll_interval or POLL_INTERVAL
        self.offline_after = offline_after or env.offline_after or OFFLINE_AFTER
        self.run_dhcp = run_dhcp
        self.facts_timeout = facts_timeout
        self._fanout = fanout
        self.dhcp: DhcpServer | None = None
        self._dhcp_revision = -1
        self._inflight: dict[str, asyncio.Task[object]] = {}
        self._again: dict[str, str] = {}  # address -> MAC: leased again while being discovered
        self._leased: dict[str, tuple[str, float]] = {}  # address -> (MAC, lease time): not found yet
        self._retry_at: dict[str, asyncio.TimerHandle] = {}  # leased address -> its next attempt
        self._retry_wait: dict[str, float] = {}  # leased address -> the last wait before an attempt
        self._last_seen: dict[str, float] = {}
        self._refused_at: dict[str, str] = {}  # node MAC -> address where its key was refused
        self._started = time.monotonic()
        self._poller: asyncio.Task[None] | None = None
        self._probe: Fanout | None = None  # learns who answers at an address, pins nothing

    @property
    def fanout(self) -> Fanout:
        if self._fanout is None:
            self._fanout = shared_fanout(self.state_dir)
        return self._fanout

    # ------------------------------------------------------------------ life cycle

    def register(self, tasks: TaskManager) -> None:
        """Plug this service's task kinds into its master's task manager."""
        from fueltui.api.tasks import ACCEPT, DISCOVER

        tasks.register(DISCOVER, self._discover_task)
        tasks.register(ACCEPT, self._accept_task)

    async def start(self) -> None:
        # asyncssh logs every connection at INFO; a poll every 30 s would flood the master's log.
        logging.getLogger("asyncssh").setLevel(logging.WARNING)
        self._started = time.monotonic()
        _ = self.fanout  # the master's SSH key exists from the first start on
        self._seed_lab_boot_options()
        if self.run_dhcp:
            await self._sync_dhcp()
        self._poller = asyncio.create_task(self._poll_loop(), name="discovery-poll")

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        self._again.clear()
        self._leased.clear()
        for timer in self._retry_at.values():
            timer.cancel()
        self._retry_at.clear()
        self._retry_wait.clear()
        for task in list(self._inflight.values()):
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        if self.dhcp is not None:
            await self.dhcp.stop()
        if self._fanout is not None:
            await self._fanout.close()
        if self._probe is not None:
            await self._probe.close()

    def _seed_lab_boot_options(self) -> None:
        raw = os.environ.get(LAB_BOOT_ENV)
        if not raw or self.store.boot_options().options is not None:
            return
        try:
            self.store.set_boot_options(BootOptions.model_validate_json(raw), 0)
        except (ValueError, MasterError) as exc:
            log.warning("ignoring the lab's boot options: %s", exc)

    async def _sync_dhcp(self) -> None:
        """(Re)start dnsmasq when the boot options changed since it was configured."""
        record = self.store.boot_options()
        if record.revision == self._dhcp_revision:
            return
        self._dhcp_revision = record.revision
        if self.dhcp is not None:
            await self.dhcp.stop()
            self.dhcp = None
        if record.options is None:
            return
        server = DhcpServer(record.options, self.state_dir, self._on_lease)
        try:
            started = await server.start()
        except ValueError as exc:
            log.error("DHCP not started: %s", exc)
            return
        if started:
            self.dhcp = server
            self._sync_boot()
            for lease in server.leases():
                self._on_lease(lease)

    def _sync_boot(self) -> None:
        """Each node's PXE script follows its state (bootstrap, or its installed disk)."""
        from fueltui.master.pxe.boottree import BootTree

        if self.dhcp is not None:
            BootTree(self.state_dir, self.dhcp.options.ip).sync(r.node for r in self.store.nodes())

    # ------------------------------------------------------------------ discovery

    def _on_lease(self, lease: Lease) -> None:
        self._leased[lease.ip] = (lease.mac, time.monotonic())
        task = self._inflight.get(lease.ip)
        if task is not None and not task.done():
            # A PXE node leases twice: from iPXE (nothing listens yet), then from the booted
            # bootstrap. The second lease must not be lost in the first attempt's wait.
            self._again[lease.ip] = lease.mac
        self.schedule(lease.ip, lease.mac)

    def schedule(self, ip: str, mac: str | None = None) -> asyncio.Task[object]:
        """Discover `ip` in the background (once at a time per address)."""
        task = self._inflight.get(ip)
        if task is None or task.done():
            task = asyncio.create_task(self.discover_host(ip, mac), name=f"discover-{ip}")
            self._inflight[ip] = task
            task.add_done_callback(functools.partial(self._done, ip))
        return task

    def _done(self, ip: str, task: asyncio.Task[object]) -> None:
        if self._inflight.get(ip) is task:
            del self._inflight[ip]
        if ip in self._again:
            self.schedule(ip, self._again.pop(ip))
        elif ip in self._leased and not task.cancelled():
            self._after_leased_attempt(ip, task.exception() or task.result())

    def _after_leased_attempt(self, ip: str, outcome: object) -> None:
        """A leased address not discovered yet: done when found, else asked again later."""
        mac, leased_at = self._leased[ip]
        # Found, or refused for its key (the operator decides then, not a retry).
        settled = isinstance(outcome, (NodeRecord, HostKeyChanged))
        if settled or time.monotonic() - leased_at > LEASE_RETRY_FOR:
            if not settled:
                log.warning("%s (%s) leased an address but never answered SSH: %s", ip, mac, outcome)
            del self._leased[ip]
            self._retry_wait.pop(ip, None)
            return
        if ip in self._retry_at:
            return  # already waiting to ask again
        wait = min(self._retry_wait.get(ip, LEASE_RETRY_FIRST / 2) * 2, LEASE_RETRY_LAST)
        self._retry_wait[ip] = wait
        self._retry_at[ip] = asyncio.get_running_loop().call_later(wait, self._retry_leased, ip)

    def _retry_leased(self, ip: str) -> None:
        del self._retry_at[ip]
        if ip in self._leased:
            self.schedule(ip, self._leased[ip][0])

    def _mac_for_ip(self, ip: str) -> str | None:
        for record in self.store.nodes():
            if record.node.ip == ip:
                return record.node.mac
        return None

    async def discover_host(self, ip: str, mac: str | None = None) -> object:
        """Gather `ip`'s facts and record the node. Returns the NodeRecord, or the error."""
        try:
            facts = await gather_facts(self.fanout, ip, timeout=self.facts_timeout)
        except HostKeyChanged:
            # The address's pin is that of whoever answered there before (a DHCP address is
            # recycled): learn who answers now and judge the key by that node's identity.
            return await self._discover_by_identity(ip, mac)
        except (FanoutError, FactsError) as exc:
            log.info("discovery of %s failed: %s", ip, exc)
            return exc
        return await self._record(ip, mac, facts)

    async def _record(self, ip: str, mac: str | None, facts: NodeFacts) -> object:
        admin = next((nic for nic in facts.nics if nic.pxe), None)
        node_mac = admin.mac if admin is not None else mac
        if node_mac is None:
            return FactsError(f"{ip}: no NIC holds the address it was reached on")
        refused = await self._check_node_key(ip, node_mac, facts)
        if refused is not None:
            return refused
        record = self.store.upsert_discovered(node_mac, ip, facts)
        if record.node.untrusted:
            record = self.store.set_node_untrusted(node_mac, False, None)
        self._refused_at.pop(node_mac, None)
        self._last_seen[record.node.mac] = time.monotonic()
        return record

    async def _discover_by_identity(self, ip: str, mac: str | None) -> object:
        """The address refused the key it was offered. Ask the host for its facts over a
        connection that pins nothing; its admin MAC names the node whose pin decides."""
        probe = self._probe_fanout()
        try:
            facts = await gather_facts(probe, ip, timeout=self.facts_timeout)
            offered = probe.server_host_key(ip)
        except (FanoutError, FactsError) as exc:
            log.info("discovery of %s failed: %s", ip, exc)
            return exc
        finally:
            await probe.disconnect(ip)
        admin = next((nic for nic in facts.nics if nic.pxe), None)
        node_mac = admin.mac if admin is not None else mac
        if node_mac is None or offered is None:
            return FactsError(f"{ip}: no NIC holds the address it was reached on")
        keys = self.fanout.host_keys
        pinned = keys.pinned(f"node:{node_mac}")
        if pinned is not None and pinned != offered and not _rekey_expected(self.state_dir, node_mac, facts):
            return await self._refuse(ip, node_mac, pinned, offered)
        # A new node, or a known node with its own key, at an address someone else held:
        # the address now expects this node's key.
        keys.pin(f"node:{node_mac}", offered)
        keys.refuse(ip, keys.pinned(ip) or offered, offered)  # pending: what accept() pins
        self.fanout.accept_host_key(ip)
        log.info("%s now answers as node %s (the address's previous key was another node's)", ip, node_mac)
        return await self._record(ip, node_mac, facts)

    def _probe_fanout(self) -> Fanout:
        if self._probe is None:
            self._probe = Fanout(ensure_master_key(self.state_dir), ProvisionalKeys(), connect_timeout=10.0)
        return self._probe

    async def _refuse(self, ip: str, mac: str, pinned: str, offered: str) -> HostKeyChanged:
        exc = await self.fanout.distrust(ip, pinned, offered)
        self._refused_at[mac] = ip
        log.error("%s", exc)
        with contextlib.suppress(MasterError):
            self.store.set_node_untrusted(mac, True, str(exc))
        return exc

    async def _check_node_key(
        self, ip: str, mac: str, facts: NodeFacts | None = None
    ) -> HostKeyChanged | None:
        """Pins are kept per address (by the fan-out) and per node: a node that comes back
        at another address must still show the key it had."""
        offered = self.fanout.server_host_key(ip)
        if offered is None:
            return None
        pinned = self.fanout.host_keys.check_text(f"node:{mac}", offered)
        if pinned is None:
            return None
        if facts is not None and _rekey_expected(self.state_dir, mac, facts):
            self.fanout.host_keys.pin(f"node:{mac}", offered)
            return None
        return await self._refuse(ip, mac, pinned, offered)

    async def discover(self, targets: Iterable[str]) -> dict[str, object]:
        addresses = expand_targets(targets)
        results = await asyncio.gather(*(self.schedule(ip) for ip in addresses))
        return dict(zip(addresses, results, strict=True))

    async def _discover_task(self, ctx: object) -> dict[str, object]:
        from fueltui.master.tasks import TaskContext, TaskFailed

        assert isinstance(ctx, TaskContext)
        raw = ctx.params.get("targets") or []
        targets = [str(t) for t in raw] if isinstance(raw, list) else []
        try:
            addresses = expand_targets(targets)
        except ValueError as exc:
            raise TaskFailed(str(exc)) from exc
        found: list[str] = []
        failed: dict[str, str] = {}
        tasks = [(ip, self.schedule(ip)) for ip in addresses]
        total, shown = len(addresses), time.monotonic()
        for done, (ip, task) in enumerate(tasks, start=1):
            outcome = await task
            if isinstance(outcome, Exception):
                failed[ip] = str(getattr(outcome, "reason", None) or outcome)
                await ctx.log(None, f"{ip}: {failed[ip]}")
            elif isinstance(outcome, NodeRecord):
                mac = outcome.node.mac
                found.append(mac)
                await ctx.log(mac, f"discovered {mac} at {ip}")
            # A progress write is a stored task record and an event: a few a second, not one a node.
            if done == total or time.monotonic() >= shown + 0.25:
                shown = time.monotonic()
                await ctx.set_progress(100 * done // max(1, total), f"{done}/{total} addresses")
        return {"found": found, "failed": failed}

    async def _accept_task(self, ctx: object) -> dict[str, object]:
        from fueltui.master.tasks import TaskContext, TaskFailed

        assert isinstance(ctx, TaskContext)
        wanted = str(ctx.params.get("node") or "").strip().lower()
        try:
            mac, ip = self._refusal_named(wanted)
        except LookupError as exc:
            raise TaskFailed(str(exc)) from None
        outcome = await self.accept_at(mac, ip)
        if not isinstance(outcome, NodeRecord) or outcome.node.mac != mac or outcome.node.untrusted:
            raise TaskFailed(
                f"the key offered at {ip} is now node {mac}'s, but the node is not trusted yet: "
                f"{outcome if not isinstance(outcome, NodeRecord) else f'{ip} answers as {outcome.node.mac}'}"
                " (it is trusted where it next answers with that key)"
            )
        await ctx.log(mac, f"new host key accepted by the operator at {ip}")
        return {"accepted": mac, "address": ip}

    def _refusal_named(self, wanted: str) -> tuple[str, str]:
        """(node MAC, address) of the refused key the operator named by MAC or by address:
        an address names the key offered *there*, never one refused elsewhere earlier."""
        pending = self.fanout.host_keys.pending()
        try:
            mac = normalize_mac(wanted)
        except ValueError:
            mac = None
        if mac is not None:
            if mac not in self._refused_at:
                raise LookupError(f"node {mac} has no refused host key to accept")
            return mac, self._refused_at[mac]
        if wanted not in pending:
            raise LookupError(f"no refused host key at {wanted!r} (give the node's admin MAC or address)")
        refused = [m for m, ip in self._refused_at.items() if ip == wanted]
        holders = [r.node.mac for r in self.store.nodes() if r.node.ip == wanted]
        for candidate in (*refused, *holders):
            return candidate, wanted
        raise LookupError(f"no node is known at {wanted!r}; discover it first")

    async def accept_at(self, mac: str, ip: str) -> object:
        """Pin the key offered at `ip` as node `mac`'s, then discover `ip` again and return
        the outcome: the node is trusted only if the host there is that node."""
        pending = self.fanout.host_keys.pending().get(ip)
        if pending is None:
            return LookupError(f"no refused host key at {ip}")
        self.fanout.host_keys.pin(f"node:{mac}", pending.offered_key)
        self.fanout.accept_host_key(ip)
        self._refused_at.pop(mac, None)
        outcome = await self.schedule(ip, mac)
        if not isinstance(outcome, NodeRecord) or outcome.node.untrusted:
            outcome = await self.schedule(ip, mac)  # a poll in flight may have begun before the pin
        return outcome

    def accept_host_key(self, mac: str) -> bool:
        """The operator accepts the new host key a node offered; it is polled again at once."""
        key = normalize_mac(mac)
        ip = self._refused_at.get(key)
        if ip is None or self.fanout.host_keys.pending().get(ip) is None:
            return False
        self.store.set_node_untrusted(key, False, None)
        self.fanout.host_keys.pin(f"node:{key}", self.fanout.host_keys.pending()[ip].offered_key)
        self.fanout.accept_host_key(ip)
        self._refused_at.pop(key, None)
        self.schedule(ip, key)
        return True

    # ------------------------------------------------------------------ polling

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                if self.run_dhcp:
                    await self._sync_dhcp()
                    self._sync_boot()
                await self.poll_once()
            except Exception:
                log.exception("discovery poll failed")

    async def poll_once(self) -> None:
        records = [r for r in self.store.nodes() if r.node.ip]
        outcomes = await asyncio.gather(*(self.schedule(r.node.ip or "", r.node.mac) for r in records))
        now = time.monotonic()
        for record, outcome in zip(records, outcomes, strict=True):
            if not isinstance(outcome, Exception):
                continue
            last = self._last_seen.get(record.node.mac, self._started)
            if record.node.online and now - last >= self.offline_after:
                log.warning("node %s (%s) is offline: %s", record.node.mac, record.node.ip, outcome)
                with contextlib.suppress(MasterError):
                    self.store.set_node_online(record.node.mac, False)


def _rekey_expected(state_dir: Path, mac: str, facts: NodeFacts) -> bool:
    """The master itself sent this node back to the bootstrap (Reset): its new key is expected
    once (see fueltui.master.pxe.rekey for why this and not a key served with the boot)."""
    from fueltui.master.pxe import rekey

    return rekey.take(state_dir, mac, facts)
