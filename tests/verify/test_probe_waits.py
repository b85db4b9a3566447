"""How long the master waits for the nodes' probe listeners: while they keep arriving, and a
fixed time after the last one (not a fixed time from the start, which failed every node of a
200-node run whose listeners, all starting at once, took longer than that to come up)."""

from __future__ import annotations

import asyncio
import time

from factories import RELEASE, environment, node

from fueltui.core.verifyplan import build_plan
from fueltui.master.verify.probes import ProbeRun, Timing
from fueltui.ssh.fanout import Fanout


async def test_listeners_arriving_steadily_are_waited_for_and_a_stuck_one_fails_after_the_last() -> None:
    nodes = [node(i) for i in range(1, 7)]
    plan = build_plan(environment(), RELEASE, nodes)
    logged: list[tuple[str | None, str]] = []

    async def log(mac: str | None, line: str) -> None:
        logged.append((mac, line))

    async def progress(percent: int, what: str) -> None:
        return None

    fanout = Fanout.__new__(Fanout)  # never used: the listeners below stand in for the SSH runs
    run = ProbeRun(fanout, plan, {n.mac: "192.0.2.1" for n in nodes}, "v1", log, progress,
                   Timing(ready_timeout=0.6))  # fmt: skip
    macs = [n.mac for n in nodes]
    never = asyncio.Event()  # listeners that keep running until cancelled, as a remote one does
    listeners = {mac: asyncio.create_task(never.wait()) for mac in macs}
    for mac, listener in listeners.items():
        run.nodes[mac].listener = listener  # type: ignore[assignment]  # stands in for the SSH run

    async def arrive() -> None:  # one listener ready every 0.3 s: 1.5 s in all, well past 0.6 s
        for mac in macs[:-1]:
            await asyncio.sleep(0.3)  # polling interval: the listeners' arrivals, spread out
            run.nodes[mac].ready.set()

    started = time.monotonic()
    arrivals = asyncio.create_task(arrive())
    await run._wait_all("ready", lambda n: n.ready, "the probe listener was not ready")
    waited = time.monotonic() - started
    await arrivals
    assert [m for m in macs if run.nodes[m].failure is None] == macs[:-1]
    stuck = run.nodes[macs[-1]].failure
    assert stuck == "the probe listener was not ready: no other listener got further for 0.6 s"
    assert 1.5 + 0.6 - 0.1 < waited < 1.5 + 0.6 + 1.0, waited
    assert listeners[macs[-1]].cancelling()  # the fan-out kills a failed node's remote listener
    for listener in listeners.values():
        listener.cancel()
