#!/usr/bin/env python3
"""The TUI at 200 nodes: key → screen while a deployment streams, against a bare Textual app.

Runs, headless at 200×60, a key pressed every 250 ms for `--seconds` while lines stream; the
latency is from posting the key to the first screen update after its handler ran (p50/p95/max):
1. Nodes page (role grid) of the real app on a real master (bench/benchmaster.py) holding
   `--nodes` nodes placed in an environment with roles through the API, while the master writes
   `--rate` lines/s over them (`bench-flood`: every line a `task.log` event on the stream the app
   follows, as during a deploy). Key: Down in the grid.
2. Deploy page of the real app fed `--nodes` node logs at `--rate` lines/s through its event path
   (bench/log_flood.py's recorded deployment: one `task.log` event per line); `--nodes` panes do
   not fit, so it is the node list + one pane. Key: Down in the list (the pane switches node).
3. Peer: a bare Textual app with a `DataTable` of the same rows and columns and a line under it
   updated every 50 ms (as the app's line batches arrive). Key: Down.

    python bench/tui.py [--nodes 200] [--seconds 20] [--rate 2000] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from api import place_all
from benchmaster import node_mac
from log_flood import run_one
from procstat import bench_master
from report import machine_line, publish

SECTION = "## TUI at 200 nodes"
SIZE = (200, 60)
PRESS_EVERY = 0.25


def row(name: str, key: str, latencies: list[float], extra: str) -> str:
    lat = sorted(latencies)
    if not lat:
        return f"| {name} | {key} | 0 | - | - | - | {extra} |"
    p95 = lat[max(0, math.ceil(0.95 * len(lat)) - 1)]
    return (
        f"| {name} | {key} | {len(lat)} | {statistics.median(lat) * 1000:.0f} | {p95 * 1000:.0f} "
        f"| {lat[-1] * 1000:.0f} | {extra} |"
    )


class Presser:
    """Posts a key and times it to the first frame written after the key's handler ran."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.handled: list[float] = []
        self.frames: list[float] = []
        original = app._display

        def display(screen, renderable):  # type: ignore[no-untyped-def]
            self.frames.append(time.monotonic())
            return original(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def mark(self, *_: object) -> None:
        self.handled.append(time.monotonic())

    async def press(self, key: str) -> float | None:
        before = len(self.handled)
        start = time.monotonic()
        self.app.post_message(events.Key(key, None))
        deadline = start + 3
        while len(self.handled) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        if len(self.handled) == before:
            return None
        handled = self.handled[-1]
        while time.monotonic() < deadline:
            shown = next((f for f in self.frames[-50:] if f > handled), None)
            if shown is not None:
                return shown - start
            await asyncio.sleep(0.001)
        return None

    async def presses(self, key: str, seconds: float, moved: Callable[[], None] | None = None) -> list[float]:
        out: list[float] = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            await asyncio.sleep(PRESS_EVERY)
            latency = await self.press(key)
            if latency is not None:
                out.append(latency)
            if moved is not None:
                moved()
        return out


async def nodes_page(nodes: int, rate: int, seconds: float) -> tuple[list[float], str]:
    from fueltui.tui.app import FuelApp
    from fueltui.tui.screens.nodes import NodesScreen

    async with bench_master() as master:
        client = master.client
        await master.run_task("bench-nodes", {"count": nodes, "nics": 4})
        await client.create_environment("bench")
        await place_all(client, nodes, "bench")
        app = FuelApp(client, start="nodes", env_name="bench")
        presser = Presser(app)  # type: ignore[arg-type]
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, NodesScreen)
            for _ in range(600):
                await pilot.pause(0.05)
                if len(screen.records) == nodes and screen.roles:
                    break
            assert len(screen.records) == nodes, f"the page shows {len(screen.records)} of {nodes} nodes"
            table = screen.query_one("#nodes-table", DataTable)
            table.focus()
            screen.watch(table, "cursor_coordinate", presser.mark, init=False)
            macs = [node_mac(i) for i in range(nodes)]
            flood = await client.start_task(
                "bench-flood", None, {"macs": macs, "lines": int(rate * seconds), "rate": rate}
            )
            await asyncio.sleep(1.0)  # the stream is flowing before the first key

            def wrap() -> None:  # back to the top before the cursor reaches the last row
                if table.cursor_coordinate.row >= nodes - 1:
                    table.move_cursor(row=0)

            latencies = await presser.presses("down", seconds - 1.0, wrap)
            record = flood
            shown = sum(1 for _ in table.rows)
        while not record.status.finished:
            await asyncio.sleep(0.2)
            record = await master.poll(record)
    return latencies, f"{shown} rows × {len(table.columns)} columns, real master"


class Peer(App[None]):
    """The bare app: a header, the same table, a status line, a footer."""

    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, rows: int, columns: int, rate: int) -> None:
        super().__init__()
        self.rows, self.columns, self.rate = rows, columns, rate
        self.tick = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="t", cursor_type="cell", zebra_stripes=True)
        yield Static("", id="streamed")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Name", key="name")
        table.add_column("Status", key="status")
        for c in range(self.columns - 2):
            table.add_column(f"c{c}", key=f"c{c}")
        for r in range(self.rows):
            table.add_row(f"node-{r}", "ready", *("[ ]" for _ in range(self.columns - 2)), key=str(r))
        self.set_interval(0.05, self.batch)

    def batch(self) -> None:
        """A batch of lines arrives every 50 ms. The Nodes page shows no log line, so the table
        is not touched (a `DataTable.update_cell` per batch made this app's p50 200 ms); a line
        under it says how many arrived."""
        self.tick += 1
        self.query_one("#streamed", Static).update(f"{self.tick * self.rate // 20:,} lines streamed")


async def peer(nodes: int, columns: int, rate: int, seconds: float) -> list[float]:
    app = Peer(nodes, columns, rate)
    presser = Presser(app)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        table.focus()
        app.watch(table, "cursor_coordinate", presser.mark, init=False)
        await asyncio.sleep(1.0)

        def wrap() -> None:
            if table.cursor_coordinate.row >= nodes - 1:
                table.move_cursor(row=0)

        return await presser.presses("down", seconds - 1.0, wrap)


async def run(args: argparse.Namespace) -> str:
    gc.collect()
    nodes_ms, nodes_note = await nodes_page(args.nodes, args.rate, args.seconds)
    print(row("fueltui: Nodes page (role grid)", "down", nodes_ms, nodes_note), flush=True)
    deploy = await run_one("deploy", SIZE, args.nodes, args.rate, args.seconds, peer=False)
    deploy_note = f"{deploy.layout} layout, {deploy.fed / deploy.seconds:,.0f} lines/s handled"
    print(row("fueltui: Deploy page", "down", deploy.latencies, deploy_note), flush=True)
    columns = int(nodes_note.split(" × ")[1].split()[0])
    peer_ms = await peer(args.nodes, columns, args.rate, args.seconds)
    print(row("peer: bare Textual app, DataTable", "down", peer_ms, f"{args.nodes} rows × {columns} columns"))
    command = f"python bench/tui.py --nodes {args.nodes} --seconds {args.seconds:g} --rate {args.rate}"
    return "\n".join(
        [
            machine_line(command),
            "",
            f"{SIZE[0]}×{SIZE[1]}, headless; {args.nodes} nodes, {args.rate:,} log lines/s streaming for "
            f"{args.seconds:g} s; a key every {PRESS_EVERY * 1000:.0f} ms, timed from posting it to the "
            "first frame written after its handler ran.",
            "",
            "| run | key | presses | p50 ms | p95 ms | max ms | what |",
            "|---|---|---:|---:|---:|---:|---|",
            row("fueltui: Nodes page (role grid)", "down", nodes_ms, nodes_note),
            row("fueltui: Deploy page", "down", deploy.latencies, deploy_note),
            row(
                "peer: bare Textual app, DataTable", "down", peer_ms, f"{args.nodes} rows × {columns} columns"
            ),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    text = asyncio.run(run(args))
    print()
    publish(text, args.write, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
