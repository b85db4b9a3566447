"""Benchmark: a real OpenStack from `lab up` to a passed health check, and redeploys.

    sudo python bench/payload.py [--controllers 3] [--record docs/benchmarks.md] [--keep]

One lab (prefix `ftpb`) of 3 Debian 13 nodes (1 controller, 2 computes, Neutron GRE) on
the master's mirror (`fueltui mirror sync` first, timed when it has work to do), then:
lab up → apply → verify → deploy (cold: packages from the mirror, every service configured,
the health check) → a redeploy with nothing changed (tasks done before are skipped; the
health check runs) → a forced redeploy of every node (`--nodes`: every script runs again and
must change nothing). For each deploy: wall time, and the orchestration overhead against
the critical path — the controller's task durations, then the slowest compute's, then the
slowest post-deploy task, then the health check, all from the nodes' own log timestamps.
The peer of the comparison is the critical path itself: what the deploy cannot go below.

`--controllers 3`: the HA layout (3 controllers, 1 compute; Galera, RabbitMQ cluster,
HAProxy/keepalived). The primary deploys alone first, then the other controllers in
parallel, then the compute: the critical path adds the slowest of each group. After the
redeploys it stops the primary's keepalived, HAProxy, MariaDB, RabbitMQ and memcached and
times how long until a token comes from the public VIP again (the failover).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
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
HA_ANSWERS = ROOT / "docs" / "examples" / "answers-lab-openstack-ha.yaml"
HA_SECTION = "## OpenStack payload, HA (3 controllers)"


@dataclass(frozen=True)
class Layout:
    answers: Path
    groups: list[list[str]]  # deploy order: each group's slowest node is on the critical path
    section: str
    what: str

    @property
    def names(self) -> list[str]:
        return [n for group in self.groups for n in group]


LAYOUTS = {
    1: Layout(ANSWERS, [["ctrl-1"], ["comp-1", "comp-2"]], SECTION, "1 controller, 2 computes"),
    3: Layout(
        HA_ANSWERS, [["ctrl-1"], ["ctrl-2", "ctrl-3"], ["comp-1"]], HA_SECTION, "3 controllers, 1 compute"
    ),
}
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


def timed_deploy(lab: Lab, layout: Layout, *extra: str) -> dict[str, float]:
    started = time.monotonic()
    cli(lab, "deploy", "demo", "--wait", *extra)
    wall = time.monotonic() - started
    tasks = [t for t in json.loads(cli(lab, "tasks", "--json")) if t["kind"] == "deploy"]
    task = tasks[-1]
    durations = {name: task_seconds(cli(lab, "logs", name, "--task", task["id"])) for name in layout.names}
    post = {"payload_cloud_ready", "healthcheck_script", "health_check"}
    groups = sum(
        max(sum(v for k, v in durations[n].items() if k not in post) for n in group)
        for group in layout.groups
    )
    after = max(sum(v for k, v in d.items() if k in post) for d in durations.values())
    health = task["result"].get("cloud_health", {})
    health_s = float(health.get("seconds") or 0)
    critical = groups + after + health_s
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
    parser.add_argument("--controllers", type=int, choices=sorted(LAYOUTS), default=1,
                        help="3: the HA layout (3 controllers, 1 compute)")  # fmt: skip
    args = parser.parse_args()
    layout = LAYOUTS[args.controllers]
    failover = ""
    release = default_release()
    assert release.os is not None
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "fueltui", "mirror", "sync"], check=True, capture_output=True)
    sync = time.monotonic() - started
    lab = Lab(PREFIX)
    rows: list[str] = []
    try:
        started = time.monotonic()
        lab.up(nodes=len(layout.names), nics=5, networks=NETWORKS, image=image_dir(release.os.name),
               timeout=180, wait_discovered=True)  # fmt: skip
        up = time.monotonic() - started
        cli(lab, "apply", str(layout.answers))
        cli(lab, "verify", "demo", "--wait")
        cold = timed_deploy(lab, layout)
        total = time.monotonic() - started
        rows.append(row("cold: packages from the mirror, every service, health check", cold))
        unchanged = timed_deploy(lab, layout, "--force")
        rows.append(row("redeploy, nothing changed (done tasks skipped)", unchanged))
        macs = [f"52:54:00:00:0{i + 1}:00" for i in range(len(layout.names))]
        forced = timed_deploy(lab, layout, "--nodes", ",".join(macs))
        rows.append(row("forced redeploy of every node (every script runs again)", forced))
        if args.controllers > 1:
            failover = (
                f" Failover: {measure_failover(lab):.1f} s from stopping the primary's keepalived, "
                "HAProxy, MariaDB, RabbitMQ and memcached to a token from the public VIP (lab master)."
            )
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
            f"`fueltui mirror sync`: {sync:.0f} s (already synced: refresh only). `lab up --os` with "
            f"{len(layout.names)} nodes discovered: {up:.0f} s. **`lab up` → health check passed: "
            f"{total / 60:.1f} min** (aim: ≤ 20).{failover}",
            "",
            "| deploy | wall (s) | critical path (s) | orchestration overhead | health check (s) | passed |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    if args.record:
        record(args.record, table, layout)
    return 0


TOKEN = """
import httpx, json, sys
c = json.loads(sys.argv[1])
d = {"name": "Default"}
ident = {"methods": ["password"], "password": {"user": {"name": c["OS_USERNAME"], "domain": d,
         "password": c["OS_PASSWORD"]}}}
try:
    r = httpx.post(c["OS_AUTH_URL"] + "/auth/tokens", json={"auth": {"identity": ident}}, timeout=5)
    print(r.status_code)
except httpx.HTTPError:
    print("error")
"""


def measure_failover(lab: Lab) -> float:
    """Seconds from stopping the primary's HA services to a token from the public VIP again."""
    openrc = cli(lab, "openrc", "demo")
    creds = {k: shlex.split(v)[0] for k, v in re.findall(r"^export (OS_[A-Z_]+)=(.*)$", openrc, re.M)}
    argv = ["ip", "netns", "exec", lab.names.master_ns, sys.executable, "-c", TOKEN, json.dumps(creds)]
    started = time.monotonic()
    for service in ("keepalived", "haproxy", "mariadb", "rabbitmq-server", "memcached"):
        lab.node_exec(1, ["sh", "-c", f"/etc/init.d/{service} stop >/dev/null 2>&1 || true"])
    while subprocess.run(argv, capture_output=True, text=True).stdout.strip() != "201":
        if time.monotonic() - started > 300:
            raise SystemExit("no token from the public VIP 300 s after the primary's services stopped")
        time.sleep(0.5)  # polling interval: the failover's resolution
    return time.monotonic() - started


def record(path: Path, table: str, layout: Layout) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    intro = (
        f"{layout.section}\n\nA real OpenStack ({layout.what}, Neutron GRE) on lab nodes running "
        "Debian 13, packages from the master's mirror. The critical path adds, group by group in deploy "
        "order, the slowest node's task durations, then the slowest post-deploy task and the health "
        "check, read from the nodes' own log timestamps (1 s resolution); the overhead is the rest of the "
        "wall time: scheduling, SSH round trips, reporting.\n\n"
    )
    block = intro + table + "\n"
    if layout.section in text:
        start = text.index(layout.section)
        end = text.find("\n## ", start + len(layout.section))
        text = text[:start] + block + (text[end:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
