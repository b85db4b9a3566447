"""Virtual machines in the lab: real firmware, real PXE, real disks.

Each VM is a QEMU process in the lab master's namespace, under software emulation (this
machine class has no usable KVM; see docs/benchmarks-vm.md), with one tap per NIC plugged
into the lab's bridges, a qcow2 virtio disk, and its serial console logged to a file. NIC 0
(on the admin bridge) is the only one with a boot ROM, so the VM PXE-boots from the master.
Everything lives in the master namespace and under the lab root, so `lab down` removes VMs
with the rest: their processes with the namespace's, their taps with the namespace, their
disks and logs with the root.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fueltui.lab import netns, processes
from fueltui.lab.names import LabError, LabNames, bridge_name
from fueltui.statedir import write_atomic

MAX_VMS = 16
MEMORY_MB = 768  # the bootstrap needs ~200 MiB; provisioning unpacks an OS through it
DISK_GB = 16  # sparse qcow2: room for the default volumes of any role costs nothing
TCG = "tcg,tb-size=128"  # caps QEMU's translation cache: ~0.7 GiB less RSS per VM
STATE_NAME = "vms.json"


@dataclass
class LabVm:
    index: int
    macs: list[str]
    taps: list[str]
    disk: str
    serial_log: str
    pid: int = 0
    firmware: str = "bios"

    @property
    def admin_mac(self) -> str:
        return self.macs[0]


@dataclass
class VmSet:
    vms: list[LabVm] = field(default_factory=list)


def vm_mac(index: int, nic: int) -> str:
    # 52:54:01 keeps VMs apart from the namespace nodes' 52:54:00 (both locally administered).
    return f"52:54:01:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}:{nic:02x}"


def tap_name(index: int, nic: int) -> str:
    return f"vm{index}t{nic}"


def vm_dir(names: LabNames) -> Path:
    return names.root / "vms"


def load(names: LabNames) -> VmSet:
    try:
        raw = json.loads((vm_dir(names) / STATE_NAME).read_text())
    except (OSError, ValueError):
        return VmSet()
    return VmSet([LabVm(**vm) for vm in raw.get("vms", [])])


def _save(names: LabNames, vms: VmSet) -> None:
    path = vm_dir(names) / STATE_NAME
    write_atomic(path, json.dumps(asdict(vms), indent=1), 0o644)


OVMF_PAIRS = (
    ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"),
    ("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"),
)


def ovmf() -> tuple[Path, Path] | None:
    """UEFI firmware (Debian's `ovmf`): its code, and the variable store each VM copies."""
    for code, variables in OVMF_PAIRS:
        if Path(code).is_file() and Path(variables).is_file():
            return Path(code), Path(variables)
    return None


def vars_file(vm: LabVm) -> str:
    return vm.disk.removesuffix(".qcow2") + "-efivars.fd"


def qemu_argv(vm: LabVm, memory_mb: int = MEMORY_MB) -> list[str]:
    argv = [
        "qemu-system-x86_64",
        "-name", f"fueltui-vm{vm.index}",
        "-accel", TCG,
        "-m", str(memory_mb),
        "-smp", "1",
        "-nographic",  # firmware writes to the serial port only without a display
        "-serial", f"file:{vm.serial_log}",
        "-monitor", "none",
        "-boot", "order=n,reboot-timeout=5000",  # no lease yet (the master still starting): retry PXE
        "-drive", f"file={vm.disk},if=virtio,format=qcow2,cache=unsafe",
    ]  # fmt: skip
    if vm.firmware == "uefi":
        firmware = ovmf()
        if firmware is None:
            raise LabError("UEFI VMs need OVMF (apt-get install ovmf)")
        argv += ["-drive", f"if=pflash,format=raw,readonly=on,file={firmware[0]}"]
        argv += ["-drive", f"if=pflash,format=raw,file={vars_file(vm)}"]
    for nic, (mac, tap) in enumerate(zip(vm.macs, vm.taps, strict=True)):
        argv += ["-netdev", f"tap,id=n{nic},ifname={tap},script=no,downscript=no"]
        rom = "" if nic == 0 else ",romfile="  # only the admin NIC boots from the network
        argv += ["-device", f"virtio-net-pci,netdev=n{nic},mac={mac}{rom}"]
    return argv


def start(
    names: LabNames,
    count: int,
    networks: list[str],
    nics: int,
    *,
    firmware: str = "bios",
    memory_mb: int = MEMORY_MB,
    disk_gb: int = DISK_GB,
) -> VmSet:
    """Create and power on `count` VMs (numbered from 1); they PXE-boot at once."""
    if not 1 <= count <= MAX_VMS:
        raise LabError(f"--vms must be between 1 and {MAX_VMS}")
    if firmware not in ("bios", "uefi"):
        raise LabError("firmware must be bios or uefi")
    for tool in ("qemu-system-x86_64", "qemu-img"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            raise LabError(f"{tool} is missing (apt-get install qemu-system-x86 qemu-utils)")
    base = vm_dir(names)
    base.mkdir(parents=True, exist_ok=True)
    vms = VmSet()
    for index in range(1, count + 1):
        vm = LabVm(
            index=index,
            macs=[vm_mac(index, n) for n in range(nics)],
            taps=[tap_name(index, n) for n in range(nics)],
            disk=str(base / f"vm{index}.qcow2"),
            serial_log=str(names.log_dir / f"vm{index}-serial.log"),
            firmware=firmware,
        )
        netns.run(["qemu-img", "create", "-q", "-f", "qcow2", vm.disk, f"{disk_gb}G"])
        if firmware == "uefi":
            found = ovmf()
            if found is None:
                raise LabError("UEFI VMs need OVMF (apt-get install ovmf)")
            shutil.copyfile(found[1], vars_file(vm))  # each VM keeps its own boot entries
        cmds = []
        for nic, tap in enumerate(vm.taps):
            cmds += [
                f"tuntap add dev {tap} mode tap",
                f"link set {tap} master {bridge_name(networks[nic % len(networks)])} up",
            ]
        netns.ip_batch(cmds, names.master_ns)
        vm.pid = _spawn(names, vm, memory_mb)
        vms.vms.append(vm)
        _save(names, vms)
    return vms


def _spawn(names: LabNames, vm: LabVm, memory_mb: int) -> int:
    log = open(names.log_dir / f"vm{vm.index}-qemu.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", names.master_ns, *qemu_argv(vm, memory_mb)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
    time.sleep(0.2)  # QEMU fails fast on a bad argument or a busy tap: report that here
    if proc.poll() is not None:
        tail = (names.log_dir / f"vm{vm.index}-qemu.log").read_text(errors="replace")[-800:]
        raise LabError(f"VM {vm.index} did not start: {tail}")
    return proc.pid


def power_cycle(names: LabNames, index: int, memory_mb: int = MEMORY_MB) -> LabVm:
    """Pull the plug and power on again (the disk is kept): a reboot the guest cannot refuse."""
    vms = load(names)
    vm = next((v for v in vms.vms if v.index == index), None)
    if vm is None:
        raise LabError(f"the lab has no VM {index}")
    processes.end([vm.pid], grace=2.0)
    vm.pid = _spawn(names, vm, memory_mb)
    _save(names, vms)
    return vm


def alive(vm: LabVm) -> bool:
    return processes.alive(vm.pid)


def serial_tail(vm: LabVm, chars: int = 2000) -> str:
    try:
        return Path(vm.serial_log).read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# An IPv6 ULA on the admin bridge lets the master's dnsmasq send router advertisements;
# without them iPXE waits ~14 s per boot for IPv6 autoconfiguration.
ADMIN_ULA = "fd00:f0e1::2/64"


def admin_bridge_commands() -> list[str]:
    return [f"addr add {ADMIN_ULA} dev {bridge_name('admin')} nodad"]


def build_bootstrap(names: LabNames) -> str:
    """The discovery image in the lab master's state dir (downloads are cached host-wide)."""
    from fueltui.bootstrap.build import BuildError, build
    from fueltui.ssh.keys import public_key_text

    try:
        result = build(names.master_state, public_key_text(names.master_state))
    except (BuildError, OSError) as exc:
        raise LabError(f"cannot build the bootstrap image for VMs: {exc}") from exc
    return f"bootstrap image {'cached' if result.cached else f'built in {result.seconds:.0f} s'}"
