"""The Settings page's scripts run for real in the release's OS image: a throw-away overlay of
the Debian 13 image (the namespace lab's root) in mount, PID and network namespaces of its own,
packages from the master's mirror. Horizon's public TLS: Apache with the rendered site and pair
answers HTTPS (the certificate checked by curl against the shipped one), port 80 redirects, a
second run changes nothing, TLS off goes back to plain HTTP. The remote syslog: rsyslog
forwards a message to a UDP listener, and stops when the target is cleared. A stand-in WSGI
application answers for Horizon (the dashboard itself is the payload lab test's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_payload_render import RELEASE, configs
from test_payload_settings import _with
from test_payload_tls import tls_on

from fueltui.core.nodeconfig import render
from fueltui.mirror.paths import image_dir, image_ready, repo_dir

pytestmark = [pytest.mark.lab, pytest.mark.timeout(900)]

SETUP = r"""set -eu
mount --make-rprivate /
R=$SBX/root
mkdir -p $SBX/upper $SBX/work $R
mount -t overlay overlay -o lowerdir=$IMG,upperdir=$SBX/upper,workdir=$SBX/work $R
mount -t proc proc $R/proc
mount -t tmpfs -o mode=0755 dev $R/dev
for d in null zero random urandom tty; do : > $R/dev/$d; mount --bind /dev/$d $R/dev/$d; done
mkdir -p $R/run $R/mnt/repo $R/mnt/sbx
mount -t tmpfs tmpfs $R/run
mount --bind -o ro $REPO $R/mnt/repo
mount --bind $SBX/files $R/mnt/sbx
ip link set lo up
ip addr add $VIP/32 dev lo
exec chroot $R /bin/sh -e /mnt/sbx/steps.sh
"""

APT = r"""export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive
mkdir -p /etc/apt/keyrings /run/lock
cp /mnt/repo/fueltui-mirror.asc /etc/apt/keyrings/
printf 'Types: deb\nURIs: file:/mnt/repo\nSuites: trixie\nComponents: main\nSigned-By: %s\n' \
  /etc/apt/keyrings/fueltui-mirror.asc > /etc/apt/sources.list.d/fueltui.sources
rm -f /etc/apt/sources.list
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
apt-get -q update >/dev/null
"""

# Debian's own Horizon site (openstack-dashboard-apache's) and a stand-in for Horizon's WSGI app.
HORIZON_STANDIN = r"""apt-get -q -y --no-install-recommends install apache2 libapache2-mod-wsgi-py3 curl \
  >/dev/null
rm -f /usr/sbin/policy-rc.d
mkdir -p /usr/share/openstack-dashboard /var/lib/openstack-dashboard/static
cat > /usr/share/openstack-dashboard/wsgi.py <<'PY'
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("login over " + environ["wsgi.url_scheme"]).encode()]
PY
cat > /etc/apache2/sites-available/openstack-dashboard.conf <<'CONF'
<VirtualHost *:80>
    WSGIScriptAlias / /usr/share/openstack-dashboard/wsgi.py
    WSGIDaemonProcess horizon user=www-data group=www-data
    <Directory /usr/share/openstack-dashboard>
        Require all granted
    </Directory>
</VirtualHost>
CONF
a2ensite -q openstack-dashboard
"""


@pytest.fixture
def image() -> tuple[Path, Path]:
    if os.geteuid() != 0:
        pytest.skip("needs root (namespaces, an overlay mount)")
    assert RELEASE.os is not None
    if not image_ready(RELEASE.os.name):
        sync()
    return image_dir(RELEASE.os.name), repo_dir(RELEASE.os.name)


def sync() -> None:
    """The mirror as the release wants it (as the payload lab tests do when it is missing)."""
    subprocess.run([sys.executable, "-m", "fueltui", "mirror", "sync"], check=True, timeout=1800)


def run_in_image(
    tmp_path: Path, image: tuple[Path, Path], vip: str, steps: str, files: dict[str, str]
) -> str:
    sbx = tmp_path / "sbx"
    (sbx / "files").mkdir(parents=True)
    (sbx / "files" / "steps.sh").write_text(steps)
    for name, text in files.items():
        (sbx / "files" / name).write_text(text)
    env = {**os.environ, "SBX": str(sbx), "IMG": str(image[0]), "REPO": str(image[1]), "VIP": vip}
    proc = subprocess.run(
        ["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "sh", "-c", SETUP],
        env=env, capture_output=True, text=True, timeout=800, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_horizon_serves_https_with_the_shipped_pair_and_port_80_redirects(
    tmp_path: Path, image: tuple[Path, Path]
) -> None:
    cfgs, data, _ = configs()
    on = tls_on(cfgs)
    vip = data.public_vip
    steps = (
        APT
        + HORIZON_STANDIN
        + f"""
echo '== first'; sh -e /mnt/sbx/tls.sh
echo '== again'; sh -e /mnt/sbx/tls.sh
echo '== client'; curl -s --cacert /mnt/sbx/ca.pem https://{vip}/auth/login/; echo
curl -s -o /dev/null -w 'port 80: %{{http_code}} %{{redirect_url}}\\n' http://{vip}/auth/login/
echo '== off'; sh -e /mnt/sbx/off.sh
curl -s http://{vip}/auth/login/; echo
curl -s -k -o /dev/null https://{vip}/ && echo 'https still on' || echo 'https gone'
/etc/init.d/apache2 stop >/dev/null 2>&1 || true
"""
    )
    tls = on["ctrl-1"].payload.tls  # type: ignore[union-attr]
    assert tls is not None
    out = run_in_image(tmp_path, image, vip, steps, {
        "tls.sh": render("payload:horizon", on["ctrl-1"]),
        "off.sh": render("payload:horizon", cfgs["ctrl-1"]),
        "ca.pem": tls.cert,
    })  # fmt: skip
    first, rest = out.split("== again", 1)
    again, rest = rest.split("== client", 1)
    client, off = rest.split("== off", 1)
    assert "changed /etc/fueltui/tls/horizon.key" in first and "apache2: started" in first
    assert f"Horizon on HTTPS: https://{vip}/auth/login/ (certificate checked)" in first
    assert "changed" not in again and "apache2 running" in again  # nothing changed: no restart
    assert "login over https" in client
    assert f"port 80: 301 https://{vip}/auth/login/" in client
    assert "public TLS off: Horizon back on plain HTTP" in off and "apache2: restarted" in off
    assert "login over http" in off and "https gone" in off


def test_rsyslog_forwards_to_the_target_and_stops_when_it_is_cleared(
    tmp_path: Path, image: tuple[Path, Path]
) -> None:
    if not list((image[1] / "pool").glob("*/rsyslog_*.deb")):
        sync()  # a mirror synced before the release listed rsyslog
    cfgs, data, _ = configs()
    on = _with(cfgs, syslog="127.0.0.1:5514")
    # Every datagram until the test's own (rsyslog's own start message may come first).
    listener = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 5514)); s.settimeout(8)\n"
        "while True:\n"
        "    got = s.recv(4096).decode(errors='replace')\n"
        "    print('received:', got, flush=True)\n"
        "    if 'fueltui-test' in got: break\n"
    )
    steps = (
        APT
        + """
echo '== on'; sh -e /mnt/sbx/on.sh
echo '== again'; sh -e /mnt/sbx/on.sh
grep -c '^#module(load="imklog")' /etc/rsyslog.conf
python3 /mnt/sbx/listen.py > /run/got.txt 2>&1 & sleep 1
logger -t fueltui-test 'hello from a lab node'
wait; cat /run/got.txt
echo '== off'; sh -e /mnt/sbx/off.sh
ls /etc/rsyslog.d/
python3 /mnt/sbx/listen.py > /run/got.txt 2>&1 & sleep 1
logger -t fueltui-test 'not forwarded'
wait; cat /run/got.txt
kill "$(cat /run/rsyslogd.pid)" 2>/dev/null || true
"""
    )
    out = run_in_image(tmp_path, image, data.public_vip, steps, {
        "on.sh": render("payload:syslog", on["comp-1"]),
        "off.sh": render("payload:syslog", cfgs["comp-1"]),
        "listen.py": listener,
    })  # fmt: skip
    first, rest = out.split("== again", 1)
    again, off = rest.split("== off", 1)
    assert "installing: rsyslog" in first and "rsyslog: (re)started" in first
    assert "rsyslog: kernel log off (this node shares the host kernel)" in first
    assert "changed" not in again and "rsyslog running" in again
    assert "received:" in again and "fueltui-test: hello from a lab node" in again
    assert "syslog: remote target removed" in off and "rsyslog: restarted" in off
    assert "90-fueltui-remote.conf" not in off and "timed out" in off
    assert "not forwarded" not in off  # the listener heard nothing of the test's once cleared
