"""The phases of a probe run over the SSH fan-out: listen, send, collect.

One SSH session per node, because on a busy master (and a crowd of busy nodes) each new
one costs. It ships the probe agent and the node's expectations (the first line of stdin,
written to files on the node by a few lines of Python) and starts the listener, which says
READY once its sockets are bound. Only when every listener is ready does the master tell
them to send — a `GO` line down the same session's stdin — so no probe is lost to a listener
that was not yet there. Each listener then ends by itself: as soon as it has heard every
probe it expects, or after a short grace period for the ones that never come (that is what
verification finds). Its final `RESULT` line is the record of what it heard. A listener that
does not end in time is told to stop (`STOP`), then killed; one whose stdin closes (the
master is gone) stops too.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fueltui.core.verifyplan import VerifyPlan

AGENT_SOURCE = Path(__file__).with_name("probe_agent.py")
REMOTE_DIR = "/run/fueltui/verify"
REMOTE_AGENT = f"{REMOTE_DIR}/probe_agent.py"

# Runs on the node: writes the agent and the expectations from stdin's first line, then runs
# the agent (as a file) in the same interpreter, which reads the rest of stdin (GO, STOP) from
# the descriptor itself. argv: DIR EXPECT_FILE AGENT_ARGS...
BOOT = (
    "import json,os,runpy,sys\n"
    "d,e=sys.argv[1],sys.argv[2]\n"
    "os.makedirs(d,mode=0o700,exist_ok=True)\n"
    "b=b''\n"
    "while not b.endswith(b'\\n'):\n"
    "    c=os.read(0,65536)\n"
    "    if not c: break\n"
    "    b+=c\n"
    "p=json.loads(b)\n"
    "a=os.path.join(d,'probe_agent.py')\n"
    "for path,text in ((a,p['agent']),(e,json.dumps(p['expect']))):\n"
    "    t='%s.%d'%(path,os.getpid())\n"
    "    fd=os.open(t,os.O_WRONLY|os.O_CREAT|os.O_TRUNC,0o700)\n"
    "    with os.fdopen(fd,'w') as f: f.write(text)\n"
    "    os.replace(t,path)\n"
    "sys.argv=[a]+sys.argv[3:]\n"
    "runpy.run_path(a,run_name='__main__')\n"
)

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
        input: str | AsyncIterable[str] | None = None,
    ) -> RunResultLike: ...


@dataclass
class Timing:
    # A listener not ready (or not done sending) when no other got that far for this long has
    # failed. Not a fixed wait from the start: 200 nodes' listeners starting at once on a busy
    # master (or a lab sharing its CPUs) keep arriving for longer than one listener takes.
    ready_timeout: float = 30.0
    # After sending, for probes still on their way: it also absorbs the spread between the
    # nodes' "go" signals on a busy master. Only a failing run waits it out.
    grace: float = 3.0
    listen_timeout: float = 180.0  # a listener never outlives this, even if the master died


@dataclass
class NodeRun:
    mac: str
    host: str
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    go: asyncio.Event = field(default_factory=asyncio.Event)  # the master says: send
    stop: asyncio.Event = field(default_factory=asyncio.Event)  # the master says: end now
    sent: asyncio.Event = field(default_factory=asyncio.Event)
    sent_report: dict[str, object] = field(default_factory=dict)
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
        self.expect_file = f"{REMOTE_DIR}/{verification_id}.expect"
        self._carried = self._carried_by_listener()

    def _carried_by_listener(self) -> dict[str, list[tuple[str, int, list[tuple[str, str]]]]]:
        """For each listener, (NIC, VLAN, every node and NIC carrying that network and VLAN).
        The members' lists are shared, not copied per listener: the expectations themselves
        (≈200 000 of them at 200 nodes, 40 MB as tuples kept for the whole run) are written
        out one listener at a time (`_expect_for`)."""
        carriers: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for node in self.plan.nodes:
            for nic in node.nics:
                for network, vlans in nic.networks.items():
                    for vlan in vlans:
                        carriers.setdefault((network, vlan), []).append((node.node, nic.nic))
        carried: dict[str, list[tuple[str, int, list[tuple[str, str]]]]] = {}
        for (_, vlan), members in carriers.items():
            for listener, nic_name in members:
                carried.setdefault(listener, []).append((nic_name, vlan, members))
        return carried

    def _expect_for(self, mac: str) -> dict[str, dict[str, list[list[str]]]]:
        """What one listener expects to hear, by NIC and VLAN: every other carrier of each of
        its networks, sorted."""
        found: dict[str, dict[int, set[tuple[str, str]]]] = {}
        for nic, vlan, members in self._carried.get(mac, []):
            found.setdefault(nic, {}).setdefault(vlan, set()).update(m for m in members if m[0] != mac)
        return {
            nic: {str(vlan): [list(p) for p in sorted(peers)] for vlan, peers in sorted(per_vlan.items())}
            for nic, per_vlan in sorted(found.items())
        }

    # ------------------------------------------------------------------ phases

    async def run(self) -> dict[str, dict[str, dict[int, set[tuple[str, str]]]]]:
        """What every node heard; nodes whose listener failed heard nothing."""
        started = time.monotonic()
        try:
            for node in self.nodes.values():
                node.listener = asyncio.create_task(self._listen(node))
            await self._wait_all("ready", lambda n: n.ready, "the probe listener was not ready")
            await self._phase(35, "listening on every NIC", started)
            await self._gather(self._go)
            await self._wait_all("sent", lambda n: n.sent, "the probe listener did not send its probes")
            await self._phase(60, "probes sent", started)
            await self._collect()
            await self._phase(90, "results collected", started)
        finally:
            for node in self.nodes.values():
                if node.listener is not None and not node.listener.done():
                    node.listener.cancel()
        return {mac: node.heard for mac, node in self.nodes.items()}

    async def _phase(self, progress: int, what: str, started: float) -> None:
        await self.progress(progress, what)
        await self.log(None, f"{what} (+{time.monotonic() - started:.2f} s)")

    async def _gather(self, step: Callable[[NodeRun], Awaitable[None]]) -> None:
        async def guarded(node: NodeRun) -> None:
            if node.failure is not None:
                return
            try:
                await step(node)
            except Exception as exc:  # one node's failure must not stop the others
                await self._fail(node, str(exc) or type(exc).__name__)

        await asyncio.gather(*(guarded(n) for n in self.nodes.values()))

    async def _fail(self, node: NodeRun, reason: str) -> None:
        node.failure = reason
        await self.log(node.mac, f"verification: {reason}")
        if node.listener is not None and not node.listener.done():
            node.listener.cancel()  # the fan-out kills the remote listener

    def _plan_nics(self, mac: str) -> list[tuple[str, list[int]]]:
        plan = self.plan.node(mac)
        return [(nic.nic, nic.vlans) for nic in plan.nics] if plan is not None else []

    async def _listen(self, node: NodeRun) -> RunResultLike:
        argv = [
            "python3", "-I", "-c", BOOT, REMOTE_DIR, self.expect_file,
            "listen", "--id", self.vid, "--node", node.mac, "--up",
            "--stop-file", self.stop_file, "--control-stdin", "--expect-file", self.expect_file,
            "--grace", f"{self.timing.grace:g}", "--timeout", f"{self.timing.listen_timeout:g}",
            # The first listener ready waits for the last (see `_wait_all`): up to half its life.
            "--go-timeout", f"{self.timing.listen_timeout / 2 + 15:g}",
        ]  # fmt: skip
        for nic, vlans in self._plan_nics(node.mac):
            argv += ["--send", f"{nic}={','.join(str(v) for v in vlans)}"]
        payload = json.dumps({"agent": AGENT_SOURCE.read_text(), "expect": self._expect_for(node.mac)})
        return await self.fanout.run(
            node.host,
            argv,
            on_line=lambda stream, line: self._on_line(node, stream, line),
            timeout=self.timing.listen_timeout + 10,
            input=self._control(node, payload),
        )

    @staticmethod
    async def _control(node: NodeRun, payload: str) -> AsyncIterator[str]:
        """The listener's stdin: its files, then GO and STOP when the master decides them.
        The stream stays open until the listener ends: its EOF would tell it the master left."""
        yield payload + "\n"
        del payload  # the agent and its expectations, ~60 KB a node: not kept for the run
        await node.go.wait()
        yield "GO\n"
        await node.stop.wait()
        yield "STOP\n"
        await asyncio.Future()  # keep stdin open; the fan-out cancels this when the listener ends

    def _on_line(self, node: NodeRun, stream: str, line: str) -> None:
        if stream != "stdout":
            return
        word, _, rest = line.partition(" ")
        if word == "READY":
            errors = _json_dict(rest).get("errors")
            if isinstance(errors, dict):
                node.errors.update({str(k): str(v) for k, v in errors.items()})
            node.ready.set()
        elif word == "SENT":
            node.sent_report = _json_dict(rest)
            node.sent.set()

    async def _wait_all(self, what: str, event: Callable[[NodeRun], asyncio.Event], failure: str) -> None:
        stall = self.timing.ready_timeout
        # Room after this phase for the next ones before the listeners' own end.
        cap = time.monotonic() + max(stall, self.timing.listen_timeout / 2)
        last = time.monotonic()  # when a listener last got this far

        async def one(node: NodeRun) -> None:
            nonlocal last
            assert node.listener is not None
            waiter = asyncio.create_task(event(node).wait())
            watched: set[asyncio.Future[Any]] = {waiter, node.listener}
            done: set[asyncio.Future[Any]] = set()
            while not done and (left := min(last + stall, cap) - time.monotonic()) > 0:
                done, _ = await asyncio.wait(watched, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if event(node).is_set():
                last = max(last, time.monotonic())
                await self._report(node, what)
            elif node.listener in done:
                await self._fail(node, _failure(node.listener, f"{failure}: it ended"))
            else:
                await self._fail(node, f"{failure}: no other listener got further for {stall:g} s")

        await asyncio.gather(*(one(n) for n in self.nodes.values() if n.failure is None))

    async def _report(self, node: NodeRun, what: str) -> None:
        if what == "ready" and node.errors:
            await self.log(node.mac, f"verification: cannot listen on {_describe(node.errors)}")
        if what == "sent":
            report = node.sent_report
            if report.get("errors"):
                await self.log(node.mac, f"verification: cannot send on {_describe(report['errors'])}")
            await self.log(node.mac, f"verification: sent {report.get('frames', 0)} probe frames")

    async def _go(self, node: NodeRun) -> None:
        """Tell the node's listener to send its probes (every listener is ready by now): a line
        down its open session, not a new session per node at the moment all of them wait."""
        node.go.set()

    async def _collect(self) -> None:
        """Listeners end by themselves within the grace period; a late one is stopped."""

        async def one(node: NodeRun) -> None:
            if node.listener is None or node.failure is not None:
                return
            result = None
            for attempt in range(2):
                try:
                    result = await asyncio.wait_for(asyncio.shield(node.listener), self.timing.grace + 10)
                    break
                except TimeoutError:
                    if attempt == 0:
                        node.stop.set()
                except Exception as exc:
                    await self._fail(node, f"no result from the probe listener: {exc or type(exc).__name__}")
                    return
            if result is None:
                await self._fail(node, "the probe listener did not end")
                return
            line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), "")
            if not line:
                detail = result.stderr.strip().splitlines()[-1:] or [f"exit status {result.exit_status}"]
                await self._fail(node, f"the probe listener gave no result ({detail[0]})")
                return
            report = _json_dict(line.partition(" ")[2])
            heard = report.get("heard")
            for nic, per_vlan in (heard if isinstance(heard, dict) else {}).items():
                node.heard[nic] = {
                    int(v): {(str(p[0]), str(p[1])) for p in peers} for v, peers in per_vlan.items()
                }
            errors = report.get("errors")
            if isinstance(errors, dict):
                node.errors.update({str(k): str(v) for k, v in errors.items()})

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
