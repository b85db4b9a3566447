#!/usr/bin/env python3
"""Start-up: `fueltui` to its first painted screen, against a bare Textual app, same run.

Each run starts the program in a fresh process on a pseudo-terminal (80×24) and times from the
spawn to the first output that shows the footer's Quit key (the footer is the frame's last line
in both programs, and Textual writes a frame in one write, top to bottom). The process is then
ended. The master runs already (started once before the runs, in a private temporary state
directory), as when an operator opens the TUI on a working master.

The peer is the smallest useful Textual app: a Header, a Static and a Footer.

    python bench/startup.py [--runs 7] [--phases 11] [--write docs/benchmarks.md]

fueltui's first frame shows the Master page's form; its checks and previews (pydantic: the
models, the rules) run right after it. "Page complete" is the frame that shows them too (the
kernel line's `gw=`); for the bare app it is its first frame.

`--phases N` adds where the CPU goes, steadier than the wall time on a loaded machine: each
program in N fresh interpreters (alternated), headless (`run_test(size=(80, 24))`), CPU seconds
(`time.process_time()`) for its imports, to its first frame (the first one Textual hands to its
driver with the footer's keys) and on to the settled page (`pilot.pause()`), the interpreter's
own start left out.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from report import machine_line, publish

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Start-up"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]")

BARE_APP = """
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

class Bare(App[None]):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("bare textual app")
        yield Footer()

Bare().run()
"""


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a running process (all its threads), from /proc: unlike the wall
    time, the load of the machine's other work does not inflate it much."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


PHASES = """
import asyncio, sys, time
t0 = time.process_time()
from textual.app import App

painted = []
display = App._display


def first_display(self, screen, renderable):
    # the first frame that shows the footer's keys (Textual composes them a refresh after the
    # page), as the footer's Quit ends the first frame on the pty
    if renderable is not None and not painted:
        footers = screen.query("Footer")
        if not footers or footers.first().children:
            painted.append(time.process_time())
    display(self, screen, renderable)


App._display = first_display
if sys.argv[1] == "bare":
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        BINDINGS = [("q", "quit", "Quit")]

        def compose(self):
            yield Header()
            yield Static("bare textual app")
            yield Footer()

    make = Bare
else:
    import fueltui.main
    from fueltui.tui.app import FuelApp

    make = lambda: FuelApp(ui_state=None)
t1 = time.process_time()


async def first_frame() -> float:
    async with make().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        return time.process_time()


t3 = asyncio.run(first_frame())
print(t1 - t0, painted[0] - t1, t3 - t1)
"""


def phases(runs: int, env: dict[str, str]) -> str:
    """A table of CPU seconds per phase (imports, first frame, settled page), best and median
    of `runs`."""
    seen: dict[str, list[tuple[float, float, float]]] = {"bare": [], "fueltui": []}
    for _ in range(runs):
        for which, samples in seen.items():
            out = subprocess.run(
                [sys.executable, "-c", PHASES, which], env=env, capture_output=True, text=True, check=True
            ).stdout.split()
            samples.append((float(out[0]), float(out[1]), float(out[2])))
    lines = [
        "| CPU (s), best / median | imports | first frame | total to first frame | total to settled page |",
        "|---|---:|---:|---:|---:|",
    ]
    for which, samples in seen.items():
        cells = []
        for values in (
            [i for i, _, _ in samples],
            [f for _, f, _ in samples],
            [i + f for i, f, _ in samples],
            [i + s for i, _, s in samples],
        ):
            cells.append(f"{min(values):.3f} / {statistics.median(values):.3f}")
        lines.append(f"| {which} | {' | '.join(cells)} |")
    return "\n".join(lines)


def first_paint(
    argv: list[str], markers: list[bytes], env: dict[str, str], timeout: float = 60.0
) -> list[tuple[float, float]]:
    """For each of `markers` in turn: seconds from spawning `argv` on a new 80×24 pty to the end
    of the first output that shows it (compared with escape sequences removed), and the CPU
    seconds the program had used by then."""
    master_fd, slave_fd = pty.openpty()
    fcntl.ioctl(slave_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave_fd,
        stdout=slave_fd,
        stderr=slave_fd,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave_fd)
    seen = b""
    found: list[tuple[float, float]] = []
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master_fd], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master_fd, 65536)
            except OSError:
                break
            seen += chunk
            text = ANSI.sub(b"", seen)
            while len(found) < len(markers) and markers[len(found)] in text:
                found.append((time.perf_counter() - start, cpu_seconds(proc.pid)))
            if len(found) == len(markers):
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        os.close(master_fd)
    if len(found) < len(markers):
        tail = ANSI.sub(b"", seen)[-400:].decode(errors="replace")
        missing = markers[len(found)]
        raise RuntimeError(f"{argv[-1]!r}: no frame showing {missing!r} within {timeout:.0f} s; saw: {tail}")
    return found


def import_seconds(modules: list[str], env: dict[str, str]) -> float:
    """Import time of `modules` and everything they pull in, in one fresh interpreter (the sum
    of the top-level entries of -X importtime, so a module shared by two counts once)."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "; ".join(f"import {m}" for m in modules)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    total = 0
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1])
    return total / 1e6


Run = tuple[float, float, float]  # first paint (s), CPU by then (s), page complete (s)
Row = tuple[str, list[Run], float]  # name, runs, import seconds


def timed(argv: list[str], markers: list[bytes], env: dict[str, str]) -> Run:
    found = first_paint(argv, markers, env)
    (wall, cpu), (complete, _) = found[0], found[-1]
    return wall, cpu, complete


def table(rows: list[Row]) -> str:
    lines = [
        "| program | runs | first paint median (s) | min–max (s) | vs bare app | imports alone (s) "
        "| CPU to first paint, median (s) | CPU vs bare app | page complete median (s) | vs bare app |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    bare_wall = statistics.median(run[0] for run in rows[0][1])
    bare_cpu = statistics.median(run[1] for run in rows[0][1])
    bare_complete = statistics.median(run[2] for run in rows[0][1])
    for name, runs, imports in rows:
        times = [run[0] for run in runs]
        median, cpu = statistics.median(times), statistics.median(run[1] for run in runs)
        complete = statistics.median(run[2] for run in runs)
        lines.append(
            f"| {name} | {len(times)} | {median:.3f} | {min(times):.3f}–{max(times):.3f} "
            f"| {median / bare_wall:.2f}x | {imports:.3f} | {cpu:.2f} | {cpu / bare_cpu:.2f}x "
            f"| {complete:.3f} | {complete / bare_complete:.2f}x |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--phases", type=int, default=0, help="also CPU per phase over this many runs")
    parser.add_argument("--write", type=Path, help="replace this section in the given markdown file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fueltui-startup-") as tmp:
        state = Path(tmp) / "state"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "FUELTUI_STATE_DIR": str(state),
            "TERM": "xterm-256color",
            "COLUMNS": "80",
            "LINES": "24",
        }
        env.pop("FUELTUI_LAB", None)
        env.pop("FUELTUI_MASTER_URL", None)
        bare_file = Path(tmp) / "bare.py"
        bare_file.write_text(BARE_APP)
        fueltui = [sys.executable, "-m", "fueltui"]
        subprocess.run([*fueltui, "master", "start"], env=env, check=True, capture_output=True, timeout=120)
        try:
            bare: list[Run] = []
            ours: list[Run] = []
            for _ in range(args.runs):  # interleaved: the machine's load hits both alike
                bare.append(timed([sys.executable, str(bare_file)], [b"Quit"], env))
                # the footer's Quit ends the first frame; the kernel line's gw= shows the checks ran
                ours.append(timed(fueltui, [b"Quit", b"gw="], env))
            # best of 3: one sample can land on another engineer's burst of load
            bare_imports = min(import_seconds(["textual.app", "textual.widgets"], env) for _ in range(3))
            first_page = ["fueltui.main", "fueltui.tui.app", "fueltui.tui.screens.master_setup"]
            our_imports = min(import_seconds(first_page, env) for _ in range(3))
            split = phases(args.phases, env) if args.phases else ""
        finally:
            subprocess.run([*fueltui, "master", "stop"], env=env, capture_output=True, timeout=60)

    rows: list[Row] = [
        ("bare Textual app (Header, Static, Footer)", bare, bare_imports),
        ("fueltui", ours, our_imports),
    ]
    ratio = statistics.median(run[0] for run in ours) / statistics.median(run[0] for run in bare)
    cpu_ratio = statistics.median(run[1] for run in ours) / statistics.median(run[1] for run in bare)
    complete_ratio = statistics.median(run[2] for run in ours) / statistics.median(run[2] for run in bare)
    command = f"python bench/startup.py --runs {args.runs}" + (
        f" --phases {args.phases}" if args.phases else ""
    )
    header = machine_line(command)
    text = (
        f"{header}\n\n{table(rows)}\n\nfueltui / bare: {ratio:.2f}x wall time to the first frame "
        f"(aim ≤ 1.5x), {cpu_ratio:.2f}x CPU; {complete_ratio:.2f}x wall time to the complete page."
    )
    if split:
        text += f"\n\nCPU per phase, headless, {args.phases} runs each:\n\n{split}"
    publish(text, args.write, SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
