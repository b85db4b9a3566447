"""Benchmark: a real OpenStack from `lab up` to a passed health check, and redeploys.

    sudo python bench/payload.py [--record docs/benchmarks.md] [--keep]

One lab (prefix `ftpb`) of 3 Debian 13 nodes (1 controller, 2 computes, Neutron GRE) on
the master's mirror (`fueltui mirror sync` first, timed when it has work to do), then:
lab up → apply → verify → deploy (cold: packages from the mirror, every service configured,
the health check) → a redeploy with nothing changed (tasks done before are skipped; the
health check runs) → a forced redeploy of every node (`--nodes`: every script runs again and
must change nothing). For each deploy: wall time, and the orchestration overhead against
the critical path — the controller's task durations, then the slowest compute's, then the
slowest post-deploy task, then the health check, all from the nodes' own log timestamps.
The peer of the comparison is the critical path itself: what the deploy cannot go below.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from fueltui.core.releases import default_release
from fueltui.lab.lab import Lab
from fueltui.mirror.paths import image_dir

PREFIX = "ftpb"
SECTION = "## OpenStack payload"
ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "docs" / "examples" / "answers-lab-openstack.yaml"
NETWORKS = ["admin", "management", "public", "storage", "private"]
MACS = ["52:54:00:00:01:00", "52:54:00:00:02:00", "52:54:00:00:03:00"]
STAMP = re.compile(r"^(\d\d):(\d\d):(\d\d) --- (\S+)(?: \(\w+\) started|: (ok|failed.*))$")


def cli(lab: Lab, *args: str, timeout: float = 3600) -> str:
    env = {**os.environ, "FUELTUI_STATE_DIR": str(lab.master_state_dir), "FUELTUI_LAB_PREFIX": PREFIX}
    proc = subprocess.run([sys.executable, "-m", "fueltui", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"fueltui {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def task_seconds(log: str) -> dict[str, float]:
    """Each task's duration on one node, from its own log's `--- task started / ok` lines."""
    started: dict[str, int] = {}
    took: dict[str, float] = {}
    for line in log.splitlines():
        m = STAMP.match(line)
        if not m:
            continue
        seconds = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])
        if m[5] is None:
            started[m[4]] = seconds
        elif m[4] in started:
            took[m[4]] = (seconds - started.pop(m[4])) % 86400
    return took


def timed_deploy(lab: Lab, *extra: str) -> dict[str, float]:
    started = time.monotonic()
    cli(lab, "deploy", "demo", "--wait", *extra)
    wall = time.monotonic() - started
    tasks = [t for t in json.loads(cli(lab, "tasks", "--json")) if t["kind"] == "deploy"]
    task = tasks[-1]
    durations = {name: task_seconds(cli(lab, "logs", name, "--task", task["id"])) for name in
                 ("ctrl-1", "comp-1", "comp-2")}  # fmt: skip
    post = {"payload_cloud_ready", "healthcheck_script", "health_check"}
    controller = sum(v for k, v in durations["ctrl-1"].items() if k not in post)
    computes = max(
        sum(v for k, v in d.items() if k not in post) for n, d in durations.items() if n != "ctrl-1"
    )
    after = max(sum(v for k, v in d.items() if k in post) for d in durations.values())
    health = task["result"].get("cloud_health", {})
    health_s = float(health.get("seconds") or 0)
    critical = controller + computes + after + health_s
    return {"wall": wall, "critical": critical, "health": health_s, "passed": float(health.get("passed", 0)),
            "failed": float(health.get("failed", 0))}  # fmt: skip


def row(name: str, r: dict[str, float]) -> str:
    overhead = r["wall"] - r["critical"]
    share = 100 * overhead / r["wall"] if r["wall"] else 0.0
    health = f"{int(r['passed'])}/{int(r['passed'] + r['failed'])}"
    return (f"| {name} | {r['wall']:.0f} | {r['critical']:.0f} | {overhead:.0f} ({share:.1f} %) | "
            f"{r['health']:.0f} | {health} |")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", type=Path, help="write the table into this Markdown file")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args()
    release = default_release()
    assert release.os is not None
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "fueltui", "mirror", "sync"], check=True, capture_output=True)
    sync = time.monotonic() - started
    lab = Lab(PREFIX)
    rows: list[str] = []
    try:
        started = time.monotonic()
        lab.up(nodes=3, nics=5, networks=NETWORKS, image=image_dir(release.os.name), timeout=180,
               wait_discovered=True)  # fmt: skip
        up = time.monotonic() - started
        cli(lab, "apply", str(ANSWERS))
        cli(lab, "verify", "demo", "--wait")
        cold = timed_deploy(lab)
        total = time.monotonic() - started
        rows.append(row("cold: packages from the mirror, every service, health check", cold))
        rows.append(row("redeploy, nothing changed (done tasks skipped)", timed_deploy(lab)))
        forced = timed_deploy(lab, "--nodes", ",".join(MACS))
        rows.append(row("forced redeploy of every node (every script runs again)", forced))
    finally:
        if not args.keep:
            lab.down()
    load = os.getloadavg()[0]
    table = "\n".join(
        [
            f"`sudo python bench/payload.py` — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load:.1f} at the end (shared with other work), "
            f"Python {platform.python_version()}.",
            "",
            f"`fueltui mirror sync`: {sync:.0f} s (already synced: refresh only). `lab up --os` with 3 nodes "
            f"discovered: {up:.0f} s. **`lab up` → health check passed: {total / 60:.1f} min** (aim: ≤ 20).",
            "",
            "| deploy | wall (s) | critical path (s) | orchestration overhead | health check (s) | passed |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    if args.record:
        record(args.record, table)
    return 0


def record(path: Path, table: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    intro = (
        f"{SECTION}\n\nA real OpenStack (1 controller, 2 computes, Neutron GRE) on lab nodes running "
        "Debian 13, packages from the master's mirror. The critical path adds the controller's task "
        "durations, the slowest compute's, the slowest post-deploy task and the health check, read from "
        "the nodes' own log timestamps (1 s resolution); the overhead is the rest of the wall time: "
        "scheduling, SSH round trips, reporting.\n\n"
    )
    block = intro + table + "\n"
    if SECTION in text:
        start = text.index(SECTION)
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + block + (text[end:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
