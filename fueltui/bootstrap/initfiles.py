"""The files that make the initramfs a discovery node: PID 1, busybox init's table, the
start-up script, the DHCP client's hook and the identity files.

The order matters in one place: the SSH server must listen before any NIC asks for a lease,
because the master starts discovering a node the moment its DHCP server acknowledges it."""

from __future__ import annotations

INIT = r"""#!/bin/sh
# PID 1: the kernel's file systems, then busybox init (it reaps orphans and respawns sshd).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/log /var/run /mnt
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
exec /sbin/init
"""

INITTAB = """\
::sysinit:/etc/fueltui/rc
::once:/etc/fueltui/dhcp
::respawn:/usr/sbin/dropbear -F -E -s -g -j -k -p 22 -r /etc/dropbear/dropbear_ed25519_host_key
::ctrlaltdel:/sbin/reboot -f
::shutdown:/bin/sync
"""

RC = r"""#!/bin/sh
# Drivers for the hardware that is there, found by modalias as udev would (virtio devices
# show up only once virtio_pci is in, hence the second round).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
modprobe -a -q $(cat /sys/bus/pci/devices/*/modalias 2>/dev/null) 2>/dev/null
modprobe -a -q $(cat /sys/bus/virtio/devices/*/modalias 2>/dev/null) 2>/dev/null
hostname bootstrap
ip link set lo up
# One host key per boot, made before sshd starts: with dropbear's own -R two first
# connections racing could each make (and show) a different key.
mkdir -p /etc/dropbear
dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key >/dev/null 2>&1
echo "fueltui bootstrap: drivers loaded"
"""

DHCP = r"""#!/bin/sh
# DHCP on every hardware NIC that has link, once sshd listens (see the module docstring).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
i=0
while ! grep -Eq ':0016 [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
  i=$((i + 1))
  [ "$i" -gt 600 ] && break
  sleep 0.1
done
for dev in /sys/class/net/*; do
  [ -e "$dev/device" ] && ip link set "${dev##*/}" up
done
started=" "
t=0
while [ "$t" -lt 100 ]; do
  pending=0
  for dev in /sys/class/net/*; do
    n=${dev##*/}
    [ -e "$dev/device" ] || continue
    case "$started" in *" $n "*) continue ;; esac
    if [ "$(cat "$dev/carrier" 2>/dev/null)" = 1 ]; then
      udhcpc -i "$n" -s /etc/fueltui/udhcpc -b -t 5 -T 2 -A 5 >/dev/null 2>&1 &  # NICs in parallel
      started="$started$n "
    else
      pending=1
    fi
  done
  [ "$pending" = 0 ] && break  # NICs without link are left alone after 10 s
  t=$((t + 1))
  sleep 0.1
done
echo "fueltui bootstrap: DHCP started on:$started"
# What provisioning and VLAN checks need, off the path to the first lease.
modprobe -a -q $(cat /etc/fueltui/modules.later) 2>/dev/null
modprobe -a -q $(cat /sys/bus/scsi/devices/*/modalias 2>/dev/null) 2>/dev/null
echo "fueltui bootstrap: all modules loaded"
"""

UDHCPC = r"""#!/bin/sh
# udhcpc's hook: `replace` keeps the address (and open SSH sessions) across renewals.
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr replace "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then
      ip route replace default via "${router%% *}" dev "$interface"
    fi
    if [ -n "$dns" ]; then
      : > /etc/resolv.conf
      for s in $dns; do echo "nameserver $s" >> /etc/resolv.conf; done
    fi
    ;;
esac
exit 0
"""

PASSWD = "root:x:0:0:root:/root:/bin/sh\n"
# `*`: no password can ever match; the only way in is the master's key.
SHADOW = "root:*:19000:0:99999:7:::\n"
GROUP = "root:x:0:\ntty:x:5:\n"
SHELLS = "/bin/sh\n"
NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"


def os_release(suite: str) -> str:
    return (
        f'PRETTY_NAME="fueltui bootstrap (Debian {suite})"\n'
        'NAME="fueltui bootstrap"\n'
        "ID=fueltui-bootstrap\n"
        "ID_LIKE=debian\n"
        f"VERSION_CODENAME={suite}\n"
    )
