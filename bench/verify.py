"""Benchmark: how long network verification takes on a lab of N nodes with 4 NICs each.

    sudo python bench/verify.py [--nodes 10,30] [--rounds 3] [--record docs/benchmarks.md]

For each size: a lab (`fueltui.lab`, prefix `ftvb`) with its master, every node discovered,
one environment with admin+private / management / public / storage on eth0..eth3 (the
lab's wiring), then `verify` through the master's API, timed from the request to the
finished task. Reported: wall time as the operator sees it, the L2 probe phase alone (the
DHCP check listens 4 s alongside it, for servers that ping before they offer), frames
sent, expected probes. The lab is removed afterwards, even on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from fueltui.client.api import MasterClient
from fueltui.lab.lab import Lab

PREFIX = "ftvb"
SECTION = "## Verify networks"
INTERFACES = {
    "eth0": ["fuelweb_admin", "private"],
    "eth1": ["management"],
    "eth2": ["public"],
    "eth3": ["storage"],
}


def answers(macs: list[str]) -> str:
    lines = ["environment:", "  name: bench", "  release: epoxy-debian-13", "  mode: neutron-gre"]
    lines.append("nodes:")
    for index, mac in enumerate(macs):
        roles = "[controller]" if index == 0 else "[compute]"
        lines += [f'  - mac: "{mac}"', f"    roles: {roles}", f"    interfaces: {json.dumps(INTERFACES)}"]
    return "\n".join(lines) + "\n"


async def discovered(client: MasterClient, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        online = [r for r in await client.nodes() if r.node.online and r.node.facts.nics]
        if len(online) >= count:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(online)} of {count} nodes discovered in {timeout:.0f} s")
        await asyncio.sleep(0.2)  # polling the master


async def measure(lab: Lab, count: int, rounds: int) -> dict[str, object]:
    client = await MasterClient.connect(lab.master_state_dir, autostart=False)
    try:
        await discovered(client, count, 120)
        state = lab.state()
        macs = [n.admin_mac for n in state.nodes] if state is not None else []
        await client.apply(answers(macs), "<bench>")
        walls: list[float] = []
        probes: list[float] = []
        result: dict[str, object] = {}
        for _ in range(rounds):
            started = time.monotonic()
            record = await client.verify("bench")
            while not record.status.finished:
                await asyncio.sleep(0.05)  # polling the master
                record = await client.task(record.id)
            walls.append(time.monotonic() - started)
            result = record.result
            if record.status.value != "done" or result.get("ok") is not True:
                missing = result.get("missing")
                raise SystemExit(f"verification of {count} nodes failed: {record.message} {missing}")
            probes.append(float(result["probe_seconds"]))  # type: ignore[arg-type]
        plan = result.get("plan", {})
        nodes = plan.get("nodes", []) if isinstance(plan, dict) else []
        frames = sum(3 * len(_vlans(nic)) for n in nodes for nic in n["nics"])
        heard = result.get("heard", {})
        probes_heard = 0
        for per_nic in heard.values() if isinstance(heard, dict) else []:
            probes_heard += sum(len(peers) for per_vlan in per_nic.values() for peers in per_vlan.values())
        return {
            "nodes": count,
            "wall": walls,
            "probe": probes,
            "frames": frames,
            "heard": probes_heard,
        }
    finally:
        await client.close()


def _vlans(nic: dict[str, object]) -> list[int]:
    found = {0}
    networks = nic.get("networks", {})
    if isinstance(networks, dict):
        for vlans in networks.values():
            found.update(vlans)
    return sorted(found)


def table(rows: list[dict[str, object]], rounds: int) -> str:
    out = [
        f"{rounds} runs per size, median (min–max) seconds. Frames: probe frames sent in all (3 rounds "
        "per NIC and VLAN); heard: distinct (listener NIC, VLAN, peer) probes recorded.",
        "",
        "| nodes | NICs | wall time (request → result) | L2 probes alone | frames sent | probes heard |",
        "|------:|-----:|-----------------------------:|----------------:|------------:|-------------:|",
    ]
    for row in rows:
        wall, probe = row["wall"], row["probe"]
        assert isinstance(wall, list) and isinstance(probe, list)
        out.append(
            f"| {row['nodes']} | 4 | {statistics.median(wall):.2f} ({min(wall):.2f}–{max(wall):.2f}) "
            f"| {statistics.median(probe):.2f} ({min(probe):.2f}–{max(probe):.2f}) "
            f"| {row['frames']} | {row['heard']} |"
        )
    return "\n".join(out)


def record(path: Path, body: str) -> None:
    """Replace (or add) this benchmark's section of the file; other sections stay as they are."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{SECTION}\n\n{body.strip()}\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", default="10,30", help="lab sizes, comma-separated (default 10,30)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--record", type=Path, help="write the results into this markdown file's section")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("the benchmark builds a lab of namespaces: run it as root", file=sys.stderr)
        return 2
    rows = []
    for count in [int(n) for n in args.nodes.split(",") if n]:
        lab = Lab(PREFIX)
        try:
            built = time.monotonic()
            lab.up(nodes=count, nics=4, timeout=300)
            print(f"lab of {count} nodes up in {time.monotonic() - built:.1f} s", file=sys.stderr)
            row = asyncio.run(measure(lab, count, args.rounds))
        finally:
            lab.down()
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    load = os.getloadavg()[0]
    body = (
        "`python bench/verify.py` — verification time on a lab of namespace nodes, each with 4 NICs on "
        "the admin, management, public and storage bridges; networks: admin + private (VLAN 103) on eth0, "
        "management (VLAN 101) on eth1, public on eth2, storage (VLAN 102) on eth3. Every node listens on "
        "every NIC and sends untagged and tagged probes; each listener ends as soon as it heard every "
        "peer it expects. The wall time includes the DHCP check, which listens 4 s for answers (a server "
        "that pings before offering needs ~3 s), alongside the probes.\n\n"
        + table(rows, args.rounds)
        + f"\n\nMachine: {platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} at the end of "
        f"the run (shared with other work), Python {platform.python_version()}. Fuel's verification took "
        "minutes on the same kind of network; here it is a few seconds, bounded by two SSH round trips "
        "per node and the DHCP listening window."
    )
    print(body)
    if args.record:
        record(args.record, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
