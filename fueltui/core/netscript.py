"""The node's network script: converge the node's addresses, VLAN devices and default route
on what the configuration says, and (`--check`) report how the node differs from it.

Converging means removing too: the script keeps what it applied in `APPLIED` on the node,
and on the next run removes what that run applied and the new configuration no longer has
(an address moved to another NIC, a network taken off a node, a VLAN device no longer
used), plus any copy of a wanted address on another device. Never removed: the admin
address and the address the current SSH session came in on (`$SSH_CONNECTION`) — that
is how the master reaches the node.

The wanted state is one data block (`kind a b c` lines) quoted as a whole; the script reads
it with `read` and uses every value quoted, globbing off, so nothing in it is evaluated.
`--check` exits 0 only when the node matches; the deploy engine runs it before skipping
the task on resume (see `fueltui.core.graph`: the `check` parameter).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

APPLIED = "/etc/fueltui/network.applied"


@dataclass
class WantedNetwork:
    """What a node's network must be. `addresses`: (ip/prefix, device, network name);
    `vlans`: (device, parent NIC, VLAN id); `routes`: (gateway, device) default routes;
    `bonds`: (bond, slaves, [(option, value)] with the mode first); `mtus`: (device, MTU)."""

    nics: Sequence[str]
    admin_ip: str | None = None
    addresses: list[tuple[str, str, str]] = field(default_factory=list)
    vlans: list[tuple[str, str, int]] = field(default_factory=list)
    routes: list[tuple[str, str]] = field(default_factory=list)
    bonds: list[tuple[str, list[str], list[tuple[str, str]]]] = field(default_factory=list)
    mtus: list[tuple[str, int]] = field(default_factory=list)

    def data(self) -> str:
        # Bonds first (VLAN devices and addresses sit on them), then MTUs (a bond's reaches
        # its slaves only once they are enslaved).
        lines = [
            f"bond {name} {','.join(slaves)} {','.join(f'{k}={v}' for k, v in options)}"
            for name, slaves, options in self.bonds
        ]
        lines += [f"mtu {device} {mtu}" for device, mtu in self.mtus]
        lines += [f"link {device} {nic} {vlan}" for device, nic, vlan in self.vlans]
        lines += [f"addr {address} {device} {network}" for address, device, network in self.addresses]
        lines += [f"route {gateway} {device}" for gateway, device in self.routes]
        return "\n".join(lines)


_BODY = r"""
rc=0
differs() { echo "differs: $*"; rc=1; }
failed() { echo "failed: $*" >&2; rc=1; }
# The address the master reached this node on: the third field of SSH_CONNECTION.
REACHED=
if [ -n "${SSH_CONNECTION:-}" ]; then
  set -- $SSH_CONNECTION
  REACHED=${3:-}
fi
protected() { [ -n "$1" ] && { [ "$1" = "$ADMIN" ] || [ "$1" = "$REACHED" ]; }; }
# "device ip/prefix" for every device holding the ip $1
holders() {
  ip -o addr show | awk -v ip="$1" \
    '{ split($4, a, "/"); if (a[1] == ip) { d = $2; sub(/@.*/, "", d); print d, $4 } }'
}
has_addr() { holders "${1%/*}" | grep -qxF "$2 $1"; }
# devices other than $2 holding the ip of $1, as "device ip/prefix" lines
elsewhere() { holders "${1%/*}" | awk -v d="$2" '$1 != d'; }
has_link() { ip link show dev "$1" >/dev/null 2>&1; }
# "br-ex|eth2": the first device of the list that exists (the last one otherwise) — an
# address moves onto the Open vSwitch bridge that takes its NIC as a port.
pick() {
  case $1 in *"|"*) ;; *) echo "$1"; return ;; esac
  rest=$1
  while :; do
    d=${rest%%|*}
    if [ "$d" = "$rest" ] || has_link "$d"; then echo "$d"; return; fi
    rest=${rest#*|}
  done
}
is_up() { ip link show dev "$1" 2>/dev/null | head -n 1 | grep -q '[<,]UP[,>]'; }
has_route() {
  ip route show default 2>/dev/null | awk -v g="$1" -v d="$2" '
    { v = ""; dv = ""
      for (i = 1; i < NF; i++) { if ($i == "via") v = $(i + 1); if ($i == "dev") dv = $(i + 1) }
      if (v == g && dv == d) found = 1 }
    END { exit !found }'
}
wanted() { printf '%s\n' "$WANTED" | grep -qxF "$1"; }
# bonds: "a,b" lists and "mode=x,miimon=y" options as words (values are fixed names and numbers)
words() { printf '%s\n' "$1" | tr ',=' '  '; }
# the value after word $2 in `ip -o link show dev $1` ("master bond0", "mtu 1500")
link_word() {
  ip -o link show dev "$1" 2>/dev/null |
    awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}
master_of() { link_word "$1" master; }
slaves_of() { ip -o link show master "$1" 2>/dev/null | awk -F': ' '{ d = $2; sub(/@.*/, "", d); print d }'; }
# the value the kernel reports for bond option $2 of $1 (`ip -d`: "... mode 802.3ad miimon 100 ...")
bond_opt() {
  ip -d -o link show dev "$1" 2>/dev/null | awk -v k="$2" \
    '{ for (i = 1; i < NF; i++) if ($i == "bond") b = 1; else if (b && $i == k) { print $(i + 1); exit } }'
}
# the options of bond $1 that differ from "$2" (k=v,...), as "k is x, wanted y" lines
bond_differs() {
  set -- "$1" $(words "$2")
  bond=$1; shift
  while [ $# -ge 2 ]; do
    have=$(bond_opt "$bond" "$1")
    [ "$have" = "$2" ] || echo "$1 is ${have:-unknown}, wanted $2"
    shift 2
  done
}
mtu_of() { link_word "$1" mtu; }
# WANTED has a line of kind $1 for device $2
in_wanted() {
  printf '%s\n' "$WANTED" | awk -v k="$1" -v d="$2" '$1 == k && $2 == d { f = 1 } END { exit !f }'
}
bond_wanted() { in_wanted bond "$1"; }
release_all() {
  for s in $(slaves_of "$1"); do ip link set dev "$s" nomaster && echo "released $s from $1"; done
}
applied() { if [ -r "$APPLIED" ]; then cat "$APPLIED"; fi; }
# a device carrying the admin address or the session's: never removed
carries_protected() {
  ip -o addr show dev "$1" 2>/dev/null | awk -v r="$REACHED" -v s="$ADMIN" \
    '{ split($4, x, "/"); if (x[1] != "" && (x[1] == r || x[1] == s)) found = 1 } END { exit !found }'
}

check() {
  for nic in $NICS; do is_up "$nic" || differs "$nic is down"; done
  while read -r kind a b c; do
    case $kind in
      bond)
        if has_link "$a"; then
          options=$(bond_differs "$a" "$c")
          [ -z "$options" ] || differs "bond $a: $(printf '%s' "$options" | tr '\n' ';')"
          for s in $(words "$b"); do
            [ "$(master_of "$s")" = "$a" ] || differs "$s is not a slave of bond $a"
          done
          for s in $(slaves_of "$a"); do
            case ",$b," in *",$s,"*) ;; *) differs "$s is a slave of $a but no longer configured" ;; esac
          done
          is_up "$a" || differs "bond $a is down"
        else
          differs "bond $a ($b) is missing"
        fi ;;
      mtu) [ "$(mtu_of "$a")" = "$b" ] || differs "$a has MTU $(mtu_of "$a"), wanted $b" ;;
      link) has_link "$a" || differs "VLAN device $a (VLAN $c on $b) is missing" ;;
      addr)
        b=$(pick "$b")
        has_addr "$a" "$b" || differs "$c: $a is missing on $b"
        for other in $(elsewhere "$a" "$b" | cut -d' ' -f1); do
          differs "$c: ${a%/*} is also on $other"
        done ;;
      route) b=$(pick "$b"); has_route "$a" "$b" || differs "no default route via $a on $b" ;;
    esac
  done <<EOF
$WANTED
EOF
  while read -r line; do
    [ -n "$line" ] || continue
    wanted "$line" && continue
    set -- $line
    case $1 in
      bond) if has_link "$2" && ! bond_wanted "$2"; then differs "bond $2 is no longer configured"; fi ;;
      mtu)
        if ! in_wanted mtu "$2" \
            && [ "$(mtu_of "$2")" != 1500 ] && has_link "$2"; then
          differs "$2 has MTU $(mtu_of "$2"), no longer configured (1500)"
        fi ;;
      link) if has_link "$2"; then differs "VLAN device $2 is no longer configured"; fi ;;
      addr)
        d=$(pick "$3")
        if has_addr "$2" "$d" && ! protected "${2%/*}"; then
          differs "$2 on $d is no longer configured"
        fi ;;
      route)
        d=$(pick "$3")
        if has_route "$2" "$d"; then differs "default route via $2 on $d is no longer configured"; fi ;;
    esac
  done <<EOF
$(applied)
EOF
  return $rc
}

apply() {
  for nic in $NICS; do ip link set dev "$nic" up || failed "cannot bring $nic up"; done
  # What the last run applied and this configuration no longer has: addresses, routes and
  # bonds first (a bond's NICs are free before their new networks arrive), VLAN devices at
  # the end (after their addresses).
  while read -r line; do
    [ -n "$line" ] || continue
    wanted "$line" && continue
    set -- $line
    case $1 in
      bond)
        if has_link "$2" && ! bond_wanted "$2" && ! carries_protected "$2"; then
          release_all "$2"
          ip link del dev "$2" && echo "removed bond $2 (no longer configured)"
          for s in $(words "$3"); do ip link set dev "$s" up || failed "cannot bring $s up"; done
        fi ;;
      addr)
        d=$(pick "$3")
        if has_addr "$2" "$d" && ! protected "${2%/*}"; then
          ip addr del "$2" dev "$d" && echo "removed $2 from $d (no longer configured)"
        fi ;;
      route)
        d=$(pick "$3")
        if has_route "$2" "$d"; then
          ip route del default via "$2" dev "$d" && echo "removed the default route via $2 on $d"
        fi ;;
    esac
  done <<EOF
$(applied)
EOF
  while read -r kind a b c; do
    case $kind in
      bond)
        # Options a live bond cannot take (its mode, with slaves): made again from scratch.
        if has_link "$a" && [ -n "$(bond_differs "$a" "$c")" ] && ! carries_protected "$a"; then
          release_all "$a"
          ip link del dev "$a" && echo "removed bond $a to change its options"
        fi
        if ! has_link "$a"; then
          ip link add name "$a" type bond $(words "$c") || failed "cannot create bond $a"
        fi
        for s in $(slaves_of "$a"); do
          case ",$b," in *",$s,"*) ;; *) ip link set dev "$s" nomaster && echo "released $s from $a" ;; esac
        done
        for s in $(words "$b"); do
          [ "$(master_of "$s")" = "$a" ] && continue
          # a slave is enslaved down, and brings no addresses of its own
          ip link set dev "$s" down && ip link set dev "$s" master "$a" || failed "cannot enslave $s to $a"
          ip link set dev "$s" up
        done
        if ip link set dev "$a" up; then echo "bond $a: $b ($c)"; else failed "cannot bring bond $a up"; fi ;;
      mtu) ip link set dev "$a" mtu "$b" || failed "cannot set MTU $b on $a" ;;
      link)
        if ! has_link "$a"; then
          ip link add link "$b" name "$a" type vlan id "$c" || failed "cannot create VLAN device $a"
        fi
        ip link set dev "$a" up 2>/dev/null || failed "cannot bring $a up" ;;
      addr)
        b=$(pick "$b")
        if ! protected "${a%/*}"; then
          elsewhere "$a" "$b" | while read -r other held; do
            ip addr del "$held" dev "$other" && echo "removed ${a%/*} from $other (it belongs on $b)"
          done
        fi
        if ip addr replace "$a" dev "$b"; then echo "$c: $a on $b"; else failed "cannot put $a on $b"; fi ;;
      route)
        b=$(pick "$b")
        if ip route replace default via "$a" dev "$b"; then
          echo "default route via $a on $b"
        else
          failed "cannot set the default route via $a on $b"
        fi ;;
    esac
  done <<EOF
$WANTED
EOF
  while read -r line; do
    [ -n "$line" ] || continue
    wanted "$line" && continue
    set -- $line
    if [ "$1" = link ] && has_link "$2" && ! carries_protected "$2"; then
      ip link del dev "$2" && echo "removed VLAN device $2 (no longer configured)"
    fi
    if [ "$1" = mtu ] && has_link "$2" \
        && ! in_wanted mtu "$2"; then
      ip link set dev "$2" mtu 1500 && echo "MTU of $2 back to 1500 (no longer configured)"
    fi
  done <<EOF
$(applied)
EOF
  mkdir -p "$(dirname "$APPLIED")"
  printf '%s\n' "$WANTED" > "$APPLIED.tmp" && mv -f "$APPLIED.tmp" "$APPLIED"
  [ $rc -eq 0 ] || return $rc
  check  # converged means the check passes now
}

case "$MODE" in
  --check) check ;;
  apply) apply ;;
  *) echo "usage: network.sh [--check]" >&2; rc=2 ;;
esac
"""


def render(wanted: WantedNetwork, comment: str) -> str:
    """The script for one node; `comment` is its name, already safe inside a comment."""
    q = shlex.quote
    head = [
        "#!/bin/sh",
        f"# {comment}: network set-up by fueltui (converges; `--check` only reports differences)",
        "set +e -f",  # no option from the caller's command line counts; values are never globbed
        'MODE="${1:-apply}"',
        f"APPLIED={q(APPLIED)}",
        f"ADMIN={q(wanted.admin_ip or '')}",
        f"NICS={q(' '.join(wanted.nics))}",
        f"WANTED={q(wanted.data())}",
    ]
    return "\n".join(head) + _BODY + "exit $rc\n"
