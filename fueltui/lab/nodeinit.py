"""What runs as PID 1 of a lab node: the node's private root, hostname, DHCP and sshd.

It is started as `ip netns exec <ns> unshare --uts --mount --pid --fork --kill-child
sh -c NODE_INIT sh <node dir> <hostname> <authorized key file> <lower dir>`. The root is an
overlay whose lower layer is the release's OS image (`fueltui lab up --os`; the host's `/`
by default, for the fast tests) and whose upper layer is a tmpfs private to the node's
mount namespace, so whatever a deploy writes stays on that node and is gone with it.
Later commands reach the node over SSH only (the lab's own tools use nsenter).
"""

from __future__ import annotations

SSHD_CONFIG = """\
Port 22
ListenAddress 0.0.0.0
HostKey /etc/fueltui-node/ssh_host_ed25519_key
AuthorizedKeysFile /etc/fueltui-node/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile /run/sshd.pid
MaxSessions 32
MaxStartups 100:30:200
UseDNS no
PrintMotd no
LogLevel ERROR
Subsystem sftp internal-sftp
"""

UDHCPC_SCRIPT = """\
#!/bin/sh
# busybox udhcpc hook: keep eth0's address in step with the lease.
case "$1" in
  deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
  bound) ip -4 addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface" ;;
  renew) ip addr replace "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
"""

NODE_INIT = r"""
set -eu
D=$1 H=$2 K=$3 L=${4:-/}
mount -t tmpfs -o size=8g,mode=0755 fueltui-node "$D"
mkdir -p "$D/upper" "$D/work" "$D/root"
mount -t overlay overlay -o "lowerdir=$L,upperdir=$D/upper,workdir=$D/work" "$D/root"
R=$D/root
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
# A /dev of the node's own: the few character devices a server needs and private ptys —
# never the host's disks, whatever a deploy writes to /dev.
mount -t tmpfs -o mode=0755,size=64k dev "$R/dev"
for dev in null zero full random urandom tty; do
  : > "$R/dev/$dev"
  mount --bind "/dev/$dev" "$R/dev/$dev"
done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
mount -t tmpfs -o mode=1777 shm "$R/dev/shm"
# Open vSwitch's userspace datapath and QEMU's taps need the tun device.
if [ -c /dev/net/tun ]; then
  mkdir -p "$R/dev/net"
  : > "$R/dev/net/tun"
  mount --bind /dev/net/tun "$R/dev/net/tun"
fi
mount -t tmpfs -o mode=0755 run "$R/run"
mkdir -p "$R/run/lock"
chmod 1777 "$R/run/lock"
mount -t tmpfs -o mode=1777 tmp "$R/tmp"
# The host's secrets stay on the host: whiteouts in the node's upper layer hide them (the
# host's files are untouched). /run, where the lab keeps its masters' keys, is a fresh tmpfs.
rm -rf "$R/etc/ssh/ssh_host_"* "$R/root/.ssh" "$R/root/.local/state/fueltui" "$R/var/lib/fueltui" \
    "$R/home"
# No password hashes on a node (sshd needs the accounts, not their passwords): '*' matches none.
sed -E 's/^([^:]*):[^:]*:/\1:*:/' "$L/etc/shadow" > "$R/etc/shadow.fueltui"
mv "$R/etc/shadow.fueltui" "$R/etc/shadow"
chmod 0640 "$R/etc/shadow"
mkdir -p "$R/etc/fueltui-node" "$R/run/sshd"
chmod 0755 "$R/etc/fueltui-node"
install -m 0600 "$K" "$R/etc/fueltui-node/authorized_keys"
rm -f "$R/etc/fueltui-node/ssh_host_ed25519_key" "$R/etc/fueltui-node/ssh_host_ed25519_key.pub"
ssh-keygen -q -t ed25519 -N '' -C "$H" -f "$R/etc/fueltui-node/ssh_host_ed25519_key"
printf '%s' "$SSHD_CONFIG" > "$R/etc/fueltui-node/sshd_config"
printf '%s' "$UDHCPC_SCRIPT" > "$R/etc/fueltui-node/udhcpc.sh"
chmod 0755 "$R/etc/fueltui-node/udhcpc.sh"
printf '%s\n' "$H" > "$R/etc/hostname"
# A bootstrap image's root has no shell start-up files; the host's (pyenv, cargo...) would
# run on every SSH command and make the lab slower than real nodes.
for f in .bashrc .profile .bash_profile .bash_login; do
  if [ -e "$R/root/$f" ]; then : > "$R/root/$f"; fi
done
printf '%s' "$H" > /proc/sys/kernel/hostname
mkdir -p "$R/.oldroot"
cd "$R"
pivot_root . .oldroot
cd /
umount -l /.oldroot
rmdir /.oldroot
ip link set lo up
busybox udhcpc -i eth0 -f -t 5 -T 1 -A 2 -p /run/udhcpc.eth0.pid -x "hostname:$H" \
    -s /etc/fueltui-node/udhcpc.sh >/dev/null 2>&1 &
/usr/sbin/sshd -f /etc/fueltui-node/sshd_config
: > /run/fueltui-node-ready
echo "node $H ready"
# PID 1 of the node: adopt and reap orphans until the lab kills the namespace.
trap 'exit 0' TERM INT
while :; do
  sleep 3600 &
  wait
done
"""
