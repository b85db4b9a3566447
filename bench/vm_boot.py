"""Power-on → discovered, for QEMU VMs that PXE-boot the bootstrap from the lab's master.

    sudo python bench/vm_boot.py [--vms 1,3] [--provision] [--no-record]

For each count N: a lab with N VMs and no namespace nodes; each VM's power-on is its QEMU
process's start; stages are read from its serial console as they appear (iPXE's DHCP done,
kernel running, /init, modules loaded, DHCP started in the bootstrap) and "discovered" is
when the master lists the node online with its facts. Also each VM's CPU seconds and RSS at
that moment. Writes docs/benchmarks-vm.md (the table replaces the previous one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fueltui.client.api import MasterClient  # noqa: E402
from fueltui.lab import vms as lab_vms  # noqa: E402
from fueltui.lab.lab import Lab  # noqa: E402

MARKERS = (
    ("ipxe_dhcp", "Filename: boot.ipxe"),
    ("kernel", "Linux version"),
    ("init", "Run /init"),
    ("drivers", "fueltui bootstrap: drivers loaded"),
    ("dhcp", "fueltui bootstrap: DHCP started"),
)
COLUMNS = [m for m, _ in MARKERS] + ["discovered"]
PROVISION_COLUMNS = ["provisioned", "on_os"]
TIMEOUT = 300.0
OUT = ROOT / "docs" / "benchmarks-vm.md"
HEADER = """# VM boot benchmark: power-on → discovered

`sudo python bench/vm_boot.py --vms {vms}` on a {cpus}-CPU host ({machine}), {date}. QEMU under
TCG (this machine class has no usable KVM), {memory} MiB and one vCPU per VM, BIOS firmware
(SeaBIOS and the NIC's iPXE ROM), the chain script over TFTP, kernel and initrd over the
master's HTTP file server.

Seconds from power-on (the QEMU process's start) until each stage shows on the VM's serial
console: `ipxe_dhcp` iPXE has its lease and boot file name; `kernel` the kernel prints its
banner (kernel and initrd fetched and unpacked); `init` the initramfs runs; `drivers` the
drivers for the hardware present are loaded; `dhcp` every NIC with link has a DHCP client;
`discovered` the master lists the node online with its facts (one SSH round trip after the
lease). CPU s and RSS: the QEMU process at discovery. With `--provision`, then every VM is
provisioned at once: `provisioned` seconds from the start of provisioning until its task is
done (disk partitioned, the OS image pulled and unpacked, boot loaders in), `on_os` until the
master sees it running the release's OS again after rebooting from its disk. The host is
shared with other jobs: expect a few seconds of noise.

"""


def _boot_time() -> float:
    """Wall-clock time of the host's boot (to place /proc/PID/stat start times)."""
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return time.time() - uptime


def _proc_start(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _proc_usage(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss


async def _watch(lab: Lab, vms: list[lab_vms.LabVm]) -> dict[int, dict[str, float]]:
    start = {vm.index: _proc_start(vm.pid) for vm in vms}
    seen: dict[int, dict[str, float]] = {vm.index: {} for vm in vms}
    usage: dict[int, tuple[float, int]] = {}
    client = await MasterClient.connect(lab.master_state_dir, autostart=False)
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline and any("discovered" not in s for s in seen.values()):
            now = time.time()
            for vm in vms:
                text = lab_vms.serial_tail(vm, 10**7)
                for name, marker in MARKERS:
                    if name not in seen[vm.index] and marker in text:
                        seen[vm.index][name] = now - start[vm.index]
            online = {r.node.mac for r in await client.nodes() if r.node.online and r.node.facts.nics}
            for vm in vms:
                if "discovered" not in seen[vm.index] and vm.admin_mac in online:
                    seen[vm.index]["discovered"] = now - start[vm.index]
                    usage[vm.index] = _proc_usage(vm.pid)
            await asyncio.sleep(0.2)  # sampling interval
    finally:
        await client.close()
    for index, (cpu, rss) in usage.items():
        seen[index]["cpu_s"] = cpu
        seen[index]["rss_mib"] = rss / 2**20
    return seen


async def _provision(lab: Lab, vms: list[lab_vms.LabVm], seen: dict[int, dict[str, float]]) -> None:
    """Provision every VM at once: seconds until its task is done, and until the master sees
    it again running the release's OS (rebooted from its disk)."""
    client = await MasterClient.connect(lab.master_state_dir, autostart=False)
    start = time.monotonic()
    try:
        tasks = {vm.index: await client.start_task("provision", params={"node": vm.admin_mac}) for vm in vms}
        deadline = start + 2 * TIMEOUT + 300 * len(vms)
        while time.monotonic() < deadline and any("on_os" not in seen[vm.index] for vm in vms):
            now = time.monotonic() - start
            for vm in vms:
                if "provisioned" not in seen[vm.index]:
                    task = await client.task(tasks[vm.index].id)
                    if task.status.finished:
                        seen[vm.index]["provisioned"] = now if task.status == "done" else float("nan")
            nodes = {r.node.mac: r.node for r in await client.nodes()}
            for vm in vms:
                node = nodes.get(vm.admin_mac)
                on_os = node is not None and node.online and (node.facts.os or "").startswith("Debian")
                if "on_os" not in seen[vm.index] and "provisioned" in seen[vm.index] and on_os:
                    seen[vm.index]["on_os"] = now
            await asyncio.sleep(1.0)  # sampling interval
    finally:
        await client.close()


def run(count: int, provision: bool) -> dict[int, dict[str, float]]:
    lab = Lab(f"bvm{count}")
    try:
        lab.up(nodes=0, vms=count, timeout=120)
        vms = lab_vms.load(lab.names).vms
        seen = asyncio.run(_watch(lab, vms))
        if provision:
            asyncio.run(_provision(lab, vms, seen))
        return seen
    finally:
        lab.down()


def table(results: dict[int, dict[int, dict[str, float]]], provision: bool) -> str:
    extra = PROVISION_COLUMNS if provision else []
    head = "| VMs | VM | " + " | ".join(COLUMNS) + " | CPU s | RSS MiB |" + "".join(f" {c} |" for c in extra)
    lines = [head, "|" + "---|" * (len(COLUMNS) + 4 + len(extra))]
    for count, per_vm in results.items():
        for index, seen in sorted(per_vm.items()):
            cells = [f"{seen[c]:.1f}" if c in seen else "—" for c in COLUMNS]
            cells += [f"{seen['cpu_s']:.1f}" if "cpu_s" in seen else "—"]
            cells += [f"{seen['rss_mib']:.0f}" if "rss_mib" in seen else "—"]
            cells += [f"{seen[c]:.0f}" if c in seen else "—" for c in extra]
            lines.append(f"| {count} | {index} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", default="1", help="comma-separated VM counts (default 1)")
    parser.add_argument(
        "--provision", action="store_true", help="then provision every VM (needs the OS image)"
    )
    parser.add_argument("--no-record", action="store_true", help=f"print only, do not write {OUT.name}")
    args = parser.parse_args()
    results = {int(c): run(int(c), args.provision) for c in args.vms.split(",")}
    body = table(results, args.provision)
    print(body)
    if not args.no_record:
        OUT.write_text(
            HEADER.format(
                vms=args.vms,
                cpus=os.cpu_count(),
                machine=platform.machine(),
                date=f"{datetime.now(UTC):%Y-%m-%d}",
                memory=lab_vms.MEMORY_MB,
            )
            + body
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
