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

Facts rounds: `--rounds` rounds over the master's open connections, then a cold round. For the
cold round the master's SSH connections are cut from outside (`ss -K` in the lab master's
namespace: the kernel resets them, as a node's reboot would), the master is left until its CPU
stops moving, and then every node is discovered again over new connections, each with its own
handshake; so its CPU is neither the master's start nor its imports. `--facts-only` stops
there (the profiling runs); `--keep` leaves the lab up, and a run that finds it up restarts
its master (so that it runs this tree's code) instead of building it again; `--profile DIR`
records each phase with py-spy (non-blocking sampling, speedscope files).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fueltui.api.schema import TaskRecord
from fueltui.client.api import MasterClient
from fueltui.lab.lab import Lab
from fueltui.lab.processes import end
from procstat import cpu_seconds, memory_mb, wait_idle
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


# name, the call that starts its task, its timeout, what to do first (off the event loop)
Phase = tuple[str, Callable[[], Awaitable[TaskRecord]], float, Callable[[], None] | None]


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

    label: str
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


def neighbour_table_fulls() -> int:
    """How often the kernel's ARP table was full (all CPUs). The table is one for the whole
    kernel, every namespace's entries counted against the host's `gc_thresh3` (1 024 by
    default, not settable from a namespace): a lab of 200 nodes pinging their peers needs
    several thousand at once, so packets are dropped that a rack of real machines, each with
    its own table, would deliver. Read-only: nothing of the host is changed."""
    try:
        lines = Path("/proc/net/stat/arp_cache").read_text().split("\n")
    except OSError:
        return 0
    column = lines[0].split().index("table_fulls")
    return sum(int(line.split()[column], 16) for line in lines[1:] if line.strip())


def ssh_connections(lab: Lab) -> int:
    """The master's established SSH connections to the nodes (seen in its namespace)."""
    out = lab.master_exec(["ss", "-H", "-t", "-n", "state", "established", "dport", "=", ":22"])
    return len(out.splitlines())


def cut_connections(lab: Lab, pid: int) -> int:
    """Reset every SSH connection the master holds (as a rebooted node would) and wait until the
    master has noticed and gone idle. Returns how many were cut."""
    held = ssh_connections(lab)
    lab.master_exec(["ss", "-K", "-H", "-t", "-n", "state", "established", "dport", "=", ":22"])
    if ssh_connections(lab):
        raise RuntimeError("the master's SSH connections could not be cut (`ss -K`)")
    settle(pid, "after its connections were cut")
    return held


def settle(pid: int, when: str, timeout: float = 60.0) -> None:
    """Wait until the master is idle; one still busy is measured anyway, with a warning."""
    try:
        wait_idle(pid, timeout=timeout)
    except TimeoutError as exc:
        print(f"warning: {exc} ({when}); measuring anyway", file=sys.stderr)


@contextlib.contextmanager
def profiled(pid: int, out: Path | None, name: str) -> Iterator[None]:
    """py-spy samples the master while the phase runs (without stopping it: --nonblocking)."""
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in name.split("(")[0].strip())
    argv = ["py-spy", "record", "--pid", str(pid), "--nonblocking", "--rate", "250", "--format", "speedscope"]
    spy = subprocess.Popen([*argv, "-o", str(out / f"{slug}.speedscope.json")], stdout=subprocess.DEVNULL)
    time.sleep(1)  # attached before the phase starts
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        spy.wait(60)


async def phases(lab: Lab, count: int, up: Up, pid: int, args: argparse.Namespace) -> list[dict[str, object]]:
    client = await MasterClient.connect(lab.master_state_dir, autostart=False)
    counter = Counter()
    follower = asyncio.create_task(counter.follow(client))
    db = lab.master_state_dir / "fueltui.db"
    rows: list[dict[str, object]] = []
    limit = args.phase_timeout

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
        row(up.label, up.leased_wall, up.leased_cpu, 0, f"{count} with sshd and a lease")
        missing = count - len(up.found)
        row(
            "… → every node discovered (from the last lease)",
            up.discovered_wall,
            cpu_seconds(pid) - up.leased_cpu,
            0,
            f"{len(up.found)} discovered" + (f", {missing} never listed" if missing else ""),
        )
        if not args.keep or not (await client.environments()):
            await client.apply(answers(up.found), "<bench>")
        targets = [r.node.ip for r in await client.nodes() if r.node.ip]
        cut: list[int] = []

        def cold() -> None:
            cut.append(cut_connections(lab, pid))

        facts: list[Phase] = [
            (
                f"facts round {k} (" + ("POST /discover of every node" if k == 1 else "the same again") + ")",
                lambda: client.discover(targets),
                600.0,
                None,
            )
            for k in range(1, args.rounds + 1)
        ]
        facts.append(("facts round, cold (new connections)", lambda: client.discover(targets), 600.0, cold))
        later: list[Phase] = [
            ("verify (4 NICs each)", lambda: client.verify("bench"), 600.0, None),
            ("deploy, base graph", lambda: client.deploy("bench", skip_verify=True), 1800.0, None),
            ("health check", lambda: client.health("bench"), 600.0, None),
        ]
        for name, start_task, timeout, prepare in facts + ([] if args.facts_only else later):
            await asyncio.sleep(1)  # the stream has delivered the previous phase's events
            if prepare is not None:
                try:
                    await asyncio.to_thread(prepare)
                except Exception as exc:  # the phase is still run and reported, its outcome says so
                    print(f"{name}: not prepared: {exc}", file=sys.stderr)
                    cut.append(-1)
            with profiled(pid, args.profile, name):
                cpu0, events0, started = cpu_seconds(pid), counter.events, time.monotonic()
                fulls0 = neighbour_table_fulls()
                try:
                    record = await finish(client, await start_task(), min(timeout, limit))
                    outcome = f"{record.status.value}: {record.message}"
                    stuck = [p for p in record.nodes.values() if p.status != "ready"]
                    by_task = Tally(f"{p.status} at {p.task}: {p.message[:120]}" for p in stuck)
                    for what, nodes in by_task.most_common(5):  # why nodes did not get through
                        print(f"{name}: {nodes} nodes {what}", file=sys.stderr)
                except Exception as exc:  # a phase the lab cannot run is reported, the next still measured
                    outcome = f"refused: {exc}"
                wall = time.monotonic() - started
                await asyncio.sleep(0.5)
                cpu = cpu_seconds(pid) - cpu0
            fulls = neighbour_table_fulls() - fulls0
            if fulls:
                print(f"{name}: the host's ARP table was full {fulls} times (one table for every namespace)",
                      file=sys.stderr)  # fmt: skip
                outcome = f"host ARP table full {fulls}x; {outcome}"
            if prepare is not None:
                held = f"{cut[-1]} connections cut" if cut[-1] >= 0 else "connections NOT cut"
                outcome += f"; {held}, {ssh_connections(lab)} new"
            row(name, wall, cpu, counter.events - events0, outcome[:80])
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


def bring_up(lab: Lab, args: argparse.Namespace) -> tuple[str, float, int, list[str]]:
    """(row label, seconds, master pid, admin MACs): a new lab, or with `--keep` the kept one
    with its master restarted (so that it runs this tree's code)."""
    started = time.monotonic()
    kept = lab.state()
    if args.keep and kept is not None and lab.healthy(kept) and len(kept.nodes) == args.nodes:
        if kept.master_pid is not None:
            end([kept.master_pid], grace=30.0)
        pid = lab.restart_master()
        label = "lab kept, its master restarted → listening"
        macs = [n.admin_mac for n in kept.nodes]
    else:
        state = lab.up(nodes=args.nodes, nics=4, timeout=args.timeout)
        if state.master_pid is None:
            raise SystemExit("the lab's master did not start")
        pid, label = state.master_pid, "lab up → every node leased"
        macs = [n.admin_mac for n in state.nodes]
    return label, time.monotonic() - started, pid, macs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument(
        "--timeout", type=float, default=900, help="seconds for the lab to come up, and then for discovery"
    )
    parser.add_argument("--phase-timeout", type=float, default=1800, help="seconds a phase may take")
    parser.add_argument("--rounds", type=int, default=2, help="facts rounds over open connections")
    parser.add_argument("--facts-only", action="store_true", help="stop after the cold facts round")
    parser.add_argument("--keep", action="store_true", help="leave the lab up; reuse a kept one")
    parser.add_argument("--profile", type=Path, help="py-spy speedscope profiles of each phase here")
    parser.add_argument(
        "--poll",
        type=float,
        default=3600,
        help="the master's liveness poll in seconds (30 on a master: a facts round of every node "
        "of its own); an hour by default, so that none falls into a measured round",
    )
    parser.add_argument("--write", type=Path)
    parser.add_argument(
        "--logs", type=Path, help="copy the lab master's log and task logs here before `lab down`"
    )
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("the benchmark builds a lab of namespaces: run it as root", file=sys.stderr)
        return 2
    poll = {"FUELTUI_POLL_INTERVAL": str(args.poll), "FUELTUI_OFFLINE_AFTER": str(max(180.0, 6 * args.poll))}
    lab = Lab(os.environ.get("FUELTUI_LAB_PREFIX") or PREFIX, master_env=poll)
    load_before = os.getloadavg()[0]
    try:
        label, leased, pid, macs = bring_up(lab, args)
        leased_cpu = cpu_seconds(pid)
        wall, found = asyncio.run(discovered(lab, macs, args.timeout))
        if len(found) < len(macs):
            never = ", ".join(m for m in macs if m not in found)
            print(f"not discovered after {wall:.0f} s: {never}", file=sys.stderr)
        settle(pid, "after discovery", timeout=300)  # late leases' retries, a restarted master's round
        up = Up(label, leased, leased_cpu, wall, found)
        rows = asyncio.run(phases(lab, args.nodes, up, pid, args))
    finally:
        if args.logs is not None:
            args.logs.mkdir(parents=True, exist_ok=True)
            for log in lab.names.log_dir.glob("master*.log"):
                shutil.copy(log, args.logs / log.name)
            tasks = lab.names.master_state / "logs" / "tasks"  # every node's log of every phase
            if tasks.is_dir():
                shutil.copytree(tasks, args.logs / "tasks", dirs_exist_ok=True)
        if not args.keep:
            lab.down()
    text = (
        f"{machine_line(f'sudo python bench/scale.py --nodes {args.nodes}')} Load average at the start "
        f"{load_before:.1f}.\n\n{table(rows)}"
    )
    publish(text, args.write, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
