"""SSH fan-out benchmark: fueltui's asyncssh Fanout against parallel-ssh and Ansible ad-hoc.

    sudo python bench/fanout.py [--nodes 50] [--no-record]

Builds a lab of N namespace nodes (real sshd), then runs `uname -a` and the facts script on
every node with each tool, from inside the lab's master namespace, each tool in its own
process: wall time, CPU time (user+sys of the whole process tree) and peak memory (sum of
the tree's RSS, sampled). Ansible runs `ansible all -m command` / `-m script` with forks=N.
The table is printed and written to docs/benchmarks.md under "## SSH fan-out".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## SSH fan-out"
TOOLS = ("fueltui", "parallel-ssh", "ansible")
TASKS = ("uname", "facts")
BOUNDARY = "fueltui-bench0123456789"


# ---------------------------------------------------------------------------- workers
# Run as `--worker TOOL TASK HOSTS_FILE KEY` inside the master namespace; print one JSON line.

# Where a worker's time goes: wall clock (time.time(), comparable with the parent's) and the
# process's own CPU when its imports are done and when its first (cold) round is.
PHASES: dict[str, float] = {}


def mark_ready() -> None:
    PHASES["ready_at"], PHASES["ready_cpu"] = time.time(), time.process_time()


def mark_first_round(ok: int) -> None:
    """The cold run ends here: the parent stops its clock and reads the CPU at this line (a
    second round over the open connections follows, timed on its own)."""
    PHASES["round_at"], PHASES["round_cpu"] = time.time(), time.process_time()
    print(json.dumps({"ok": ok, "phases": PHASES}), flush=True)


def facts_command() -> str:
    from fueltui.master.discovery.facts_script import FACTS_SCRIPT

    return shlex.join(["sh", "-c", FACTS_SCRIPT, "sh", BOUNDARY])


def worker_fueltui(task: str, hosts: list[str], key: Path) -> tuple[int, float]:
    from fueltui.ssh.fanout import Fanout
    from fueltui.ssh.hostkeys import HostKeyStore

    if task == "facts":
        from fueltui.master.discovery.facts import gather_facts  # only what this task needs
    mark_ready()

    async def one_round(fan: Fanout) -> int:
        if task == "uname":
            runs = [fan.run(h, ["uname", "-a"]) for h in hosts]
            results = await asyncio.gather(*runs, return_exceptions=True)
            return sum(1 for r in results if not isinstance(r, BaseException) and "Linux" in r.stdout)
        facts = await asyncio.gather(*(gather_facts(fan, h) for h in hosts), return_exceptions=True)
        return sum(1 for f in facts if not isinstance(f, BaseException) and f.nics)

    async def main() -> tuple[int, float]:
        pins = HostKeyStore(Path(tempfile.mkdtemp()) / "known_hosts.json")
        async with Fanout(key, pins, max_concurrency=len(hosts)) as fan:
            ok = await one_round(fan)
            mark_first_round(ok)
            start = time.monotonic()
            await one_round(fan)  # again over the open connections, as the master does
            return ok, time.monotonic() - start

    return asyncio.run(main())


def worker_pssh(task: str, hosts: list[str], key: Path) -> tuple[int, float]:
    from pssh.clients import ParallelSSHClient

    mark_ready()
    client = ParallelSSHClient(
        hosts, user="root", pkey=str(key), pool_size=len(hosts), num_retries=1, timeout=30
    )
    command = "uname -a" if task == "uname" else facts_command()

    def one_round() -> int:
        output = client.run_command(command, stop_on_errors=False)
        client.join(output)
        ok = 0
        for host_out in output:
            text = "\n".join(host_out.stdout or [])
            if host_out.exit_code == 0 and (
                "Linux" in text if task == "uname" else f"{BOUNDARY} end" in text
            ):
                ok += 1
        return ok

    ok = one_round()
    mark_first_round(ok)
    start = time.monotonic()
    one_round()  # the client keeps its sessions: a second round reuses them
    return ok, time.monotonic() - start


def worker_ansible(task: str, hosts: list[str], key: Path) -> tuple[int, float | None]:
    work = Path(tempfile.mkdtemp(prefix="fueltui-ansible-"))
    inventory = work / "inventory"
    inventory.write_text(
        "[nodes]\n" + "\n".join(hosts) + "\n[nodes:vars]\nansible_user=root\n"
        f"ansible_ssh_private_key_file={key}\nansible_python_interpreter=/usr/bin/python3\n"
    )
    if task == "uname":
        module = ["-m", "command", "-a", "uname -a"]
    else:
        from fueltui.master.discovery.facts_script import FACTS_SCRIPT

        script = work / "facts.sh"
        script.write_text("#!/bin/sh\n" + FACTS_SCRIPT)
        module = ["-m", "script", "-a", f"{script} {BOUNDARY}"]
    env = {
        **os.environ,
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        "ANSIBLE_HOME": str(work / "home"),
        "ANSIBLE_SSH_ARGS": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "0",
    }
    argv = ["ansible", "all", "-i", str(inventory), *module, "-f", str(len(hosts)), "-o"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    marker = "Linux" if task == "uname" else f"{BOUNDARY} end"
    lines = done.stdout.splitlines()
    return sum(1 for line in lines if ("CHANGED" in line or "SUCCESS" in line) and marker in line), None


WORKERS = {"fueltui": worker_fueltui, "parallel-ssh": worker_pssh, "ansible": worker_ansible}


# ---------------------------------------------------------------------------- measuring


def tree_cpu(pid: int) -> float:
    """User+system CPU of a running process and its live descendants, plus its waited-for
    children's (/proc/PID/stat, clock ticks)."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def tree_rss_kb(pid: int) -> int:
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


@dataclass
class Measure:
    tool: str
    task: str
    ok: int
    wall: float
    cpu: float
    peak_mb: float
    warm: float | None = None  # a second round over the connections the first one opened
    ready: float | None = None  # wall time from start to the worker's imports done
    ready_cpu: float | None = None  # the worker's CPU then (interpreter start and imports)
    round_wall: float | None = None  # wall time of the first (cold) round itself
    round_cpu: float | None = None  # the worker's own CPU in it (children not counted)


def measure(tool: str, task: str, netns: str, hosts_file: Path, key: Path) -> Measure:
    argv = [
        "ip",
        "netns",
        "exec",
        netns,
        sys.executable,
        __file__,
        "--worker",
        tool,
        task,
        str(hosts_file),
        str(key),
    ]
    start, started_at = time.monotonic(), time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # A worker that goes on to a second round prints its cold result first: the clock, the CPU
    # and the peak memory of the cold run are taken at that line. Ansible's only line comes
    # as it exits: its cold run is the whole process.
    cold: tuple[float, float, int] | None = None
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if cold is None and line.startswith("{"):
            cold = (time.monotonic() - start, tree_cpu(proc.pid), peak)
    _, status, usage = os.wait4(proc.pid, 0)
    wall, cpu = time.monotonic() - start, usage.ru_utime + usage.ru_stime
    stop.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if cold is not None and tool != "ansible":
        wall, cpu, peak = cold
    try:
        reply = json.loads(lines[-1])
        ok, warm, phases = int(reply["ok"]), reply.get("warm"), reply.get("phases") or {}
    except (ValueError, IndexError, KeyError):
        ok, warm, phases = 0, None, {}
    result = Measure(tool, task, ok, wall, cpu, peak / 1024, warm)
    if {"ready_at", "round_at"} <= phases.keys():
        result.ready, result.ready_cpu = phases["ready_at"] - started_at, phases["ready_cpu"]
        result.round_wall = phases["round_at"] - phases["ready_at"]
        result.round_cpu = phases["round_cpu"] - phases["ready_cpu"]
    return result


# ---------------------------------------------------------------------------- report


def table(results: list[Measure], nodes: int) -> str:
    base = {(m.task): m for m in results if m.tool == "fueltui"}
    rows = [
        "| task | tool | nodes ok | wall (s) | CPU (s) | peak RSS (MB) | wall vs fueltui | CPU vs fueltui "
        "| 2nd round, open connections (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in results:
        ref = base.get(m.task)
        wall_ratio = f"{m.wall / ref.wall:.1f}x" if ref and ref.wall else "-"
        cpu_ratio = f"{m.cpu / ref.cpu:.1f}x" if ref and ref.cpu else "-"
        rows.append(
            f"| {m.task} | {m.tool} | {m.ok}/{nodes} | {m.wall:.2f} | {m.cpu:.2f} | {m.peak_mb:.0f} "
            f"| {wall_ratio} | {cpu_ratio} | {'-' if m.warm is None else f'{m.warm:.2f}'} |"
        )
    return "\n".join(rows)


def phase_table(results: list[Measure]) -> str:
    """Where each cold row's wall time goes: interpreter start and imports, then the round."""
    rows = [
        "| task | tool | start + imports: wall (s) | CPU (s) | first round: wall (s) | its own CPU (s) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for m in results:
        if m.ready is None or m.ready_cpu is None or m.round_wall is None or m.round_cpu is None:
            continue
        rows.append(
            f"| {m.task} | {m.tool} | {m.ready:.2f} | {m.ready_cpu:.2f} "
            f"| {m.round_wall:.2f} | {m.round_cpu:.2f} |"
        )
    return "\n".join(rows)


def record(text: str, path: Path) -> None:
    """Replace (or add) only the "## SSH fan-out" section; other sections are others'."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = old.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == SECTION), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = (
            "\n".join([*lines[:start], *text.rstrip("\n").splitlines(), "", *lines[end:]]).rstrip("\n") + "\n"
        )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(new)
    os.replace(tmp, path)


def section(results: list[Measure], nodes: int, nics: int, repeat: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""{SECTION}

`sudo python bench/fanout.py --nodes {nodes}` — {when}, {os.cpu_count()} CPUs (shared with other work),
Linux {platform.release()}, Python {platform.python_version()}. {nodes} lab nodes (network namespaces,
{nics} NICs each, real OpenSSH sshd, ed25519 keys); every tool runs from the lab master's namespace in
its own process, cold (no connection reused between runs): wall and CPU run from the spawn to the
first round's results; each row is the median of {repeat} runs.
`uname` runs `uname -a`; `facts` runs fueltui's facts script (one round trip; Ansible ships it with
`-m script`). Ansible: `ansible all -m command|script -f {nodes}`. parallel-ssh:
`ParallelSSHClient(pool_size={nodes})` (libssh2). CPU is user+sys of the whole process tree
(Ansible's forks and ssh clients included); peak RSS is the tree's sampled sum. The last
column is a second round in the same process over the connections the first round opened — how
the master works (ad-hoc Ansible has no such mode); it is not in the cold row's wall or CPU.

{table(results, nodes)}

Cold rows include each tool's interpreter start and imports (fueltui's facts row also imports
pydantic for the facts model); the master pays those once and then works like the last column.
On a shared 2-CPU machine the rows vary by ±20 % between runs; most of the wall time is the
nodes' sshd (one fork and key exchange per connection) and the facts script itself.
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", type=int, default=50, help="lab nodes (default 50, up to 200)")
    parser.add_argument("--nics", type=int, default=2, help="NICs per node (default 2)")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS)
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; the median is kept (default 3)")
    parser.add_argument("--prefix", default="bench", help="lab prefix (default bench)")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    parser.add_argument("--no-record", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--worker", nargs=4, metavar=("TOOL", "TASK", "HOSTS", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tool, task, hosts_file, key = args.worker
        hosts = Path(hosts_file).read_text().split()
        ok, warm = WORKERS[tool](task, hosts, Path(key))
        print(json.dumps({"ok": ok, "warm": warm, "phases": PHASES}))
        return 0

    sys.path.insert(0, str(ROOT))
    from fueltui.lab.lab import Lab, check_root
    from fueltui.ssh.keys import key_path

    check_root()
    if not 1 <= args.nodes <= 200:
        parser.error("--nodes must be between 1 and 200")
    tools = [t for t in args.tools.split(",") if t]
    lab = Lab(args.prefix)
    try:
        print(f"building a lab of {args.nodes} nodes...", file=sys.stderr)
        t0 = time.monotonic()
        lab.up(nodes=args.nodes, nics=args.nics, start_master=False, timeout=max(60.0, args.nodes * 2.0))
        print(f"lab up in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        hosts = [row.admin_ip for row in lab.status() if row.admin_ip]
        hosts_file = lab.names.root / "bench-hosts"
        hosts_file.write_text("\n".join(hosts) + "\n")
        key = key_path(lab.master_state_dir)
        load_before = os.getloadavg()
        # The tools take turns, attempt by attempt, so that the machine's load hits all alike.
        runs: dict[tuple[str, str], list[Measure]] = {(task, tool): [] for task in TASKS for tool in tools}
        for attempt in range(args.repeat):
            for task in TASKS:
                for tool in tools:
                    print(f"  {task:6} {tool} ({attempt + 1}/{args.repeat})...", file=sys.stderr)
                    runs[task, tool].append(measure(tool, task, lab.names.master_ns, hosts_file, key))
        load_after = os.getloadavg()
        # the median run of each row
        results = [sorted(row, key=lambda m: m.wall)[len(row) // 2] for row in runs.values()]
    finally:
        if not args.keep:
            lab.down()
    print(table(results, args.nodes))
    print()
    print(phase_table(results))
    print(f"\nload average {load_before[0]:.1f} before the runs, {load_after[0]:.1f} after", file=sys.stderr)
    if not args.no_record:
        record(section(results, args.nodes, args.nics, args.repeat), ROOT / "docs" / "benchmarks.md")
        print(f"recorded in {ROOT / 'docs' / 'benchmarks.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
