"""What provisioning writes, rendered on the master: devices, UUIDs, fstab, GRUB's sector
patches, the node's network file and the install script (checked by the shell's parser)."""

from __future__ import annotations

import struct
import subprocess

from fueltui.core.disks import default_allocation, partition_plan, volume_defaults
from fueltui.core.model import Disk
from fueltui.master.pxe.osfiles import (
    CORE_IMG_BLOCKLIST,
    bios_patches,
    fstab,
    grub_cfg,
    install_script,
    networkd_config,
    part_device,
    volumes,
)

DEFAULTS = volume_defaults("epoxy-debian-13")
assert DEFAULTS is not None
DISK = Disk(name="vda", size_bytes=16 * 2**30)
PLANS = partition_plan([DISK], default_allocation([DISK], ["controller"], DEFAULTS), DEFAULTS)
URL = "http://10.20.0.2:8080/mirror/images/debian-13-amd64.tar.zst"


def _bytes(octal: str) -> bytes:
    return bytes(int(x, 8) for x in octal.split("\\")[1:])


def test_partition_devices_follow_the_kernel_naming() -> None:
    assert part_device("vda", 3) == "/dev/vda3"
    assert part_device("nvme0n1", 3) == "/dev/nvme0n1p3"


def test_uuids_are_stable_per_node_and_differ_between_nodes() -> None:
    a, b = volumes(PLANS, "52:54:01:00:01:00"), volumes(PLANS, "52:54:01:00:02:00")
    assert a == volumes(PLANS, "52:54:01:00:01:00")
    assert {v.uuid for v in a}.isdisjoint({v.uuid for v in b})
    esp = next(v for v in a if v.file_system == "vfat")
    assert esp.device == "/dev/vda2" and len(esp.uuid) == 9 and esp.uuid[4] == "-"  # FAT's 32-bit id


def test_fstab_mounts_root_first_and_every_volume_by_uuid() -> None:
    vols = volumes(PLANS, "n1")
    lines = [line.split() for line in fstab(vols).splitlines() if not line.startswith("#")]
    assert lines[0][1] == "/" and lines[0][5] == "1"
    assert {line[1] for line in lines} == {"/", "/boot/efi", "/var/log", "/var/lib/glance"}
    assert all(line[0].startswith("UUID=") for line in lines)


def test_grub_sector_patches_point_at_the_bios_boot_partition() -> None:
    core, boot = bios_patches(2048)
    assert struct.unpack("<Q", _bytes(core))[0] == 2049  # the rest of core.img follows its first sector
    assert struct.unpack("<Q", _bytes(boot))[0] == 2048
    script = install_script(PLANS, volumes(PLANS, "n1"), URL, "vmlinuz-6.12")
    assert f"seek={CORE_IMG_BLOCKLIST}" in script and "seek=92" in script and "seek=102" in script
    assert "of=/dev/vda bs=512 seek=2048" in script and "bs=440 count=1" in script


def test_install_script_parses_and_never_keeps_the_images_host_keys() -> None:
    script = install_script(PLANS, volumes(PLANS, "n1"), URL, "vmlinuz-6.12")
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    lines = script.splitlines()
    assert lines[0] == "set -eu"
    assert lines.index("rm -f /mnt/etc/ssh/ssh_host_*") < lines.index("cp -a files/. /mnt/")
    assert f"wget -q -O - {URL} |" in script
    assert "grub-mkimage -O i386-pc -p '(hd0,gpt3)/boot/grub'" in script
    assert "grub-mkimage -O x86_64-efi" in script and lines[-1] == "echo provisioned"


def test_boot_menu_and_network_files() -> None:
    cfg = grub_cfg("vmlinuz-6.12", "initrd.img-6.12", "1234")
    assert "root=UUID=1234" in cfg and "net.ifnames=0" in cfg and "initrd /boot/initrd.img-6.12" in cfg
    assert "MACAddress=52:54:01:00:01:00" in networkd_config("52:54:01:00:01:00")
