"""bench/startup.py --phases: CPU per phase for both programs, so the split in
docs/benchmarks.md ("Start-up") can be taken again. The figures are not checked (the machine is
shared); that both programs painted headless and each phase was timed is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*argv: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("FUELTUI_STATE_DIR", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / argv[0]), *argv[1:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_startup_bench_splits_the_cpu_of_both_programs() -> None:
    out = run_bench("startup.py", "--runs", "1", "--phases", "1")
    assert "--phases 1" in out
    cell = r"(\d+\.\d{3}) / (\d+\.\d{3})"
    for program in ("bare", "fueltui"):
        row = re.search(rf"^\| {program} \| {cell} \| {cell} \| {cell} \|$", out, re.M)
        assert row, out
        imports, frame, total = (float(row.group(i)) for i in (1, 3, 5))
        assert imports > 0 and frame > 0 and abs(imports + frame - total) < 0.002
