#!/usr/bin/env python3
"""The API at 1 000 nodes, and five consoles following events while a deploy streams.

A real master process (bench/benchmaster.py):
1. `--nodes` nodes recorded as discovery does, then placed in an environment through the API
   (one `PUT /nodes/{mac}` each, carrying the revision read, as the TUI does);
2. latency of `GET /nodes` and `GET /environments/{name}` (`--requests` each, p50/p95/max),
   measured in the client with the response parsed into its models — for `GET /nodes` both a
   list parsed in full (the client's kept list forgotten, as when the list changed) and an
   unchanged one (the client sends its ETag, the master answers 304, the kept list is returned)
   and one with a node renamed before each request (only that record validated again), and one
   with a second's worth of nodes seen again by discovery as they were (their last seen moves, the
   list does not: a 304) — and the SQLite plan of the queries behind them (EXPLAIN QUERY PLAN);
3. `--consumers` processes follow `GET /events` while a task writes `--rate` lines/s for
   `--seconds` s spread over 200 of the nodes; every line carries its number and the time it
   was written, so each consumer counts what it lost and how far behind it was. The master's
   RSS is sampled meanwhile.

    python bench/api.py [--nodes 1000] [--requests 50] [--consumers 5] [--rate 2000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmaster import node_mac
from fueltui.api.schema import API_PREFIX
from fueltui.client.api import MasterClient
from procstat import BENCH, ROOT, BenchMaster, bench_master, cpu_seconds, memory_mb
from report import machine_line, publish

SECTION = "## API at 1 000 nodes"
LINE = re.compile(r"\[(\d+)\] t=([0-9.]+)$")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def place_all(client: MasterClient, count: int, env: str) -> float:
    """Every node into `env` through the API, 8 requests in flight; returns the wall time."""
    gate = asyncio.Semaphore(8)

    async def one(index: int) -> None:
        async with gate:
            record = await client.node(node_mac(index))
            role = "controller" if index < 3 else "compute"
            record = await client.update_node(record.node.mac, record.revision, environment=env)
            await client.update_node(record.node.mac, record.revision, roles=[role])

    start = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(count)))
    return time.monotonic() - start


Timing = tuple[float, float]  # wall ms, this process's CPU ms


def clock() -> Timing:
    return time.perf_counter(), time.process_time()


def since(start: Timing) -> Timing:
    """Wall and CPU ms since `start`: the CPU time is the client's own work (the parse), which the
    wall time shows mixed with the master's and with waiting for a CPU on a shared machine."""
    wall, cpu = clock()
    return (wall - start[0]) * 1000, (cpu - start[1]) * 1000


async def latencies(call: object, requests: int) -> list[Timing]:
    times: list[Timing] = []
    for _ in range(requests):
        start = clock()
        await call()  # type: ignore[operator]
        times.append(since(start))
    return times


async def one_changed(client: MasterClient, nodes: int, requests: int) -> list[Timing]:
    """`GET /nodes` after one node was renamed (the rename not timed), as during a deploy."""
    times: list[Timing] = []
    for turn in range(requests):
        index = turn % nodes
        record = await client.node(node_mac(index))
        await client.update_node(record.node.mac, record.revision, name=f"n{index}-{turn}")
        start = clock()
        records = await client.nodes()
        times.append(since(start))
        assert records[index].node.name == f"n{index}-{turn}"
    return times


async def seen_again(master: BenchMaster, nodes: int, requests: int) -> list[Timing]:
    """`GET /nodes` after discovery saw a second's worth of nodes again, unchanged (not timed): at a
    30 s poll, 1 in 30 of them each second. Nothing a console shows moved: the kept list (304)."""
    seen = max(1, nodes // 30)
    times: list[Timing] = []
    kept = await master.client.nodes()
    for _ in range(requests):
        await master.run_task("bench-nodes", {"count": seen, "nics": 4})  # the discovery path
        start = clock()
        records = await master.client.nodes()
        times.append(since(start))
        assert all(a is b for a, b in zip(kept, records, strict=True)), "not a 304"
    return times


def query_plans(base: Path) -> list[str]:
    db = sqlite3.connect(f"file:{base / 'fueltui.db'}?mode=ro", uri=True)
    plans = []
    for sql, params in (
        ("SELECT mac, revision, data FROM nodes ORDER BY mac", ()),
        ("SELECT revision, data FROM environments WHERE name = ?", ("bench",)),
        ("SELECT revision, data, last_seen FROM nodes WHERE mac = ?", ("x",)),
    ):
        detail = "; ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))
        plans.append(f"`{sql}` → {detail}")
    db.close()
    return plans


async def consume(base: Path, expect: int, seconds: float) -> dict[str, object]:
    """One console: follow the events until `expect` numbered lines or the time is up."""
    client = await MasterClient.connect(base, autostart=False)
    print("ready", flush=True)
    seen: set[int] = set()
    lags: list[float] = []
    events = 0
    deadline = time.time() + seconds

    async def follow() -> None:
        nonlocal events
        async for event in client.events(after=0):  # from the history: nothing before the connect lost
            events += 1
            if event.type != "task.log":
                continue
            match = LINE.search(str(event.data.get("line", "")))
            if match:
                seen.add(int(match.group(1)))
                lags.append(time.time() - float(match.group(2)))
                if len(seen) >= expect:
                    return

    try:
        await asyncio.wait_for(follow(), timeout=max(1.0, deadline - time.time()))
    except TimeoutError:
        pass
    finally:
        await client.close()
    return {
        "received": len(seen),
        "lost": expect - len(seen),
        "events": events,
        "lag_p50": statistics.median(lags) if lags else 0.0,
        "lag_p99": percentile(lags, 0.99) if lags else 0.0,
        "lag_max": max(lags) if lags else 0.0,
    }


async def stream(
    master: BenchMaster, consumers: int, rate: int, seconds: float, nodes: int
) -> dict[str, object]:
    lines = int(rate * seconds)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(BENCH / "api.py"),
                "--consume",
                str(master.base),
                "--expect",
                str(lines),
                "--seconds",
                str(seconds * 3 + 30),
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        for _ in range(consumers)
    ]
    for proc in procs:  # each console has connected
        assert proc.stdout is not None
        await asyncio.to_thread(proc.stdout.readline)
    macs = [node_mac(i) for i in range(min(200, nodes))]
    cpu0 = cpu_seconds(master.pid)
    rss0 = memory_mb(master.pid)[0]
    record = await master.client.start_task("bench-flood", None, {"macs": macs, "lines": lines, "rate": rate})
    start = time.monotonic()
    rss: list[float] = []
    while not record.status.finished:
        await asyncio.sleep(0.5)
        rss.append(memory_mb(master.pid)[0])
        record = await master.poll(record)
    wall = time.monotonic() - start
    cpu = cpu_seconds(master.pid) - cpu0
    results = []
    for proc in procs:
        out, _ = await asyncio.to_thread(proc.communicate)
        results.append(json.loads(out))
    return {
        "lines": lines,
        "wall": wall,
        "cpu": cpu,
        "rss0": rss0,
        "rss_max": max(rss, default=rss0),
        "rss_end": memory_mb(master.pid)[0],
        "consumers": results,
    }


async def run(args: argparse.Namespace) -> str:
    async with bench_master() as master:
        client = master.client
        start = time.monotonic()
        await master.run_task("bench-nodes", {"count": args.nodes, "nics": 4})
        discovered = time.monotonic() - start
        await client.create_environment("bench")
        placed = await place_all(client, args.nodes, "bench")
        assert len(await client.nodes()) == args.nodes

        async def parsed() -> None:
            client.node_lists.forget()  # as if the list changed: the whole answer fetched and parsed
            await client.nodes()

        nodes_ms = await latencies(parsed, args.requests)
        await client.nodes()  # the list kept with its tag
        kept_ms = await latencies(client.nodes, args.requests)
        changed_ms = await one_changed(client, args.nodes, args.requests)
        seen_ms = await seen_again(master, args.nodes, args.requests)
        kept = await client.nodes()
        assert all(a is b for a, b in zip(kept, await client.nodes(), strict=True)), "not a 304"
        # the same request, its body read but not parsed into models: the master and the socket
        body_ms = await latencies(lambda: client.http.get(API_PREFIX + "/nodes"), args.requests)
        env_ms = await latencies(lambda: client.environment("bench"), args.requests)
        plans = query_plans(master.base)
        db_mb = (master.base / "fueltui.db").stat().st_size / 2**20
        s = await stream(master, args.consumers, args.rate, args.seconds, args.nodes)
    rows = [
        "| request | records | p50 ms | p95 ms | max ms | client CPU p50 / p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, times in (
        (f"GET /nodes ({args.nodes} nodes), parsed in full", nodes_ms),
        (f"GET /nodes ({args.nodes} nodes), unchanged, client keeps its parsed list (304)", kept_ms),
        (f"GET /nodes ({args.nodes} nodes), one node changed, client parses only it", changed_ms),
        (
            f"GET /nodes ({args.nodes} nodes), {max(1, args.nodes // 30)} nodes seen again by discovery, "
            "unchanged (304)",
            seen_ms,
        ),
        (f"GET /nodes ({args.nodes} nodes), body not parsed", body_ms),
        ("GET /environments/bench", env_ms),
    ):
        wall, cpu = [w for w, _ in times], [c for _, c in times]
        rows.append(
            f"| {name} | {args.requests} requests | {statistics.median(wall):.1f} "
            f"| {percentile(wall, 0.95):.1f} | {max(wall):.1f} "
            f"| {statistics.median(cpu):.1f} / {percentile(cpu, 0.95):.1f} |"
        )
    consumers = s["consumers"]
    assert isinstance(consumers, list)
    stream_rows = [
        "| console | lines received | lost | lag p50 (s) | lag p99 (s) | lag max (s) |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {i + 1} | {c['received']:,} | {c['lost']} | {c['lag_p50']:.3f} | {c['lag_p99']:.3f} "
            f"| {c['lag_max']:.3f} |"
            for i, c in enumerate(consumers)
        ),
    ]
    command = (
        f"python bench/api.py --nodes {args.nodes} --requests {args.requests} --consumers {args.consumers} "
        f"--rate {args.rate} --seconds {args.seconds:g}"
    )
    return "\n".join(
        [
            machine_line(command),
            "",
            f"{args.nodes} nodes recorded by the discovery path in {discovered:.1f} s, placed in an "
            f"environment with roles through the API ({2 * args.nodes} PUTs, 8 in flight) in {placed:.1f} s; "
            f"SQLite file {db_mb:.1f} MB.",
            "",
            *rows,
            "",
            "Query plans: " + " · ".join(plans),
            "",
            f"Stream: {s['lines']:,} lines at {args.rate}/s over 200 nodes in {s['wall']:.1f} s; master CPU "
            f"{s['cpu']:.1f} s, RSS {s['rss0']:.0f} MB before → {s['rss_max']:.0f} MB at most → "
            f"{s['rss_end']:.0f} MB after.",
            "",
            *stream_rows,
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--consumers", type=int, default=5)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--consume", type=Path, help=argparse.SUPPRESS)  # one console (a child)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.consume:
        print(json.dumps(asyncio.run(consume(args.consume, args.expect, args.seconds))))
        return 0
    text = asyncio.run(run(args))
    publish(text, args.write, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
