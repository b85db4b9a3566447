"""A throw-away stock Debian root to install fueltui into, the way an operator's machine is.

The base (Debian 12 minbase + python3, nothing else) is built with mmdebstrap from the Debian
archive apt on this machine uses, and cached under /var/cache/fueltui-test/ by date, so only
the first run of a day pays for it. Each test unpacks its own copy.

Commands run chrooted inside their own mount and pid namespaces: /proc, a private /dev and a
read-only /sys are mounted there and vanish with the namespace, and every process the
install starts dies with it — the host's mount table, files and processes are never touched.
The root shares the host's network: apt and pip download as they would on a real machine.
"""

from __future__ import annotations

import datetime
import fcntl
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CACHE = Path("/var/cache/fueltui-test")
# Debian 12 by default; FUELTUI_TEST_DEBIAN=trixie tries Debian 13 the same way.
SUITE = os.environ.get("FUELTUI_TEST_DEBIAN", "bookworm")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
TEST_UID = 4242
# Downloads kept between runs: the same .debs and wheels, fetched once.
APT_ARCHIVES = CACHE / "apt-archives"
PIP_CACHES = {"root": CACHE / "pip-root", "user": CACHE / "pip-user"}
# This machine may reach the internet through a TLS-inspecting proxy whose CA only its own
# bundle holds; the chroot gets that bundle, as an operator's machine has its own.
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CA_IN_ROOT = "/usr/local/share/fueltui-test-ca.pem"

_ENTER = r"""
set -eu
r=$1
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=755,nosuid dev "$r/dev"
for d in null zero full random urandom tty; do
    touch "$r/dev/$d"
    mount --bind "/dev/$d" "$r/dev/$d"
done
mkdir "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts"
ln -s pts/ptmx "$r/dev/ptmx"
mount -t tmpfs -o nosuid,nodev shm "$r/dev/shm"
mount --rbind /sys "$r/sys"
mount -o remount,bind,ro "$r/sys"
mkdir -p "$r/var/cache/apt/archives"
mount --bind "$2" "$r/var/cache/apt/archives"
mkdir -p "$r/var/cache/fueltui-pip"
mount --bind "$3" "$r/var/cache/fueltui-pip"
shift 3
# Not exec'd: this shell stays PID 1, outside the root, so tools inside see a chroot (systemctl
# then works offline instead of calling a systemd that is not there).
chroot "$r" "$@"
exit $?
"""


def debian_mirror() -> str:
    """The Debian archive (not -security) apt on this machine is configured with."""
    sources = Path("/etc/apt")
    texts = [p.read_text() for p in sorted(sources.glob("sources.list.d/*.sources"))]
    uris = [u for t in texts for line in t.splitlines() if line.startswith("URIs:") for u in line.split()[1:]]
    lists = [sources / "sources.list", *sorted(sources.glob("sources.list.d/*.list"))]
    for path in lists:
        if path.exists():
            uris += re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", path.read_text(), re.MULTILINE)
    return next((u.rstrip("/") for u in uris if u.rstrip("/").endswith("/debian")), DEFAULT_MIRROR)


def base_tarball() -> Path:
    """Today's stock root as a tar, built once a day (concurrent runs wait for one build)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{SUITE}-minbase-python3-{datetime.date.today():%Y%m%d}.tar"
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            part = path.with_suffix(".part")
            result = subprocess.run(
                ["mmdebstrap", "--mode=root", "--variant=minbase", "--include=python3", "--format=tar",
                 "--quiet", SUITE, str(part), debian_mirror()],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1200, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                part.unlink(missing_ok=True)
                raise RuntimeError(f"mmdebstrap failed:\n{result.stdout}\n{result.stderr}")
            part.rename(path)
            for old in CACHE.glob(f"{SUITE}-minbase-python3-*.tar"):
                if old != path:
                    old.unlink()
    return path


@dataclass
class Run:
    returncode: int
    output: str
    seconds: float


@dataclass
class DebianRoot:
    path: Path

    @classmethod
    def unpack(cls, where: Path) -> DebianRoot:
        where.mkdir(parents=True)
        subprocess.run(["tar", "-xpf", str(base_tarball()), "-C", str(where), "--numeric-owner"], check=True)
        # Packages installed in here must not start daemons (sshd, dnsmasq): Debian's way.
        policy = where / "usr/sbin/policy-rc.d"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        shutil.copyfile("/etc/resolv.conf", where / "etc/resolv.conf", follow_symlinks=True)
        shutil.copyfile(HOST_CA_BUNDLE, where / CA_IN_ROOT.lstrip("/"))
        for cache in (APT_ARCHIVES / "partial", *PIP_CACHES.values()):
            cache.mkdir(parents=True, exist_ok=True)
        os.chown(PIP_CACHES["user"], TEST_UID, TEST_UID)
        return cls(where)

    def copy_checkout(self, checkout: Path, dest: str, owner: int = 0) -> None:
        """The working tree as a clean clone would have it (tracked and new files, no ignored ones)."""
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard", "-z"],
            cwd=checkout,
            capture_output=True,
            check=True,
        ).stdout.decode()
        target = self.path / dest.lstrip("/")
        for name in filter(None, listed.split("\0")):
            source = checkout / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)
        for here, _dirs, files in os.walk(target):
            for name in [here, *(os.path.join(here, f) for f in files)]:
                os.chown(name, owner, owner)

    def run(self, script: str, *, user: bool = False, timeout: float = 900) -> Run:
        """`script` in a login shell of root, or of the test user: a clean environment, as after
        logging in, plus only the download caches and the CA bundle."""
        env = [
            "LANG=C.UTF-8",
            f"PIP_CERT={CA_IN_ROOT}",
            f"SSL_CERT_FILE={CA_IN_ROOT}",
            "PIP_CACHE_DIR=/var/cache/fueltui-pip",
            "PIP_DISABLE_PIP_VERSION_CHECK=1",
        ]
        if user:
            login = [
                "/usr/sbin/runuser",
                "-u",
                "tester",
                "--",
                "/usr/bin/env",
                "-i",
                "HOME=/home/tester",
                "USER=tester",
            ]
        else:
            login = ["/usr/bin/env", "-i", "HOME=/root", "USER=root"]
        cache = PIP_CACHES["user" if user else "root"]
        command = [
            "unshare", "--mount", "--pid", "--fork", "--propagation", "private", "--",
            "bash", "-c", _ENTER, "enter", str(self.path), str(APT_ARCHIVES), str(cache),
            *login, *env, "/bin/bash", "-lc", script,
        ]  # fmt: skip
        start = time.monotonic()
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Run(result.returncode, result.stdout, time.monotonic() - start)

    def file(self, path: str) -> Path:
        return self.path / path.lstrip("/")
