"""The three phases of a probe run over the SSH fan-out: listen, send, collect.

Every node gets the probe agent as a file, starts listening on its NICs and says READY;
only when every listener is ready do the nodes send, so no probe is lost to a listener that
was not yet there. Listeners report each new peer as it is heard (`HEARD` lines), which
ends the collect phase as soon as everything expected has arrived; otherwise it ends after
a short grace period. Then a stop file ends each listener, whose final `RESULT` line is the
authoritative record of what it heard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fueltui.core.verifyplan import VerifyPlan

AGENT_SOURCE = Path(__file__).with_name("probe_agent.py")
REMOTE_DIR = "/run/fueltui/verify"
REMOTE_AGENT = f"{REMOTE_DIR}/probe_agent.py"

Log = Callable[[str | None, str], Awaitable[None]]
Progress = Callable[[int, str], Awaitable[None]]


class RunResultLike(Protocol):
    exit_status: int | None
    stdout: str
    stderr: str


class FanoutLike(Protocol):
    async def run(
        self,
        host: str,
        argv: Sequence[str] | str,
        on_line: Callable[[str, str], None] | None = None,
        timeout: float | None = None,
        input: str | None = None,
    ) -> RunResultLike: ...

    async def put_file(self, host: str, path: str, data: bytes, mode: int = 0o644) -> None: ...


@dataclass
class Timing:
    ready_timeout: float = 20.0  # every listener bound
    grace: float = 2.0  # after the last send, for probes still on their way
    listen_timeout: float = 120.0  # a listener never outlives this, even if the master died


@dataclass
class NodeRun:
    mac: str
    host: str
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    heard: dict[str, dict[int, set[tuple[str, str]]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    failure: str | None = None
    listener: asyncio.Task[RunResultLike] | None = None


class ProbeRun:
    def __init__(
        self,
        fanout: FanoutLike,
        plan: VerifyPlan,
        hosts: dict[str, str],
        verification_id: str,
        log: Log,
        progress: Progress,
        timing: Timing | None = None,
    ) -> None:
        self.fanout = fanout
        self.plan = plan
        self.vid = verification_id
        self.log = log
        self.progress = progress
        self.timing = timing or Timing()
        self.nodes = {n.node: NodeRun(n.node, hosts[n.node]) for n in plan.nodes}
        self.stop_file = f"{REMOTE_DIR}/{verification_id}.stop"
        self._outstanding = self._expected()
        self._complete = asyncio.Event()

    def _expected(self) -> set[tuple[str, str, int, str, str]]:
        """(listener, NIC, VLAN, peer, peer NIC) for every probe the plan expects to be heard."""
        carriers: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for node in self.plan.nodes:
            for nic in node.nics:
                for network, vlans in nic.networks.items():
                    for vlan in vlans:
                        carriers.setdefault((network, vlan), []).append((node.node, nic.nic))
        return {
            (listener, l_nic, vlan, peer, p_nic)
            for (_, vlan), members in carriers.items()
            for listener, l_nic in members
            for peer, p_nic in members
            if peer != listener
        }

    # ------------------------------------------------------------------ phases

    async def run(self) -> dict[str, dict[str, dict[int, set[tuple[str, str]]]]]:
        """What every node heard; nodes whose listener failed heard nothing."""
        started = time.monotonic()
        try:
            await self._gather(self._upload)
            await self.progress(15, "probe agent on every node")
            for node in self.nodes.values():
                node.listener = asyncio.create_task(self._listen(node))
            await self._wait_ready()
            await self.progress(35, "listening on every NIC")
            await self._gather(self._send)
            await self.progress(60, "probes sent")
            # Some probes never arrive: that is what verification finds.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._complete.wait(), self.timing.grace)
            await self.progress(80, "collecting")
            await self._gather(self._stop)
            await self._collect()
        finally:
            for node in self.nodes.values():
                if node.listener is not None and not node.listener.done():
                    node.listener.cancel()
        await self.log(None, f"probe run finished in {time.monotonic() - started:.2f} s")
        return {mac: node.heard for mac, node in self.nodes.items()}

    async def _gather(self, step: Callable[[NodeRun], Awaitable[None]]) -> None:
        async def guarded(node: NodeRun) -> None:
            if node.failure is not None:
                return
            try:
                await step(node)
            except Exception as exc:  # one node's failure must not stop the others
                node.failure = str(exc) or type(exc).__name__
                await self.log(node.mac, f"verification: {node.failure}")

        await asyncio.gather(*(guarded(n) for n in self.nodes.values()))

    async def _upload(self, node: NodeRun) -> None:
        await self.fanout.put_file(node.host, REMOTE_AGENT, AGENT_SOURCE.read_bytes(), 0o700)

    def _plan_nics(self, mac: str) -> list[tuple[str, list[int]]]:
        plan = self.plan.node(mac)
        return [(nic.nic, nic.vlans) for nic in plan.nics] if plan is not None else []

    async def _listen(self, node: NodeRun) -> RunResultLike:
        nics = ",".join(name for name, _ in self._plan_nics(node.mac))
        argv = [
            "python3", "-I", REMOTE_AGENT, "listen", "--id", self.vid, "--node", node.mac, "--nics", nics,
            "--stop-file", self.stop_file, "--timeout", f"{self.timing.listen_timeout:g}", "--up",
        ]  # fmt: skip
        return await self.fanout.run(
            node.host,
            argv,
            on_line=lambda stream, line: self._on_line(node, stream, line),
            timeout=self.timing.listen_timeout + 10,
        )

    def _on_line(self, node: NodeRun, stream: str, line: str) -> None:
        if stream != "stdout":
            return
        word, _, rest = line.partition(" ")
        if word == "READY":
            node.errors.update(_json_dict(rest).get("errors", {}))
            node.ready.set()
        elif word == "HEARD":
            parts = rest.split(" ")
            if len(parts) == 4 and parts[1].isdigit():
                nic, vlan, peer, peer_nic = parts[0], int(parts[1]), parts[2], parts[3]
                self._outstanding.discard((node.mac, nic, vlan, peer, peer_nic))
                if not self._outstanding:
                    self._complete.set()

    async def _wait_ready(self) -> None:
        async def one(node: NodeRun) -> None:
            assert node.listener is not None
            waiter = asyncio.create_task(node.ready.wait())
            done, _ = await asyncio.wait(
                {waiter, node.listener},
                timeout=self.timing.ready_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            if node.ready.is_set():
                if node.errors:
                    await self.log(node.mac, f"verification: cannot listen on {_describe(node.errors)}")
                return
            if node.listener in done:
                node.failure = _failure(node.listener, "the probe listener ended before it was ready")
            else:
                node.failure = f"the probe listener was not ready within {self.timing.ready_timeout:g} s"
                node.listener.cancel()
            await self.log(node.mac, f"verification: {node.failure}")

        await asyncio.gather(*(one(n) for n in self.nodes.values() if n.failure is None))

    async def _send(self, node: NodeRun) -> None:
        argv = ["python3", "-I", REMOTE_AGENT, "send", "--id", self.vid, "--node", node.mac]
        for nic, vlans in self._plan_nics(node.mac):
            argv += ["--nic", f"{nic}={','.join(str(v) for v in vlans)}"]
        result = await self.fanout.run(node.host, argv, timeout=30)
        sent = _json_dict(result.stdout.partition("SENT ")[2])
        if result.exit_status != 0 or not sent:
            raise RuntimeError(f"sending probes failed: {result.stderr.strip() or result.exit_status}")
        if sent.get("errors"):
            await self.log(node.mac, f"verification: cannot send on {_describe(sent['errors'])}")
        await self.log(node.mac, f"verification: sent {sent.get('frames', 0)} probe frames")

    async def _stop(self, node: NodeRun) -> None:
        argv = ["python3", "-I", REMOTE_AGENT, "stop", "--stop-file", self.stop_file]
        result = await self.fanout.run(node.host, argv, timeout=15)
        if result.exit_status != 0:
            raise RuntimeError(f"cannot stop the listener: {result.stderr.strip() or result.exit_status}")

    async def _collect(self) -> None:
        async def one(node: NodeRun) -> None:
            if node.listener is None or node.failure is not None:
                return
            try:
                result = await asyncio.wait_for(asyncio.shield(node.listener), 15)
            except Exception as exc:
                node.failure = f"no result from the probe listener: {exc or type(exc).__name__}"
                await self.log(node.mac, f"verification: {node.failure}")
                return
            line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), "")
            report = _json_dict(line.partition(" ")[2])
            for nic, per_vlan in dict(report.get("heard", {})).items():
                node.heard[nic] = {
                    int(v): {(str(p[0]), str(p[1])) for p in peers} for v, peers in per_vlan.items()
                }
            node.errors.update(report.get("errors", {}))
            if not line:
                node.failure = "the probe listener gave no result"
                await self.log(node.mac, f"verification: {node.failure}")

        await asyncio.gather(*(one(n) for n in self.nodes.values()))


def _json_dict(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _describe(errors: object) -> str:
    if isinstance(errors, dict):
        return ", ".join(f"{nic} ({msg})" for nic, msg in sorted(errors.items()))
    return str(errors)


def _failure(task: asyncio.Task[RunResultLike], fallback: str) -> str:
    if task.cancelled():
        return fallback
    exc = task.exception()
    if exc is not None:
        return str(exc) or type(exc).__name__
    result = task.result()
    return f"{fallback}: {result.stderr.strip() or f'exit status {result.exit_status}'}"
