#!/usr/bin/env bash
# Installs fueltui into its own virtual environment and links `fueltui` onto PATH.
#
#   as root   venv /opt/fueltui/venv, link /usr/local/bin/fueltui, the Debian packages below
#             via apt-get, and where systemd runs: fueltui-master.service, enabled and started
#   as a user venv ${XDG_DATA_HOME:-~/.local/share}/fueltui/venv, link ~/.local/bin/fueltui
#
# The install is editable (pip install -e), so the venv runs this checkout; `--dev` adds the
# test tools. Run it again after a pull: it only does what is missing.
# Overrides: FUELTUI_VENV, FUELTUI_BIN_DIR, FUELTUI_PYTHON (default python3),
# FUELTUI_SYSTEMD=0 (never install the unit).
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD

# What the lab, the master's DHCP, the node images and their tests run on this machine.
# One list, so an engineer who needs a tool adds it here.
DEBIAN_PACKAGES="openssh-server openssh-client dnsmasq-base busybox iproute2 iputils-ping tmux
    python3-venv mmdebstrap apt-utils gnupg debian-archive-keyring ca-certificates zstd cpio
    ipxe qemu-system-x86 qemu-utils ethtool fdisk ovmf"

say() { printf 'install.sh: %s\n' "$*"; }
die() {
    printf 'install.sh: %s\n' "$*" >&2
    exit 1
}

dev=0
for arg in "$@"; do
    case $arg in
    --dev) dev=1 ;;
    -h | --help)
        sed -n '2,11s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *) die "unknown option '$arg' (usage: bash scripts/install.sh [--dev])" ;;
    esac
done

root=0
[ "$(id -u)" = 0 ] && root=1
if [ $root = 1 ]; then
    venv=${FUELTUI_VENV:-/opt/fueltui/venv}
    bin_dir=${FUELTUI_BIN_DIR:-/usr/local/bin}
else
    [ -n "${HOME:-}" ] || die "HOME is not set: cannot choose where to install"
    venv=${FUELTUI_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/fueltui/venv}
    bin_dir=${FUELTUI_BIN_DIR:-$HOME/.local/bin}
fi

install_debs() {
    command -v apt-get >/dev/null || {
        say "no apt-get here: install by hand what the lab needs: $(echo $DEBIAN_PACKAGES)"
        return 0
    }
    local installed missing="" p
    # One dpkg-query for the whole list keeps a second run quick; unknown names only go to stderr.
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' $DEBIAN_PACKAGES 2>/dev/null |
        awk '$2 == "installed" {print $1}' || true)
    for p in $DEBIAN_PACKAGES; do
        grep -qx "$p" <<<"$installed" || missing="$missing $p"
    done
    [ -n "$missing" ] || return 0
    say "Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Recommends would pull a desktop (qemu's GUI) onto a deployment master.
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# A venv whose python no longer runs (the system python3 was upgraded away) is made again.
venv_works() { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pip' 2>/dev/null; }

make_venv() {
    local py=${FUELTUI_PYTHON:-python3}
    command -v "$py" >/dev/null || die "no $py on PATH: install Python 3.11 or newer (Debian: apt-get install python3)"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "$py is $("$py" -V 2>&1); fueltui needs Python 3.11 or newer"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    say "virtual environment $venv"
    if "$py" -m venv "$venv" >/dev/null 2>&1; then
        return 0
    fi
    # Debian and Ubuntu ship venv's pip in python3-venv; without it a user can still make a
    # venv with no pip and fetch pip itself from PyPI.
    rm -rf "$venv"
    "$py" -m venv --without-pip "$venv" >/dev/null 2>&1 ||
        die "$py cannot make a virtual environment: as root run 'apt-get install python3-venv'"
    say "no ensurepip ($py without python3-venv): bootstrapping pip from PyPI"
    if ! "$venv/bin/python" - <<'EOF'; then
# The newest pip wheel from PyPI's JSON simple index (PEP 691), checked against its sha256,
# then run from the wheel itself to install itself: pip's documented bootstrap.
import hashlib, json, re, subprocess, sys, tempfile, urllib.request

def get(url: str, accept: str = "*/*") -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()

index = json.loads(get("https://pypi.org/simple/pip/", "application/vnd.pypi.simple.v1+json"))
wheels = []
for f in index["files"]:
    m = re.fullmatch(r"pip-(\d+(?:\.\d+)*)-py3-none-any\.whl", f["filename"])
    if m and not f.get("yanked"):
        wheels.append((tuple(int(x) for x in m.group(1).split(".")), f))
_, best = max(wheels, key=lambda w: w[0])
data = get(best["url"])
if hashlib.sha256(data).hexdigest() != best["hashes"]["sha256"]:
    sys.exit(f"{best['filename']}: sha256 mismatch")
with tempfile.TemporaryDirectory() as tmp:
    wheel = f"{tmp}/{best['filename']}"
    with open(wheel, "wb") as out:
        out.write(data)
    subprocess.run([sys.executable, f"{wheel}/pip", "install", "-q", "--no-index", wheel], check=True)
EOF
        rm -rf "$venv"
        die "could not fetch pip from PyPI: ask root to run 'apt-get install python3-venv', then run this again"
    fi
}

if [ $root = 1 ]; then
    owner=$(stat -c %U "$checkout")
    # The install is editable: root's venv, its master and the lab run this tree's code.
    [ "$owner" = root ] || say "warning: $checkout belongs to $owner, who can change what root runs from it"
    install_debs
fi
venv_works || make_venv

# pip runs again only when the checkout, --dev or the declared dependencies changed: a
# second run stays quick and offline.
stamp="$venv/.fueltui-install"
want="$checkout $dev $(cksum <pyproject.toml)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! "$venv/bin/python" -c 'import fueltui' 2>/dev/null; then
    extra=""
    [ $dev = 1 ] && extra="[dev]"
    say "pip install -e .$extra"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$checkout$extra"
    printf '%s\n' "$want" >"$stamp"
fi

mkdir -p "$bin_dir"
ln -sfn "$venv/bin/fueltui" "$bin_dir/fueltui"
say "fueltui -> $bin_dir/fueltui"
case ":$PATH:" in
*":$bin_dir:"*) ;;
*)
    if [ "$bin_dir" = "${HOME:-}/.local/bin" ] && grep -qs '\.local/bin' "$HOME/.profile"; then
        say "$bin_dir is not on this shell's PATH yet: your ~/.profile adds it at your next login"
    else
        say "$bin_dir is not on your PATH: add it (echo 'export PATH=\"$bin_dir:\$PATH\"' >>~/.profile)"
    fi
    ;;
esac

# The master as a service that survives a reboot, where systemd is PID 1. Elsewhere the
# first client that needs the master starts it detached (fueltui/client/autostart.py).
if [ $root = 1 ] && [ "${FUELTUI_SYSTEMD:-1}" != 0 ] && [ -d /run/systemd/system ] &&
    command -v systemctl >/dev/null; then
    unit=/etc/systemd/system/fueltui-master.service
    new=$(sed -e "s|@FUELTUI@|$venv/bin/fueltui|g" -e "s|@CHECKOUT@|$checkout|g" scripts/fueltui-master.service)
    if [ "$(cat "$unit" 2>/dev/null)" != "$new" ]; then
        printf '%s\n' "$new" >"$unit.tmp"
        chmod 644 "$unit.tmp"
        mv "$unit.tmp" "$unit"
        systemctl daemon-reload
        say "systemd unit $unit"
    fi
    systemctl enable --quiet fueltui-master.service
    # Type=simple: `start` returns once the master is forked; a moment later shows whether it
    # stayed (a master started detached before the unit existed holds the state's lock).
    if systemctl is-active --quiet fueltui-master.service; then
        :
    elif systemctl start fueltui-master.service && sleep 1 && systemctl is-active --quiet fueltui-master.service
    then
        say "fueltui-master.service enabled and running"
    else
        say "fueltui-master.service is enabled (starts at boot) but does not run now: see" \
            "'journalctl -u fueltui-master'; a detached master? 'fueltui master stop', then" \
            "'systemctl start fueltui-master'"
    fi
fi
say "done: run 'fueltui'"
