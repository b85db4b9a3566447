"""Each bench script at a tiny size, so that none rots between the runs that fill
docs/benchmarks.md. The figures are not checked (the machine is shared); what a bench itself
verifies is (no line lost, the log's last line on screen, every run painted)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*argv: str, timeout: float = 110, **extra_env: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra_env}
    env.pop("FUELTUI_STATE_DIR", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / argv[0]), *argv[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_startup_bench_paints_both_programs() -> None:
    out = run_bench("startup.py", "--runs", "1")
    assert re.search(r"\| bare Textual app .*\| 1 \| \d+\.\d+ \|", out)
    assert re.search(r"\| fueltui \| 1 \| \d+\.\d+ \|", out)
    # the page complete (checks and previews shown) is timed too, not before the first frame
    ours = re.search(r"^\| fueltui \| 1 \| (\d+\.\d+) \|.*\| (\d+\.\d+) \| \d+\.\d+x \|$", out, re.M)
    assert ours and float(ours.group(2)) >= float(ours.group(1)), out


def test_logs_bench_floods_and_opens_the_tail() -> None:
    out = run_bench("logs.py", "--lines", "1000", "--nodes", "3", "--big-mb", "2")
    assert "| 1,000 | 3 |" in out
    assert "Logs page: node picked" in out and "`fueltui logs NODE --tail 262144`" in out


def test_api_bench_loses_no_event() -> None:
    out = run_bench(
        "api.py", "--nodes", "10", "--requests", "5", "--consumers", "2", "--rate", "100", "--seconds", "2"
    )
    assert "| GET /nodes (10 nodes), parsed in full |" in out
    assert "| GET /nodes (10 nodes), unchanged, client keeps its parsed list (304) |" in out
    assert "| GET /nodes (10 nodes), one node changed, client parses only it |" in out
    assert "| GET /nodes (10 nodes), 1 nodes seen again by discovery, unchanged (304) |" in out
    consoles = re.findall(r"^\| (\d) \| ([\d,]+) \| (\d+) \|", out, re.M)
    assert [(c, received, lost) for c, received, lost in consoles] == [("1", "200", "0"), ("2", "200", "0")]


@pytest.mark.lab
@pytest.mark.timeout(600)
def test_scale_bench_runs_every_phase_on_a_small_lab() -> None:
    out = run_bench("scale.py", "--nodes", "2", timeout=580, FUELTUI_LAB_PREFIX="scsm")
    for phase in ("lab up → every node leased", "verify (4 NICs each)", "deploy, base graph"):
        assert f"| {phase} |" in out
    discovered = r"^\| … → every node discovered \(from the last lease\) \|.*\| 2 discovered \|$"
    assert re.search(discovered, out, re.M), out
    assert "| done: every NIC heard its peers |" in out and "| done: 2 ready |" in out
    cold = r"^\| facts round, cold \(new connections\) \|.*\| done: 2/2 addresses; 2 connections cut, 2 new"
    assert re.search(cold, out, re.M), out


@pytest.mark.lab
@pytest.mark.timeout(300)
def test_fanout_bench_times_the_cold_run_up_to_the_first_results() -> None:
    out = run_bench(
        "fanout.py",
        *("--nodes", "2", "--repeat", "1", "--tools", "fueltui,parallel-ssh", "--prefix", "fosm"),
        "--no-record",
        timeout=280,
    )
    for task in ("uname", "facts"):
        for tool in ("fueltui", "parallel-ssh"):
            row = re.search(rf"^\| {task} \| {tool} \| 2/2 \| ([\d.]+) \|.*\| ([\d.]+) \|$", out, re.M)
            phases = re.search(rf"^\| {task} \| {tool} \| ([\d.]+) \| [\d.]+ \| ([\d.]+) \|", out, re.M)
            assert row and phases, out
            # the cold row ends with the first round: the second one (last column) is not in it
            cold, start, first_round = float(row.group(1)), float(phases.group(1)), float(phases.group(2))
            assert start + first_round - 0.02 <= cold <= start + first_round + 0.1, out


def test_tui_bench_times_keys_on_both_pages_and_the_peer() -> None:
    out = run_bench("tui.py", "--nodes", "5", "--seconds", "3", "--rate", "100")
    nodes = re.search(
        r"^\| fueltui: Nodes page \(role grid\) \| down \| (\d+) \|.*\| 5 rows × \d+ columns", out, re.M
    )
    peer = re.search(r"^\| peer: bare Textual app, DataTable \| down \| (\d+) \|", out, re.M)
    assert nodes and int(nodes.group(1)) > 0, out
    assert peer and int(peer.group(1)) > 0, out
    assert re.search(
        r"^\| fueltui: Deploy page \| down \| \d+ \|.*\| grid layout, [\d,]+ lines/s handled", out, re.M
    )


def test_log_flood_bench_feeds_the_deploy_page() -> None:
    out = run_bench("log_flood.py", "--nodes", "5", "--seconds", "3", "--rate", "100", "--no-peer")
    handled = re.search(r"^\| fueltui \(Log\) \| 200×60 grid \| down \| (\d+) \|", out, re.M)
    assert handled and int(handled.group(1)) >= 90, out  # the page kept up with the 100 lines/s


def test_startup_bench_splits_the_cpu_of_both_programs() -> None:
    """--phases: CPU per phase for both programs, so the split in docs/benchmarks.md
    ("Start-up") can be taken again. The figures are not checked (the machine is shared); that
    both programs painted headless and each phase was timed is."""
    out = run_bench("startup.py", "--runs", "1", "--phases", "1", timeout=200)
    assert "--phases 1" in out
    cell = r"(\d+\.\d{3}) / (\d+\.\d{3})"
    for program in ("bare", "fueltui"):
        row = re.search(rf"^\| {program} \| {cell} \| {cell} \| {cell} \| {cell} \|$", out, re.M)
        assert row, out
        imports, frame, total, settled = (float(row.group(i)) for i in (1, 3, 5, 7))
        assert imports > 0 and frame > 0 and abs(imports + frame - total) < 0.002
        assert settled >= total  # the settled page comes after (or with) the first frame
