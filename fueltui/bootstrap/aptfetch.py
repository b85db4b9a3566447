"""Debian packages for the bootstrap, fetched with apt under a private configuration.

apt runs with its own lists, cache and an empty dpkg status in the cache directory, so it
resolves the full dependency closure of what we ask for and downloads it, while the host's
apt state (its lists, archives, dpkg database and locks) is never written. The archive to
use is the one the host's own apt sources name for the wanted suite, or one given
explicitly (a local mirror, say)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

LISTS_MAX_AGE = 24 * 3600.0
DEBIAN_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


class AptError(RuntimeError):
    pass


@dataclass(frozen=True)
class Source:
    uri: str
    suite: str
    components: tuple[str, ...] = ("main",)
    signed_by: str | None = None

    def line(self) -> str:
        opts = f" [signed-by={self.signed_by}]" if self.signed_by else ""
        return f"deb{opts} {self.uri} {self.suite} {' '.join(self.components)}"


def host_codename(os_release: Path = Path("/etc/os-release")) -> str:
    try:
        text = os_release.read_text()
    except OSError:
        text = ""
    match = re.search(r"^VERSION_CODENAME=\"?([a-z]+)\"?$", text, re.M)
    if not match:
        raise AptError("cannot tell this host's Debian release; give --suite")
    return match.group(1)


def _deb822(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for raw in [*text.splitlines(), ""]:
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line:
            if current:
                stanzas.append(current)
            current, key = {}, ""
        elif line[0] in " \t" and key:
            current[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            current[key] = value.strip()
    return stanzas


def host_sources(suite: str, etc: Path = Path("/etc/apt")) -> list[Source]:
    """The host's `deb` entries for exactly `suite` (other suites and third-party
    repositories, which name other suites, are left out)."""
    found: list[Source] = []
    files = [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        if path.suffix == ".sources":
            for st in _deb822(text):
                if "deb" not in st.get("types", "").split() or st.get("enabled", "yes") == "no":
                    continue
                if suite not in st.get("suites", "").split():
                    continue
                comps = tuple(st.get("components", "main").split()) or ("main",)
                for uri in st.get("uris", "").split():
                    found.append(Source(uri, suite, comps, st.get("signed-by") or None))
        elif path.name == "sources.list" or path.suffix == ".list":
            for raw in text.splitlines():
                m = re.match(r"^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$", raw)
                if not m or m.group(3) != suite:
                    continue
                opts = dict(o.split("=", 1) for o in (m.group(1) or "").split() if "=" in o)
                found.append(Source(m.group(2), suite, tuple(m.group(4).split()), opts.get("signed-by")))
    return [
        Source(
            s.uri,
            s.suite,
            s.components,
            s.signed_by or (str(DEBIAN_KEYRING) if DEBIAN_KEYRING.exists() else None),
        )
        for s in found
    ]


class PrivateApt:
    """apt with every state and cache directory under `root`."""

    def __init__(self, root: Path, sources: list[Source]) -> None:
        if not sources:
            raise AptError(
                "no Debian archive to download from (no host apt source for the suite; give --mirror)"
            )
        self.root = root
        self.sources = sources
        self.archives = root / "archives"

    def _config(self) -> Path:
        r = self.root
        for sub in ("lists/partial", "archives/partial", "cache", "etc/apt.conf.d", "etc/preferences.d"):
            (r / sub).mkdir(parents=True, exist_ok=True)
        (r / "status").touch()
        (r / "etc" / "sources.list").write_text("".join(s.line() + "\n" for s in self.sources))
        conf = r / "apt.conf"
        conf.write_text(
            "\n".join(
                [
                    f'Dir::Etc "{r}/etc";',
                    f'Dir::Etc::sourcelist "{r}/etc/sources.list";',
                    'Dir::Etc::sourceparts "-";',
                    'Dir::Etc::trustedparts "/etc/apt/trusted.gpg.d";',
                    f'Dir::State "{r}";',
                    f'Dir::State::lists "{r}/lists";',
                    f'Dir::State::status "{r}/status";',
                    f'Dir::Cache "{r}/cache";',
                    f'Dir::Cache::archives "{r}/archives";',
                    'Acquire::Languages "none";',
                    'APT::Install-Recommends "false";',
                    'APT::Install-Suggests "false";',
                    "",
                ]
            )
        )
        return conf

    def _apt(self, *args: str) -> str:
        env = {
            **os.environ,
            "APT_CONFIG": str(self._config()),
            "DEBIAN_FRONTEND": "noninteractive",
            "LC_ALL": "C",
        }
        proc = subprocess.run(["apt-get", "-q", *args], capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr.strip() or proc.stdout.strip())[-1500:]
            raise AptError(f"apt-get {args[0]} failed: {tail}")
        return proc.stdout

    def _lists_fresh(self) -> bool:
        stamp = self.root / "lists.stamp"
        try:
            wanted = stamp.read_text()
            age = time.time() - stamp.stat().st_mtime
        except OSError:
            return False
        return wanted == self._sources_text() and age < LISTS_MAX_AGE

    def _sources_text(self) -> str:
        return "".join(s.line() + "\n" for s in self.sources)

    def update(self) -> None:
        self._apt("update")
        (self.root / "lists.stamp").write_text(self._sources_text())

    def download(self, packages: list[str]) -> list[Path]:
        """The .debs of `packages` and everything they depend on; a cached set needs no network."""
        if not self._lists_fresh():
            self.update()
        try:
            self._apt("install", "-y", "--download-only", *packages)
        except AptError:
            self.update()  # the lists may name versions the archive no longer has
            self._apt("install", "-y", "--download-only", *packages)
        plan = re.findall(r"^Inst (\S+) \((\S+) ", self._apt("install", "-s", *packages), re.M)
        debs = []
        for name, version in plan:
            matches = sorted(self.archives.glob(f"{name}_{version.replace(':', '%3a')}_*.deb"))
            if not matches:
                raise AptError(f"apt did not download {name} {version}")
            debs.append(matches[0])
        return sorted(debs)
