"""The initramfs tree: binaries from the unpacked packages with the libraries they need,
busybox for everything else, the kernel's modules, and the discovery node's own files."""

from __future__ import annotations

import subprocess
from pathlib import Path, PurePosixPath

from fueltui.bootstrap import initfiles
from fueltui.bootstrap.cpio import Tree
from fueltui.bootstrap.elf import ElfError, needed_libraries
from fueltui.bootstrap.kmods import LATER_MODULES, Kernel, modules_alias, modules_dep

BIN_DIRS = ("usr/sbin", "usr/bin", "sbin", "bin")
LIB_DIRS = ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "lib", "usr/lib")
LIB_DEST = "lib/x86_64-linux-gnu"
# Real tools where busybox's applets differ in ways the master relies on (`ip -j`, `lsblk -J`).
BINARIES = (
    "busybox", "dropbear", "dropbearkey", "ip", "lsblk", "sfdisk", "blkid", "wipefs", "partx", "blockdev",
    "mke2fs", "e2fsck", "tune2fs", "resize2fs", "mkfs.fat", "zstd", "tar",
)  # fmt: skip
TOOL_LINKS = {"mkfs.ext4": "mke2fs", "mkfs.vfat": "mkfs.fat"}
APPLETS = (  # noqa: SIM905 - a paragraph of names reads better than 100 quoted ones
    "sh ash awk base64 basename cat chmod chown chroot cmp cp cpio cut date dd df dirname dmesg du "
    "echo env expr false find flock free grep gunzip gzip halt head hexdump hostname id init insmod "
    "kill killall less ln ls lsmod md5sum mkdir mknod mktemp modprobe more mount mountpoint mv nc "
    "nproc od pidof ping poweroff printf ps pwd readlink realpath reboot rm rmdir rmmod sed seq "
    "sha256sum sleep sort stat switch_root sync tail tee test timeout touch tr true udhcpc umount "
    "uname uniq unxz uptime vi wc wget which xargs xzcat yes zcat ["
).split()


class RootfsError(RuntimeError):
    pass


def unpack(debs: list[Path], staging: Path) -> None:
    """Every package except the kernel, unpacked as dpkg would (no maintainer scripts)."""
    staging.mkdir(parents=True, exist_ok=True)
    for deb in debs:
        if deb.name.startswith("linux-image-"):
            continue
        proc = subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RootfsError(f"cannot unpack {deb.name}: {proc.stderr.strip()}")


def _resolve(staging: Path, rel: str) -> Path | None:
    """`rel` inside the unpacked tree, following symlinks as if `staging` were /."""
    current = PurePosixPath(rel)
    for _ in range(40):
        path = staging / current
        if path.is_symlink():
            target = PurePosixPath(path.readlink().as_posix())
            current = PurePosixPath(*target.parts[1:]) if target.is_absolute() else current.parent / target
            current = PurePosixPath(*[p for p in _normalise(current.parts)])
            continue
        return path if path.is_file() else None
    return None


def _normalise(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            if out:
                out.pop()
        elif part not in ("", "."):
            out.append(part)
    return out


def _find(staging: Path, name: str, dirs: tuple[str, ...]) -> tuple[str, Path] | None:
    for d in dirs:
        real = _resolve(staging, f"{d}/{name}")
        if real is not None:
            return f"{d}/{name}", real
    return None


def _add_with_libraries(tree: Tree, staging: Path, dest: str, real: Path, done: set[str]) -> None:
    data = real.read_bytes()
    tree.file(dest, data, 0o755)
    try:
        needed = needed_libraries(data)
    except ElfError:
        return  # a script
    for soname in needed:
        if soname in done:
            continue
        done.add(soname)
        found = _find(staging, soname, LIB_DIRS)
        if found is None:
            raise RootfsError(f"{dest} needs {soname}, which no downloaded package holds")
        _add_with_libraries(tree, staging, f"{LIB_DEST}/{soname}", found[1], done)


def assemble(staging: Path, kernel: Kernel, modules: list[str], public_key: str, suite: str) -> Tree:
    tree = Tree()
    for d in ("proc", "sys", "dev", "run", "tmp", "mnt", "var/log", "etc/dropbear"):
        tree.dir(d)
    tree.dir("root", 0o700)
    tree.dir("root/.ssh", 0o700)
    tree.chardev("dev/console", 5, 1)
    tree.chardev("dev/null", 1, 3, 0o666)
    libs: set[str] = set()
    for name in BINARIES:
        found = _find(staging, name, BIN_DIRS)
        if found is None:
            raise RootfsError(f"no downloaded package holds {name}")
        _add_with_libraries(tree, staging, found[0], found[1], libs)
    tree.symlink("lib64/ld-linux-x86-64.so.2", f"/{LIB_DEST}/ld-linux-x86-64.so.2")
    for link, target in TOOL_LINKS.items():
        where = next(d for d in BIN_DIRS if f"{d}/{target}" in tree)
        tree.symlink(f"{where}/{link}", target)
    busybox = "/" + next(f"{d}/busybox" for d in BIN_DIRS if f"{d}/busybox" in tree)
    real_tools = {p.rsplit("/", 1)[-1] for p in tree.entries}
    for applet in APPLETS:
        if applet not in real_tools:
            where = (
                "sbin"
                if applet in ("init", "insmod", "modprobe", "rmmod", "lsmod", "halt", "reboot", "poweroff")
                else "bin"
            )
            tree.symlink(f"{where}/{applet}", busybox)
    moddir = f"lib/modules/{kernel.version}"
    for name in modules:
        tree.file(f"{moddir}/{kernel.paths[name]}", kernel.module_file(name).read_bytes())
    tree.file(f"{moddir}/modules.dep", modules_dep(kernel, modules))
    tree.file(f"{moddir}/modules.alias", modules_alias(kernel, modules))
    tree.file("etc/fueltui/modules.later", "".join(n + "\n" for n in LATER_MODULES))
    tree.file("init", initfiles.INIT, 0o755)
    tree.file("etc/inittab", initfiles.INITTAB)
    tree.file("etc/fueltui/rc", initfiles.RC, 0o755)
    tree.file("etc/fueltui/dhcp", initfiles.DHCP, 0o755)
    tree.file("etc/fueltui/udhcpc", initfiles.UDHCPC, 0o755)
    tree.file("etc/passwd", initfiles.PASSWD)
    tree.file("etc/shadow", initfiles.SHADOW, 0o600)
    tree.file("etc/group", initfiles.GROUP)
    tree.file("etc/shells", initfiles.SHELLS)
    tree.file("etc/nsswitch.conf", initfiles.NSSWITCH)
    tree.file("etc/os-release", initfiles.os_release(suite))
    tree.file("etc/hostname", "bootstrap\n")
    tree.file("root/.ssh/authorized_keys", public_key.strip() + "\n", 0o600)
    return tree
