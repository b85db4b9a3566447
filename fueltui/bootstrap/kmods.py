"""The kernel and the modules the bootstrap needs, taken from Debian's linux-image package.

The package holds ~4000 modules and no modules.dep (depmod runs at install time), so one
streaming pass reads every module's `depends=` and keeps the files under the folders where
NIC, disk and file-system drivers live; the result is cached per package file."""

from __future__ import annotations

import gzip
import json
import lzma
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from fueltui.bootstrap.elf import modinfo

# Drivers for the NICs and disks of common servers and VMs: loaded at boot only when their
# hardware is there (matched by modalias), because loading all of them costs seconds under emulation.
HARDWARE_MODULES: tuple[str, ...] = (
    "virtio_pci", "virtio_net", "virtio_blk", "virtio_scsi",
    "e1000", "e1000e", "igb", "ixgbe", "i40e", "tg3", "bnx2", "r8169", "vmxnet3",
    "ahci", "ata_piix", "nvme", "megaraid_sas", "mpt3sas",
)  # fmt: skip
# Loaded on every node once DHCP is under way: what provisioning and VLAN checks use.
LATER_MODULES: tuple[str, ...] = (
    "crc32c_generic", "crc32c_intel",  # ext4 asks the crypto API for crc32c: load it first
    "sd_mod", "8021q", "bonding", "ext4", "vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8", "nls_ascii",
    "efivarfs",
)  # fmt: skip
WANTED_MODULES = HARDWARE_MODULES + LATER_MODULES
INDEX_FORMAT = 2
KEPT_DIRS: tuple[str, ...] = (
    "kernel/drivers/net/",
    "kernel/drivers/block/",
    "kernel/block/",
    "kernel/drivers/scsi/",
    "kernel/drivers/ata/",
    "kernel/drivers/nvme/",
    "kernel/drivers/virtio/",
    "kernel/drivers/ptp/",
    "kernel/drivers/pps/",
    "kernel/drivers/dca/",
    "kernel/drivers/hwmon/",
    "kernel/drivers/i2c/",
    "kernel/drivers/mdio/",
    "kernel/drivers/base/",
    "kernel/fs/ext4/",
    "kernel/fs/jbd2/",
    "kernel/fs/fat/",
    "kernel/fs/nls/",
    "kernel/fs/efivarfs/",
    "kernel/fs/mbcache",
    "kernel/lib/",
    "kernel/crypto/",
    "kernel/arch/x86/crypto/",
    "kernel/net/core/",
    "kernel/net/802/",
    "kernel/net/8021q/",
    "kernel/net/llc/",
    "kernel/net/tls/",
    "kernel/net/psample/",
    "kernel/net/xfrm/",
)
SKIPPED_DIRS = ("kernel/drivers/net/wireless/", "kernel/drivers/net/can/", "kernel/drivers/net/usb/")
_KO = re.compile(r"\.ko(\.xz|\.zst|\.gz)?$")


class KernelError(RuntimeError):
    pass


def module_name(path: str) -> str:
    return _KO.sub("", path.rsplit("/", 1)[-1]).replace("-", "_")


def _decompress(data: bytes, suffix: str | None) -> bytes:
    if suffix == ".xz":
        return lzma.decompress(data)
    if suffix == ".gz":
        return gzip.decompress(data)
    if suffix == ".zst":
        proc = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True)
        return proc.stdout
    return data


@dataclass(frozen=True)
class Kernel:
    root: Path  # the cache folder: vmlinuz, modules/<relpath>.ko, index.json
    version: str
    depends: dict[str, list[str]]  # module name -> names it depends on (every module)
    paths: dict[str, str]  # module name -> path under lib/modules/<version>/ (kept ones)
    builtin: frozenset[str]
    aliases: dict[str, list[str]]  # module name -> its modalias patterns (kept ones)

    @property
    def vmlinuz(self) -> Path:
        return self.root / "vmlinuz"

    def module_file(self, name: str) -> Path:
        return self.root / "modules" / self.paths[name]

    def closure(self, wanted: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """(modules to load, deepest dependencies first; wanted names neither built in nor present)."""
        order: list[str] = []
        missing: list[str] = []
        seen: set[str] = set()

        def visit(name: str, chain: tuple[str, ...]) -> None:
            if name in seen or name in self.builtin:
                return
            if name not in self.depends:
                missing.append(name)
                return
            if name not in self.paths:
                raise KernelError(
                    f"module {name} (needed by {' <- '.join(chain)}) is outside the kept folders"
                )
            seen.add(name)
            for dep in sorted(self.depends[name]):
                visit(dep, (name, *chain))
            order.append(name)

        for name in wanted:
            visit(name, ())
        return order, missing


def _extract(deb: Path, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "modules").mkdir(parents=True)
    depends: dict[str, list[str]] = {}
    paths: dict[str, str] = {}
    aliases: dict[str, list[str]] = {}
    builtin: list[str] = []
    version = ""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            name = member.name.lstrip("./")
            if not member.isfile():
                continue
            if re.fullmatch(r"boot/vmlinuz-.+", name):
                version = name.split("vmlinuz-", 1)[1]
                src = tar.extractfile(member)
                assert src is not None
                (tmp / "vmlinuz").write_bytes(src.read())
                continue
            match = re.fullmatch(r"lib/modules/([^/]+)/(.+)", name) or re.fullmatch(
                r"usr/lib/modules/([^/]+)/(.+)", name
            )
            if match is None:
                continue
            rel = match.group(2)
            if rel == "modules.builtin":
                src = tar.extractfile(member)
                assert src is not None
                builtin = [module_name(line) for line in src.read().decode().split()]
                continue
            ko = _KO.search(rel)
            if ko is None:
                continue
            src = tar.extractfile(member)
            assert src is not None
            data = _decompress(src.read(), ko.group(1))
            mod = module_name(rel)
            info = modinfo(data)
            depends[mod] = [d.replace("-", "_") for v in info.get("depends", []) for d in v.split(",") if d]
            if rel.startswith(KEPT_DIRS) and not rel.startswith(SKIPPED_DIRS):
                plain = _KO.sub(".ko", rel)
                paths[mod] = plain
                aliases[mod] = info.get("alias", [])
                target = tmp / "modules" / plain
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    if proc.wait() != 0:
        raise KernelError(f"cannot read {deb.name}")
    if not version:
        raise KernelError(f"{deb.name} holds no /boot/vmlinuz-*")
    index = {
        "format": INDEX_FORMAT,
        "version": version,
        "depends": depends,
        "paths": paths,
        "aliases": aliases,
        "builtin": sorted(builtin),
    }
    (tmp / "index.json").write_text(json.dumps(index, sort_keys=True))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def load_kernel(deb: Path, cache: Path) -> Kernel:
    """The kernel package unpacked (once) into `cache/<package file name>/`."""
    dest = cache / deb.name.removesuffix(".deb")
    try:
        index = json.loads((dest / "index.json").read_text())
    except (OSError, ValueError):
        index = {}
    if index.get("format") != INDEX_FORMAT:
        cache.mkdir(parents=True, exist_ok=True)
        _extract(deb, dest)
        index = json.loads((dest / "index.json").read_text())
    return Kernel(
        root=dest,
        version=index["version"],
        depends=index["depends"],
        paths=index["paths"],
        builtin=frozenset(index["builtin"]),
        aliases=index["aliases"],
    )


def modules_dep(kernel: Kernel, names: list[str]) -> str:
    """modules.dep for the modules in the image, as depmod writes it: every module followed by
    all it needs, transitively, listed so that loading them from the last one back works."""
    lines = []
    for name in sorted(names):
        order, _ = kernel.closure((name,))
        deps = " ".join(kernel.paths[d] for d in reversed(order[:-1]))
        lines.append(f"{kernel.paths[name]}: {deps}".rstrip())
    return "\n".join(lines) + "\n"


def modules_alias(kernel: Kernel, names: list[str]) -> str:
    """modules.alias for the modules in the image: busybox modprobe maps a device's modalias
    (/sys/bus/*/devices/*/modalias) to its driver with it."""
    lines = [f"alias {a} {name}" for name in sorted(names) for a in kernel.aliases.get(name, [])]
    return "\n".join(lines) + "\n"
