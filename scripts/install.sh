#!/usr/bin/env bash
# Installs fueltui and what it drives on this machine. `--dev` adds the test tools.
# Debian packages (sshd, dnsmasq, busybox's udhcpc, iproute2) are needed by the lab and
# the master's DHCP; they are installed when we are root and apt-get is there.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
debs="openssh-server openssh-client dnsmasq-base busybox iproute2 iputils-ping tmux"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    missing=""
    for p in $debs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
fi
python3 -m pip install -q --disable-pip-version-check -e ".$extra"
