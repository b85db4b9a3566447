#!/usr/bin/env python3
"""A real master process for the API and log benches, with two extra task kinds.

    python bench/benchmaster.py STATE_DIR

It is `fueltui master run` (the same server, store, event bus and log files) plus:
- `bench-nodes` (params: count, nics): records `count` nodes as discovery does
  (`Store.upsert_discovered`, the path a DHCP lease and a facts report take);
- `bench-flood` (params: macs, lines, rate): writes `lines` deploy-like lines spread over the
  nodes at `rate` lines/s through `TaskContext.log`, the path every deploy task's output takes
  (node file, task files, one `task.log` event per line).
The benches start these through the API (`POST /tasks`) and measure this process from outside
(/proc/<pid>/stat and status).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

from fueltui.core.model import Cpu, Disk, Memory, Nic, NodeFacts
from fueltui.master import tasks
from fueltui.master.server import MasterServer

WORDS = (
    "Setting up nova-compute (2:27.0.0-0ubuntu1) ...",
    "Unpacking python3-oslo.messaging (14.7.0-0ubuntu1) over (14.6.0) ...",
    "INFO neutron.agent.ovsdb: Port tap1b2c3d4e-5f added to br-int",
    "WARNING oslo.service: Heartbeat took 1.2 s, longer than 1.0 s",
    "Processing triggers for man-db (2.12.0-4build2) ...",
)


def node_mac(index: int) -> str:
    return f"52:54:{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}:01"


def facts(index: int, nics: int) -> NodeFacts:
    return NodeFacts(
        nics=[
            Nic(
                name=f"eth{i}",
                mac=node_mac(index) if i == 0 else node_mac(index)[:-2] + f"{i + 1:02x}",
                pxe=i == 0,
                state="up",
                speed_mbps=10000,
            )
            for i in range(nics)
        ],
        cpu=Cpu(model="Xeon", count=32),
        memory=Memory(total_bytes=256 << 30),
        disks=[Disk(name="sda", size_bytes=960 << 30), Disk(name="sdb", size_bytes=3840 << 30)],
        hostname=f"node-{index}",
    )


async def bench_nodes(ctx: tasks.TaskContext) -> dict[str, object]:
    count = int(str(ctx.params.get("count", 10)))
    nics = int(str(ctx.params.get("nics", 4)))
    for index in range(count):
        ip = f"10.{20 + (index >> 16)}.{(index >> 8) & 255}.{index & 255}"
        ctx.store.upsert_discovered(node_mac(index), ip, facts(index, nics))
        if index % 50 == 0:
            await asyncio.sleep(0)  # let the API answer meanwhile, as discovery does
    return {"nodes": count}


async def bench_flood(ctx: tasks.TaskContext) -> dict[str, object]:
    macs = [str(mac) for mac in ctx.params.get("macs", []) or []]  # type: ignore[union-attr]
    total = int(str(ctx.params.get("lines", 1000)))
    rate = float(str(ctx.params.get("rate", 2000)))
    start = time.monotonic()
    for n in range(total):
        mac = macs[n % len(macs)] if macs else None
        # the sequence number and the time let a reader count losses and its own lag
        await ctx.log(mac, f"{WORDS[n % len(WORDS)]} [{n}] t={time.time():.3f}")
        if n % 50 == 49:  # pace in small bursts, as a busy deploy's readers deliver lines
            ahead = start + (n + 1) / rate - time.monotonic()
            await asyncio.sleep(max(0.0, ahead))
    return {"lines": total, "seconds": round(time.monotonic() - start, 3)}


def main() -> int:
    base = Path(sys.argv[1])
    os.environ["FUELTUI_STATE_DIR"] = str(base)
    os.environ["FUELTUI_NO_DISCOVERY"] = "1"
    logging.basicConfig(level="WARNING", stream=sys.stderr)
    server = MasterServer(base, None, log_level="warning")
    server.prepare()
    assert server.server is not None
    server.server.master.tasks.register("bench-nodes", bench_nodes)  # on this master's own manager
    server.server.master.tasks.register("bench-flood", bench_flood)
    # as `fueltui master run`: uvicorn handles the signal and re-raises it once it has stopped
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda _signo, _frame: None)
    asyncio.run(server.serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
