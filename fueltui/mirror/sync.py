"""`fueltui mirror sync`: the release's packages into a signed local repository, then its OS image.

Resolution is apt's own: a private apt configuration (sources, lists, cache and an empty
dpkg status of its own under the mirror) asks for the release's packages as if nothing were
installed, so the download is the whole closure. The repository is indexed with
apt-ftparchive and signed with a key generated for this mirror (nodes get the public half
over SSH, never over the network they fetch from). The OS image is built with mmdebstrap
from that repository only, so what the nodes run is exactly what the mirror serves.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fueltui.core.model import OsImage, Release
from fueltui.mirror.healthimage import HEALTH_DIR, build_health_image
from fueltui.mirror.paths import KEY_FILE, image_dir, image_ready, mirror_root, repo_dir

Say = Callable[[str], None]
ARCH = "amd64"
COMPONENT = "main"


class MirrorError(Exception):
    """A step of the sync failed; the message says which and why."""


@dataclass
class SyncReport:
    packages: int = 0
    downloaded_bytes: int = 0
    repo: Path = field(default_factory=Path)
    image: Path = field(default_factory=Path)
    seconds: dict[str, float] = field(default_factory=dict)


def _run(argv: Sequence[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", **(env or {})},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
        raise MirrorError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))
    return proc.stdout


def require_tools() -> None:
    missing = [t for t in ("apt-get", "apt-ftparchive", "gpg", "mmdebstrap") if shutil.which(t) is None]
    if missing:
        raise MirrorError(
            f"missing on this machine: {', '.join(missing)} "
            "(Debian packages apt, apt-utils, gnupg, mmdebstrap; scripts/install.sh installs them)"
        )


class PrivateApt:
    """apt-get/apt-cache with every directory of their own: the host's apt is untouched."""

    def __init__(self, base: Path, os_image: OsImage) -> None:
        self.base = base
        self.os = os_image
        for sub in ("etc/apt.conf.d", "etc/preferences.d", "etc/sources.list.d", "lists/partial",
                    "cache/archives/partial", "log"):  # fmt: skip
            (base / sub).mkdir(parents=True, exist_ok=True)
        (base / "status").touch()
        lines = [f"deb [signed-by={os_image.keyring}] {os_image.upstream} {os_image.suite} {COMPONENT}"]
        if os_image.security_upstream and os_image.security_suite:
            lines.append(
                f"deb [signed-by={os_image.keyring}] {os_image.security_upstream} "
                f"{os_image.security_suite} {COMPONENT}"
            )
        (base / "etc/sources.list").write_text("\n".join(lines) + "\n")

    def options(self) -> list[str]:
        b = self.base
        opts = {
            "Dir::Etc": f"{b}/etc",
            "Dir::Etc::sourcelist": f"{b}/etc/sources.list",
            "Dir::Etc::sourceparts": f"{b}/etc/sources.list.d",
            "Dir::Etc::preferencesparts": f"{b}/etc/preferences.d",
            "Dir::Etc::parts": f"{b}/etc/apt.conf.d",
            "Dir::State": str(b),
            "Dir::State::lists": f"{b}/lists",
            "Dir::State::status": f"{b}/status",
            "Dir::Cache": f"{b}/cache",
            "Dir::Log": f"{b}/log",
            "APT::Architecture": ARCH,
            "APT::Architectures": ARCH,
            "APT::Install-Recommends": "false",
            "Debug::NoLocking": "1",
            "Acquire::Languages": "none",
        }
        return [arg for key, value in opts.items() for arg in ("-o", f"{key}={value}")]

    def update(self) -> None:
        _run(["apt-get", *self.options(), "-q", "update"], "apt-get update (upstream lists)")

    def required(self) -> list[str]:
        """What a minimal Debian root always has: Essential and Priority: required."""
        text = _run(["apt-cache", *self.options(), "dumpavail"], "apt-cache dumpavail")
        names: set[str] = set()
        for stanza in text.split("\n\n"):
            fields = dict(
                line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line[0].isspace()
            )
            if fields.get("Essential") == "yes" or fields.get("Priority") == "required":
                names.add(fields.get("Package", ""))
        names.discard("")
        return sorted(names)

    def download(self, packages: Sequence[str]) -> Path:
        _run(
            ["apt-get", *self.options(), "-q", "-y", "--download-only", "install", *packages],
            "resolving and downloading the release's packages",
            env={"DEBIAN_FRONTEND": "noninteractive"},
        )
        return self.base / "cache" / "archives"

    def fetch(self, packages: Sequence[str]) -> None:
        """Packages alone, without their dependencies (what no node installs)."""
        if packages:
            argv = ["apt-get", *self.options(), "-q", "download", *packages]
            _run(argv, "downloading mirror-only packages", cwd=self.base / "cache" / "archives")


def release_packages(release: Release) -> list[str]:
    os_image = _os(release)
    payload = release.payload.all_packages() if release.payload else []
    return sorted(set(os_image.base_packages) | set(payload))


def _os(release: Release) -> OsImage:
    if release.os is None:
        raise MirrorError(f"release {release.id} names no operating system to mirror")
    return release.os


def _gpg(home: Path, *args: str, what: str) -> str:
    return _run(["gpg", "--homedir", str(home), "--batch", "--yes", "--pinentry-mode", "loopback",
                 "--passphrase", "", *args], what)  # fmt: skip


def ensure_key(root: Path) -> Path:
    """The mirror's signing key (ed25519, no passphrase, private to root's mirror folder)."""
    home = root / ".gnupg"
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    if not _gpg(home, "--list-secret-keys", "--with-colons", what="listing the mirror key").strip():
        _gpg(home, "--quick-gen-key", "fueltui mirror <mirror@fueltui.invalid>", "ed25519", "sign", "never",
             what="creating the mirror's signing key")  # fmt: skip
    return home


def build_repo(debs: Path, repo: Path, suite: str, gpg_home: Path) -> int:
    """Pool the .debs, index them and sign the index; returns the number of packages."""
    pool = repo / "pool" / COMPONENT
    pool.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in debs.glob("*.deb")}
    for stale in pool.glob("*.deb"):
        if stale.name not in wanted:
            stale.unlink()
    for deb in debs.glob("*.deb"):
        target = pool / deb.name
        if not target.exists():
            try:
                os.link(deb, target)
            except OSError:
                shutil.copy2(deb, target)
    dist = repo / "dists" / suite
    binary = dist / COMPONENT / f"binary-{ARCH}"
    binary.mkdir(parents=True, exist_ok=True)
    packages = _run(["apt-ftparchive", "packages", f"pool/{COMPONENT}"], "indexing the pool", cwd=repo)
    (binary / "Packages").write_text(packages)
    with gzip.open(binary / "Packages.gz", "wt", compresslevel=6) as fh:
        fh.write(packages)
    opts = {
        "Origin": "fueltui",
        "Label": "fueltui mirror",
        "Suite": suite,
        "Codename": suite,
        "Architectures": ARCH,
        "Components": COMPONENT,
    }
    argv = ["apt-ftparchive"]
    for key, value in opts.items():
        argv += ["-o", f"APT::FTPArchive::Release::{key}={value}"]
    release_text = _run([*argv, "release", f"dists/{suite}"], "writing the Release file", cwd=repo)
    (dist / "Release").write_text(release_text)
    _gpg(
        gpg_home,
        "--clearsign",
        "-o",
        str(dist / "InRelease"),
        str(dist / "Release"),
        what="signing InRelease",
    )
    _gpg(gpg_home, "--armor", "--detach-sign", "-o", str(dist / "Release.gpg"), str(dist / "Release"),
         what="signing Release")  # fmt: skip
    (repo / KEY_FILE).write_text(_gpg(gpg_home, "--armor", "--export", what="exporting the mirror key"))
    # gpg leaves an agent behind; nothing of a sync keeps running after it.
    subprocess.run(["gpgconf", "--homedir", str(gpg_home), "--kill", "gpg-agent"], check=False,
                   capture_output=True)  # fmt: skip
    return packages.count("\nPackage: ") + (1 if packages.startswith("Package: ") else 0)


def build_image(os_image: OsImage, repo: Path, target: Path) -> None:
    """The OS root from the mirror alone (mmdebstrap), with a marker naming what it holds."""
    temp = target.with_name(target.name + ".building")
    target.parent.mkdir(parents=True, exist_ok=True)
    if temp.exists():
        shutil.rmtree(temp)
    source = f"deb [signed-by={repo / KEY_FILE}] copy://{repo} {os_image.suite} {COMPONENT}"
    marker = json.dumps({"os": os_image.name, "suite": os_image.suite, "built": int(time.time())})
    hooks = [
        # Nothing of the build stays: the node's apt source is written at deploy time.
        'rm -f "$1/etc/apt/sources.list" "$1"/etc/apt/sources.list.d/*',
        'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/archives/*.deb',
        f"printf '%s\\n' '{marker}' > \"$1/etc/fueltui-image\"",
    ]
    argv = ["mmdebstrap", "--mode=root", "--variant=minbase", "--format=directory"]
    argv += [f"--include={','.join(os_image.base_packages)}", "--aptopt=APT::Install-Recommends false"]
    argv += [f"--customize-hook={hook}" for hook in hooks]
    argv += [os_image.suite, str(temp), source]
    _run(argv, "building the OS image (mmdebstrap)")
    if target.exists():
        shutil.rmtree(target)
    temp.rename(target)


def _fingerprint(os_image: OsImage) -> str:
    """What the image is made of. A mirror refresh alone does not rebuild it (running labs
    use it as their nodes' lower layer); `--rebuild-image` does."""
    return hashlib.sha256(json.dumps([os_image.suite, sorted(os_image.base_packages)]).encode()).hexdigest()


def sync(
    release: Release, root: Path | None = None, say: Say = print, rebuild_image: bool = False
) -> SyncReport:
    require_tools()
    root = root or mirror_root()
    os_image = _os(release)
    report = SyncReport()
    work = root / os_image.name
    work.mkdir(parents=True, exist_ok=True)
    apt = PrivateApt(work / "apt", os_image)

    started = time.monotonic()
    say(f"upstream: {os_image.upstream} {os_image.suite}")
    apt.update()
    wanted = sorted(set(apt.required()) | set(release_packages(release)))
    report.seconds["lists"] = time.monotonic() - started

    started = time.monotonic()
    say(f"resolving and downloading {len(wanted)} packages and their dependencies")
    debs = apt.download(wanted)
    apt.fetch(release.payload.mirror_only if release.payload else [])
    report.downloaded_bytes = sum(p.stat().st_size for p in debs.glob("*.deb"))
    report.seconds["download"] = time.monotonic() - started

    started = time.monotonic()
    repo = repo_dir(os_image.name, root)
    report.packages = build_repo(debs, repo, os_image.suite, ensure_key(root))
    report.repo = repo
    report.seconds["index"] = time.monotonic() - started
    say(f"repository: {repo} ({report.packages} packages, {report.downloaded_bytes / 1e6:.0f} MB)")

    started = time.monotonic()
    image = image_dir(os_image.name, root)
    stamp = work / "image.fingerprint"
    fingerprint = _fingerprint(os_image)
    current = stamp.read_text().strip() if stamp.exists() else ""
    if rebuild_image or not image_ready(os_image.name, root) or current != fingerprint:
        say(f"building the OS image {os_image.name} from the mirror")
        build_image(os_image, repo, image)
        stamp.write_text(fingerprint + "\n")
    else:
        say(f"OS image {os_image.name} is up to date")
    report.image = image
    build_health_image(os_image.name, repo, root / "images" / HEALTH_DIR)
    report.seconds["image"] = time.monotonic() - started
    return report
