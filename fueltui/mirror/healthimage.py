"""The tiny guest the health check boots: the OS image's kernel and a 2 MB initramfs.

Its /init (static busybox from the mirror) takes DHCP on its virtio NIC, then keeps pinging
every address of its small subnet and prints `fueltui-health: reach ADDR` on the serial
console for each that answers — the health check reads the console log through Nova's API to
see that instances on different computes reach each other over the tenant network. Built
from the mirror alone (no download), once per kernel.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import shutil
import subprocess
import tempfile
from pathlib import Path

from fueltui.mirror.paths import image_dir

HEALTH_DIR = "health"
KERNEL = "fueltui-health.vmlinuz"
INITRD = "fueltui-health.initrd"
MODULES = (
    "kernel/net/core/failover.ko",
    "kernel/drivers/net/net_failover.ko",
    "kernel/drivers/net/virtio_net.ko",
)

INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp /run
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in failover net_failover virtio_net; do insmod /lib/modules/$m.ko 2>/dev/null; done
ip link set lo up
ip link set eth0 up
echo "fueltui-health: booted"
n=0
until udhcpc -i eth0 -s /bin/dhcp.sh -n -q -t 5 -T 2 >/dev/null 2>&1; do
  n=$((n + 1)); [ $n -lt 30 ] || break
done
echo "fueltui-health: address $(ip -4 -o addr show dev eth0 | awk '{print $4}')"
net=$(cat /run/net 2>/dev/null)
while :; do
  if [ -n "$net" ]; then
    base=${net%.*}
    first=${net##*.}
    i=1
    while [ $i -le 14 ]; do
      addr="$base.$((first + i))"
      if ping -c 1 -W 1 "$addr" >/dev/null 2>&1; then echo "fueltui-health: reach $addr"; fi
      i=$((i + 1))
    done
  fi
  sleep 2
done
"""

DHCP = """#!/bin/busybox sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}"
    # The subnet's first address, for the scan (a /28 from the health check): shell
    # arithmetic only (busybox awk has no maths).
    m=${mask:-24}; [ "$m" -ge 24 ] || m=24
    last=${ip##*.}
    size=$((1 << (32 - m)))
    echo "${ip%.*}.$((last / size * size))" > /run/net
    ;;
esac
exit 0
"""


def _newc(entries: list[tuple[str, int, bytes]]) -> bytes:
    """A cpio archive in the kernel's 'newc' format: (name, mode, data)."""
    out = io.BytesIO()
    for ino, (name, mode, data) in enumerate([*entries, ("TRAILER!!!", 0, b"")], start=1):
        encoded = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0]
        header = b"070701" + b"".join(f"{value:08x}".encode() for value in fields)
        out.write(header + encoded)
        out.write(b"\0" * ((4 - (len(header) + len(encoded)) % 4) % 4))
        out.write(data)
        out.write(b"\0" * ((4 - len(data) % 4) % 4))
    return out.getvalue()


def _busybox_static(repo: Path) -> bytes:
    debs = sorted((repo / "pool" / "main").glob("busybox-static_*.deb"))
    if not debs:
        raise FileNotFoundError("busybox-static is not in the mirror")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), tmp], check=True, capture_output=True)
        for candidate in ("bin/busybox", "usr/bin/busybox"):
            path = Path(tmp) / candidate
            if path.exists():
                return path.read_bytes()
    raise FileNotFoundError("busybox-static has no busybox binary")


def build_health_image(os_name: str, repo: Path, target: Path) -> tuple[Path, Path]:
    """Kernel and initramfs into `target` (skipped when already built for this kernel)."""
    root = image_dir(os_name)
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise FileNotFoundError(f"the {os_name} image has no kernel")
    kernel = kernels[-1]
    version = kernel.name.removeprefix("vmlinuz-")
    target.mkdir(parents=True, exist_ok=True)
    stamp = target / "built-from"
    recipe = hashlib.sha256((INIT + DHCP + "".join(MODULES)).encode()).hexdigest()[:16]
    if stamp.exists() and stamp.read_text() == f"{version} {recipe}" and (target / INITRD).exists():
        return target / KERNEL, target / INITRD
    modules = root / "usr" / "lib" / "modules" / version
    folders = ("bin", "lib", "lib/modules", "proc", "sys", "dev", "run", "tmp")
    entries: list[tuple[str, int, bytes]] = [(d, 0o040755, b"") for d in folders]
    entries.append(("bin/busybox", 0o100755, _busybox_static(repo)))
    entries.append(("bin/dhcp.sh", 0o100755, DHCP.encode()))
    entries.append(("init", 0o100755, INIT.encode()))
    for module in MODULES:
        packed = modules / (module + ".xz")
        data = lzma.decompress(packed.read_bytes()) if packed.exists() else (modules / module).read_bytes()
        entries.append((f"lib/modules/{Path(module).name}", 0o100644, data))
    (target / INITRD).write_bytes(gzip.compress(_newc(entries), compresslevel=9, mtime=0))
    shutil.copyfile(kernel, target / KERNEL)
    stamp.write_text(f"{version} {recipe}")
    return target / KERNEL, target / INITRD
