"""What provisioning writes besides the OS image: the node's own files and the script that
partitions, formats, unpacks and installs the boot loaders, all rendered on the master.

The master decides every identifier up front (file-system UUIDs, the SSH host key), so the
fstab, the boot menu and the pinned host key are known before the node runs anything.
GRUB goes in without grub-install (the image carries GRUB's images, not its installer):
grub-mkimage builds the BIOS core and the UEFI loader inside the unpacked OS, and the two
sector pointers grub-bios-setup would patch are patched here."""

from __future__ import annotations

import shlex
import struct
import uuid
from dataclasses import dataclass

from fueltui.core.disks import MIB, SECTOR, DiskPlan, sfdisk_script
from fueltui.core.payload.nodesettings import BASE_KERNEL_ARGS, kernel_params

# The deploy's kernel parameters task finds this in the menu and puts the Settings page's after it.
KERNEL_ARGS = BASE_KERNEL_ARGS
GRUB_BIOS_MODULES = "biosdisk part_gpt ext2 normal linux configfile search search_fs_uuid echo test"
GRUB_EFI_MODULES = "part_gpt ext2 fat normal linux configfile search search_fs_uuid echo test efi_gop"
BOOT_IMG_KERNEL_SECTOR = 0x5C  # boot.img: LBA of core.img's first sector
BOOT_IMG_DRIVE_CHECK = 0x66  # boot.img: a jump grub-bios-setup replaces with two NOPs on hard disks
EFI_LOADER = "/boot/efi/EFI/BOOT/BOOTX64.EFI"  # the removable-media path: boots without NVRAM entries
CORE_IMG_BLOCKLIST = 0x1F4  # core.img's first sector: LBA of the rest of core.img


@dataclass(frozen=True)
class Volume:
    device: str
    uuid: str
    file_system: str
    mount: str | None


def part_device(disk: str, number: int) -> str:
    """/dev/vda + 3 -> /dev/vda3; /dev/nvme0n1 + 3 -> /dev/nvme0n1p3."""
    return f"/dev/{disk}{'p' if disk[-1].isdigit() else ''}{number}"


def volumes(plans: list[DiskPlan], seed: str) -> list[Volume]:
    """Every partition provisioning formats, with a UUID derived from the node and partition
    (stable for one node and plan, so a retried provisioning writes the same fstab)."""
    out = []
    for plan in plans:
        for p in plan.partitions:
            if p.file_system not in ("ext4", "vfat", "swap"):
                continue
            ident = uuid.uuid5(uuid.NAMESPACE_URL, f"fueltui:{seed}:{plan.disk}:{p.number}")
            text = f"{ident.hex[:4]}-{ident.hex[4:8]}".upper() if p.file_system == "vfat" else str(ident)
            out.append(Volume(part_device(plan.disk, p.number), text, p.file_system, p.mount))
    return out


def root_partition(plans: list[DiskPlan]) -> int:
    return next(p.number for p in plans[0].partitions if p.mount == "/")


def fstab(vols: list[Volume]) -> str:
    lines = ["# Written by fueltui provisioning."]
    for v in sorted(vols, key=lambda v: (v.mount or "").count("/") if v.mount != "/" else -1):
        if v.file_system == "swap":
            lines.append(f"UUID={v.uuid} none swap sw 0 0")
        elif v.mount:
            opts, passno = (
                ("umask=0077", 1)
                if v.file_system == "vfat"
                else ("errors=remount-ro", 1 if v.mount == "/" else 2)
            )
            lines.append(f"UUID={v.uuid} {v.mount} {v.file_system} {opts} 0 {passno}")
    return "\n".join(lines) + "\n"


def grub_cfg(kernel: str, initrd: str, root_uuid: str, extra: str = "") -> str:
    """The boot menu; `extra`: the environment's kernel parameters (the Settings page)."""
    params = kernel_params(extra)
    return (
        "set timeout=1\nset default=0\n"
        f"search --no-floppy --fs-uuid --set=root {root_uuid}\n"
        "menuentry 'Debian GNU/Linux (fueltui)' {\n"
        f"  linux /boot/{kernel} root=UUID={root_uuid} ro {KERNEL_ARGS}{' ' + params if params else ''}\n"
        f"  initrd /boot/{initrd}\n"
        "}\n"
    )


def networkd_config(admin_mac: str) -> str:
    """The admin NIC by DHCP, matched by MAC (names can change between the bootstrap and the OS;
    the image has systemd-networkd but no ifupdown DHCP client)."""
    return (
        "# Written by fueltui provisioning: the admin network, by DHCP from the master.\n"
        f"[Match]\nMACAddress={admin_mac}\n\n[Network]\nDHCP=ipv4\n"
    )


def _octal(data: bytes) -> str:
    return "".join(f"\\{b:03o}" for b in data)


def bios_patches(core_start_sector: int) -> tuple[str, str]:
    """printf arguments for the two patches: core.img's blocklist, boot.img's pointer + NOPs."""
    core = _octal(struct.pack("<Q", core_start_sector + 1))
    boot = _octal(struct.pack("<Q", core_start_sector))
    return core, boot


def install_script(plans: list[DiskPlan], vols: list[Volume], image_url: str, kernel: str) -> str:
    """The node's side of provisioning, run by the bootstrap's busybox sh with `set -e`.
    Everything it needs from the master is in /tmp/fueltui (files/ is copied over the OS)."""
    boot = plans[0]
    disk = f"/dev/{boot.disk}"
    root_n = root_partition(plans)
    bios = next(p for p in boot.partitions if p.name == "bios-boot")
    core_sector = bios.start_mib * (MIB // SECTOR)
    core_patch, boot_patch = bios_patches(core_sector)
    q = shlex.quote
    prefix = q(f"(hd0,gpt{root_n})/boot/grub")
    quiet = "conv=notrunc 2>/dev/null"
    lines = [
        "set -eu",
        "cd /tmp/fueltui",
        "modprobe -a -q ext4 vfat nls_cp437 nls_iso8859_1 nls_utf8 nls_ascii 2>/dev/null || true",
    ]
    for n, plan in enumerate(plans):
        lines.append(f"sfdisk --wipe always --wipe-partitions always -q /dev/{plan.disk} < sfdisk.{n}")
        lines.append(f"partx -u /dev/{plan.disk} 2>/dev/null || blockdev --rereadpt /dev/{plan.disk}")
    lines.append("sleep 1")  # the kernel's partition devices appear asynchronously
    for v in vols:
        if v.file_system == "ext4":
            lines.append(f"mkfs.ext4 -q -F -U {v.uuid} -O ^metadata_csum_seed {v.device}")
        elif v.file_system == "vfat":
            lines.append(f"mkfs.vfat -F 32 -i {v.uuid.replace('-', '')} {v.device} >/dev/null")
        elif v.file_system == "swap":
            lines.append(f"mkswap -U {v.uuid} {v.device} >/dev/null")
    for v in sorted(
        (v for v in vols if v.mount and v.file_system != "swap"), key=lambda v: len(v.mount or "")
    ):
        lines.append(f"mkdir -p /mnt{v.mount} && mount -t {v.file_system} {v.device} /mnt{v.mount}")
    lines += [
        f"wget -q -O - {q(image_url)} | zstd -dc | tar -x --numeric-owner --xattrs -C /mnt",
        "rm -f /mnt/etc/ssh/ssh_host_*",  # the image's keys are the same on every node: never keep them
        "cp -a files/. /mnt/",
        "chmod 600 /mnt/etc/ssh/ssh_host_ed25519_key",
        "for d in dev proc sys; do mount --bind /$d /mnt/$d; done",
        "chroot /mnt systemctl enable systemd-networkd.service >/dev/null 2>&1",
        f"chroot /mnt grub-mkimage -O i386-pc -p {prefix} -o /boot/grub/core.img {GRUB_BIOS_MODULES}",
        f"printf '{core_patch}' | dd of=/mnt/boot/grub/core.img bs=1 seek={CORE_IMG_BLOCKLIST} {quiet}",
        f"dd if=/mnt/boot/grub/core.img of={disk} bs=512 seek={core_sector} conv=notrunc 2>/dev/null",
        "cp /mnt/usr/lib/grub/i386-pc/boot.img boot.img",
        f"printf '{boot_patch}' | dd of=boot.img bs=1 seek={BOOT_IMG_KERNEL_SECTOR} conv=notrunc 2>/dev/null",
        f"printf '\\220\\220' | dd of=boot.img bs=1 seek={BOOT_IMG_DRIVE_CHECK} conv=notrunc 2>/dev/null",
        f"dd if=boot.img of={disk} bs=440 count=1 conv=notrunc 2>/dev/null",
        "mkdir -p /mnt/boot/efi/EFI/BOOT",
        f"chroot /mnt grub-mkimage -O x86_64-efi -p {prefix} -o {EFI_LOADER} {GRUB_EFI_MODULES}",
        "for d in sys proc dev; do umount /mnt/$d; done",
        f"test -e /mnt/boot/{q(kernel)}",
        "sync",
    ]
    mounted = [v for v in vols if v.mount and v.file_system != "swap"]
    lines += [f"umount /mnt{v.mount}" for v in sorted(mounted, key=lambda v: -len(v.mount or ""))]
    lines.append("echo provisioned")
    return "\n".join(lines) + "\n"


def sfdisk_inputs(plans: list[DiskPlan]) -> dict[str, str]:
    return {f"sfdisk.{n}": sfdisk_script(plan) for n, plan in enumerate(plans)}
