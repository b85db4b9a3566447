"""The shell script that gathers a node's facts in one SSH round trip.

It runs as `sh -c SCRIPT sh BOUNDARY`. Each section starts on a line "BOUNDARY name";
the boundary is random per call, so nothing a node prints (a hostile hostname with
newlines, say) can forge a section. Values are only ever printed with `printf %s` or
`cat`: nothing read from the node is evaluated, there or on the master.

The sections are collected in the shell and printed with one `printf`: written by a dozen
processes, they left the node as ~23 SSH packets, and each cost the master a decrypt and a
round of asyncssh's Python (~0.7 of 2.4 ms of master CPU a node, measured at 100 nodes).

Disks are named by path as udev does when the node runs udev (an installed OS); the bootstrap
has no udev, so the same `pci-<address>` name is read from sysfs there.
"""

from __future__ import annotations

FACTS_SCRIPT = r"""
B=$1
sec() { printf '\n%s %s\n' "$B" "$1"; }
facts() {
sec hostname; cat /proc/sys/kernel/hostname 2>/dev/null
sec os; cat /etc/os-release 2>/dev/null
sec cpuinfo; grep -E '^(processor|model name)[[:space:]]*:' /proc/cpuinfo 2>/dev/null
sec meminfo; grep '^MemTotal:' /proc/meminfo 2>/dev/null
sec links; ip -j -d addr show 2>/dev/null
sec nicinfo
for d in /sys/class/net/*; do
  [ -e "$d" ] || continue
  drv=$(readlink "$d/device/driver" 2>/dev/null) || drv=
  printf '%s\t%s\t%s\n' "${d##*/}" "$(cat "$d/speed" 2>/dev/null)" "${drv##*/}"
done
sec disks; lsblk -J -b -d -o NAME,SIZE,MODEL,ROTA,TYPE 2>/dev/null
sec diskpaths
for l in /dev/disk/by-path/*; do
  [ -L "$l" ] || continue
  t=$(readlink "$l") && printf '%s\t%s\n' "${t##*/}" "${l##*/}"
done
for b in /sys/block/*; do
  p=$(readlink -f "$b/device" 2>/dev/null) || continue
  pci=$(printf '%s\n' "$p" | tr / '\n' | grep -E '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' | tail -n 1)
  [ -n "$pci" ] && printf '%s\tpci-%s\n' "${b##*/}" "$pci"
done
sec dmi
for f in sys_vendor product_name product_serial; do
  printf '%s=%s\n' "$f" "$(head -c 200 "/sys/class/dmi/id/$f" 2>/dev/null | tr -d '\n')"
done
# Can this kernel make 802.1Q devices? Loaded, or a module (or built in) it can load.
sec vlan
if [ -d /proc/net/vlan ]; then echo loaded
elif grep -qs '/8021q\.ko' "/lib/modules/$(uname -r)/modules.builtin" "/lib/modules/$(uname -r)/modules.dep"
then echo module
else echo none
fi
# Can it make bonds? The bonding driver loaded, or a module it can load (the lab's
# namespaces share a kernel without one).
sec bond
if [ -e /sys/class/net/bonding_masters ] || [ -d /proc/net/bonding ]; then echo loaded
elif grep -qs '/bonding\.ko' "/lib/modules/$(uname -r)/modules.builtin" "/lib/modules/$(uname -r)/modules.dep"
then echo module
else echo none
fi
sec end
}
out=$(facts)
printf '%s\n' "$out"
exit 0
"""
