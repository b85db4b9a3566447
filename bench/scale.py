#!/usr/bin/env python3
"""A namespace lab end to end at size: up → discovered → verify → base-graph deploy → health.

    sudo python bench/scale.py --nodes 200 [--write docs/benchmarks.md]

A lab (`fueltui.lab`, prefix `sc`) of `--nodes` nodes with 4 NICs each (real sshd in network
namespaces) and its master; every node discovered; one environment (1 controller, the rest
computes; admin+private / management / public / storage on eth0..eth3); verify; a deploy of
the base graph (the lab's nodes run no OpenStack OS, so no payload); the health check. Per
phase: wall time, the master's CPU seconds from its own accounting (/proc/<pid>/stat, so the
nodes' sshd and shells are not in it), CPU per node, the master's peak RSS, the SQLite file's
size, and the events the master sent (counted by a console following the stream).

Discovery is timed from the moment every node holds a lease (`lab up` returns then) to the
moment the master lists every node online with its facts; nodes still missing after
`--timeout` are named, and the run goes on with those that were found. The lab is removed
afterwards, even on failure; the master's log is copied to `--logs` first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
from collections import Counter as Tally
from dataclasses import dataclass
from pathlib import Path

from fueltui.api.schema import TaskRecord
from fueltui.client.api import MasterClient
from fueltui.lab.lab import Lab
from procstat import cpu_seconds, memory_mb
from report import machine_line, publish

PREFIX = "sc"
SECTION = "## Scale: a namespace lab end to end"
INTERFACES = {
    "eth0": ["fuelweb_admin", "private"],
    "eth1": ["management"],
    "eth2": ["public"],
    "eth3": ["storage"],
}


def answers(macs: list[str]) -> str:
    lines = ["environment:", "  name: bench", "  release: epoxy-debian-13", "  mode: neutron-gre", "nodes:"]
    for index, mac in enumerate(macs):
        roles = "[controller]" if index == 0 else "[compute]"
        lines += [f'  - mac: "{mac}"', f"    roles: {roles}", f"    interfaces: {json.dumps(INTERFACES)}"]
    return "\n".join(lines) + "\n"


class Counter:
    """A console following the event stream, counting what the master sends."""

    def __init__(self) -> None:
        self.events = 0

    async def follow(self, client: MasterClient) -> None:
        async for _event in client.events():
            self.events += 1


async def finish(client: MasterClient, record: TaskRecord, timeout: float) -> TaskRecord:
    deadline = time.monotonic() + timeout
    while not record.status.finished:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{record.kind} did not finish in {timeout:.0f} s")
        await asyncio.sleep(0.2)  # polling the master
        record = await client.task(record.id)
    return record


@dataclass
class Up:
    """`lab up` until every node leased, then until the master listed every node."""

    leased_wall: float
    leased_cpu: float  # the master's CPU seconds when every node held a lease
    discovered_wall: float
    found: list[str]  # the admin MACs listed online with facts by then


async def discovered(lab: Lab, macs: list[str], timeout: float) -> tuple[float, list[str]]:
    """Seconds until the master listed every MAC online with facts (or `timeout`), and the
    MACs it listed by then."""
    started = time.monotonic()
    async with await MasterClient.connect(lab.master_state_dir, autostart=False) as client:
        while True:
            found = {r.node.mac for r in await client.nodes() if r.node.online and r.node.facts.nics}
            if found >= set(macs) or time.monotonic() - started > timeout:
                return time.monotonic() - started, [m for m in macs if m in found]
            await asyncio.sleep(0.2)  # polling the master


async def phases(lab: Lab, count: int, up: Up, pid: int, limit: float = 1800.0) -> list[dict[str, object]]:
    client = await MasterClient.connect(lab.master_state_dir, autostart=False)
    counter = Counter()
    follower = asyncio.create_task(counter.follow(client))
    db = lab.master_state_dir / "fueltui.db"
    rows: list[dict[str, object]] = []

    def row(name: str, wall: float, cpu: float, events: int, outcome: str) -> None:
        rows.append(
            {
                "phase": name,
                "wall": wall,
                "cpu": cpu,
                "cpu_ms_per_node": cpu / count * 1000,
                "peak_rss": memory_mb(pid)[1],
                "db_mb": sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20,
                "events": events,
                "outcome": outcome,
            }
        )

    try:
        row("lab up → every node leased", up.leased_wall, up.leased_cpu, 0, f"{count} with sshd and a lease")
        missing = count - len(up.found)
        row(
            "… → every node discovered (from the last lease)",
            up.discovered_wall,
            cpu_seconds(pid) - up.leased_cpu,
            0,
            f"{len(up.found)} discovered" + (f", {missing} never listed" if missing else ""),
        )
        await client.apply(answers(up.found), "<bench>")
        targets = [r.node.ip for r in await client.nodes() if r.node.ip]
        for name, start_task, timeout in (
            ("facts round 1 (POST /discover of every node)", lambda: client.discover(targets), 600.0),
            ("facts round 2 (the same again)", lambda: client.discover(targets), 600.0),
            ("verify (4 NICs each)", lambda: client.verify("bench"), 600.0),
            ("deploy, base graph", lambda: client.deploy("bench", skip_verify=True), 1800.0),
            ("health check", lambda: client.health("bench"), 600.0),
        ):
            await asyncio.sleep(1)  # the stream has delivered the previous phase's events
            cpu0, events0, started = cpu_seconds(pid), counter.events, time.monotonic()
            try:
                record = await finish(client, await start_task(), min(timeout, limit))
                outcome = f"{record.status.value}: {record.message}"[:80]
                stuck = [p for p in record.nodes.values() if p.status != "ready"]
                by_task = Tally(f"{p.status} at {p.task}: {p.message[:120]}" for p in stuck)
                for what, nodes in by_task.most_common(5):  # why nodes did not get through
                    print(f"{name}: {nodes} nodes {what}", file=sys.stderr)
            except Exception as exc:  # a phase the lab cannot run is reported, the next still measured
                outcome = f"refused: {exc}"[:80]
            wall = time.monotonic() - started
            await asyncio.sleep(0.5)
            row(name, wall, cpu_seconds(pid) - cpu0, counter.events - events0, outcome)
            print(json.dumps(rows[-1]), file=sys.stderr)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        await client.close()
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| phase | wall (s) | master CPU (s) | CPU per node (ms) | master peak RSS (MB) "
        "| SQLite with WAL (MB) "
        "| events sent | outcome |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['phase']} | {r['wall']:.1f} | {r['cpu']:.2f} | {r['cpu_ms_per_node']:.1f} "
            f"| {r['peak_rss']:.0f} | {r['db_mb']:.2f} | {r['events']} | {r['outcome']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds for the lab to come up, and then for discovery"
    )
    parser.add_argument("--phase-timeout", type=float, default=1800, help="seconds a phase may take")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--logs", type=Path, help="copy the lab master's log here before `lab down`")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("the benchmark builds a lab of namespaces: run it as root", file=sys.stderr)
        return 2
    lab = Lab(os.environ.get("FUELTUI_LAB_PREFIX") or PREFIX)
    load_before = os.getloadavg()[0]
    try:
        started = time.monotonic()
        state = lab.up(nodes=args.nodes, nics=4, timeout=args.timeout)
        leased = time.monotonic() - started
        if state.master_pid is None:
            raise SystemExit("the lab's master did not start")
        leased_cpu = cpu_seconds(state.master_pid)
        macs = [n.admin_mac for n in state.nodes]
        wall, found = asyncio.run(discovered(lab, macs, args.timeout))
        if len(found) < len(macs):
            never = ", ".join(m for m in macs if m not in found)
            print(f"not discovered after {wall:.0f} s: {never}", file=sys.stderr)
        up = Up(leased, leased_cpu, wall, found)
        rows = asyncio.run(phases(lab, args.nodes, up, state.master_pid, args.phase_timeout))
    finally:
        if args.logs is not None:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in lab.names.log_dir.glob("master*.log"):
                shutil.copy(log, args.logs / log.name)
        lab.down()
    text = (
        f"{machine_line(f'sudo python bench/scale.py --nodes {args.nodes}')} Load average at the start "
        f"{load_before:.1f}.\n\n{table(rows)}"
    )
    publish(text, args.write, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
