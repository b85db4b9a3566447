#!/usr/bin/env python3
"""Logs at volume: a deploy writing 10⁶ lines, then opening the tail of a 1 GB log.

1. A real master process (bench/benchmaster.py) records `--nodes` nodes and runs a task that
   writes `--lines` deploy-like lines spread over them at `--rate` lines/s at most, through the path a
   deploy's output takes (node file, task files, one live event per line). Measured from
   outside: wall, lines/s, the master's CPU seconds and RSS (start, half-time, end, peak), the
   bytes on disk and the largest file (the cap, fueltui/master/logfiles.py).
2. A node log of `--big-mb` MB (written straight to its file: under the cap no log grows that
   big, but an operator may point the tools at one an older master left): time to the last
   lines on screen for `fueltui logs NODE --tail 262144` (a whole CLI process), the Logs page
   (headless Textual app on the same master: node picked → its last 20 000 lines shown), and
   the peer `tail -n 20000` (coreutils) on the same file, same run.

    python bench/logs.py [--lines 1000000] [--nodes 50] [--big-mb 1024] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmaster import node_mac
from fueltui.master.logfiles import FILE_CAP
from fueltui.tui.app import FuelApp
from fueltui.tui.screens import logs as logs_page
from procstat import ROOT, BenchMaster, bench_master, cpu_seconds, memory_mb
from report import machine_line, publish

SECTION = "## Logs at volume"


async def flood(master: BenchMaster, lines: int, nodes: int, rate: int) -> dict[str, float]:
    await master.run_task("bench-nodes", {"count": nodes, "nics": 4})
    macs = [node_mac(i) for i in range(nodes)]
    cpu0 = cpu_seconds(master.pid)
    rss0, _ = memory_mb(master.pid)
    samples: list[tuple[float, float]] = []
    record = await master.client.start_task("bench-flood", None, {"macs": macs, "lines": lines, "rate": rate})
    start = time.monotonic()
    while not record.status.finished:
        await asyncio.sleep(0.5)
        samples.append((time.monotonic() - start, memory_mb(master.pid)[0]))
        record = await master.poll(record)
    wall = time.monotonic() - start
    rss_end, peak = memory_mb(master.pid)
    half = min(samples, key=lambda s: abs(s[0] - wall / 2))[1] if samples else rss_end
    logs_dir = master.base / "logs"
    files = [p for p in logs_dir.rglob("*") if p.is_file()]
    return {
        "wall": wall,
        "rate": lines / wall,
        "cpu": cpu_seconds(master.pid) - cpu0,
        "rss0": rss0,
        "rss_half": half,
        "rss_end": rss_end,
        "peak": peak,
        "disk_mb": sum(p.stat().st_size for p in files) / 2**20,
        "largest_mb": max(p.stat().st_size for p in files) / 2**20,
        "rotated": sum(1 for p in files if p.name.endswith(".1")),
        "slow": master.slow_answers,
    }


def write_big(path: Path, megabytes: int) -> int:
    """A node log of `megabytes` MB of numbered lines; returns the number of lines."""
    block_lines = 100_000
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as out:
        while out.tell() < megabytes * 2**20:
            block = "".join(
                f"12:00:00 Setting up package-{n % 977} (1.{n % 13}) line {n}\n"
                for n in range(count, count + block_lines)
            )
            out.write(block.encode())
            count += block_lines
    return count


async def page_open_seconds(master: BenchMaster, mac: str, last_line: str) -> tuple[float, float]:
    """(wall, CPU of this process) from picking the node to its log's end on screen."""
    app = FuelApp(master=master.client, start="logs")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, logs_page.LogsScreen)
        listing = screen.query_one("#log-sources")
        deadline = time.monotonic() + 30
        while listing.option_count < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            await pilot.pause(0.05)
        index = next(
            i
            for i in range(listing.option_count)  # type: ignore[attr-defined]
            if listing.get_option_at_index(i).id == f"node:{mac}"  # type: ignore[attr-defined]
        )
        start, cpu = time.perf_counter(), time.process_time()
        listing.highlighted = index  # type: ignore[attr-defined]
        while not (screen.shown_lines() and screen.shown_lines()[-1] == last_line):
            if time.perf_counter() - start > 60:
                raise TimeoutError("the Logs page did not show the log's end")
            await pilot.pause(0.01)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert len(screen.shown_lines()) == logs_page.MAX_LINES
    return elapsed, cpu


def timed(argv: list[str], env: dict[str, str], last_line: str) -> tuple[float, float]:
    """(wall, CPU) seconds of a whole process printing the log's tail."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True, timeout=120).stdout
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.rstrip("\n").rsplit("\n", 1)[-1] != last_line:
        raise AssertionError(f"{argv[0]}: the last line printed is not the log's")
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


async def big_log(master: BenchMaster, megabytes: int) -> tuple[float, list[tuple[str, tuple[float, float]]]]:
    mac = node_mac(0)
    path = master.base / "logs" / "nodes" / f"{mac}.log"
    size_before = path.stat().st_size if path.exists() else 0
    write_big(path, megabytes)
    last_line = path.read_bytes()[-200:].decode().rstrip("\n").rsplit("\n", 1)[-1]
    env = {**os.environ, "FUELTUI_STATE_DIR": str(master.base), "PYTHONPATH": str(ROOT)}
    rows = [
        ("peer: `tail -n 20000` (coreutils)", timed(["tail", "-n", "20000", str(path)], env, last_line)),
        (
            "`fueltui logs NODE --tail 262144` (CLI process)",
            timed([sys.executable, "-m", "fueltui", "logs", mac, "--tail", "262144"], env, last_line),
        ),
        ("Logs page: node picked → last 20 000 lines shown", await page_open_seconds(master, mac, last_line)),
    ]
    return (path.stat().st_size - size_before) / 2**20, rows


async def run(args: argparse.Namespace) -> str:
    async with bench_master() as master:
        f = await flood(master, args.lines, args.nodes, args.rate)
        big = await big_log(master, args.big_mb)
        rss_after, peak_after = memory_mb(master.pid)
    flood_table = "\n".join(
        [
            "| lines | nodes | wall (s) | lines/s | master CPU (s) "
            "| master RSS MB: start → half → end (peak) | on disk (MB) | largest file (MB) | files rotated "
            "| status polls unanswered in 30 s |",
            "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
            f"| {args.lines:,} | {args.nodes} | {f['wall']:.1f} | {f['rate']:,.0f} | {f['cpu']:.1f} "
            f"| {f['rss0']:.0f} → {f['rss_half']:.0f} → {f['rss_end']:.0f} ({f['peak']:.0f}) "
            f"| {f['disk_mb']:.0f} | {f['largest_mb']:.1f} | {f['rotated']:.0f} | {f['slow']:.0f} |",
        ]
    )
    size, rows = big
    open_table = "\n".join(
        [
            f"| opening the tail of a {size:,.0f} MB node log | wall (s) | CPU (s) |",
            "|---|---:|---:|",
            *(f"| {name} | {wall:.3f} | {cpu:.3f} |" for name, (wall, cpu) in rows),
        ]
    )
    command = f"python bench/logs.py --lines {args.lines} --nodes {args.nodes} --rate {args.rate}"
    command += f" --big-mb {args.big_mb}"
    return (
        f"{machine_line(command)}\n\n{flood_table}\n\n{open_table}\n\nMaster RSS after the opens: "
        f"{rss_after:.0f} MB (peak {peak_after:.0f} MB). Cap per log file: {FILE_CAP // 2**20} MiB, "
        "one previous generation kept."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--rate", type=int, default=5000, help="lines/s the task writes at most")
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    text = asyncio.run(run(args))
    publish(text, args.write, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
