"""`fueltui bootstrap build`: download, assemble, compress, and cache the discovery image.

The image lands in `<state>/boot/bootstrap/` (kernel, initrd, manifest). It is rebuilt only
when its inputs change — the master's public key, the package files apt resolved, or this
builder's own files — which the manifest records as one digest. Building needs no root and
runs nothing from the target packages on the master."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fueltui.bootstrap import cpio, initfiles, kmods, rootfs
from fueltui.bootstrap.aptfetch import AptError, PrivateApt, Source, host_codename, host_sources
from fueltui.settings import settings
from fueltui.statedir import write_private

PACKAGES = (
    "busybox",
    "dropbear-bin",
    "iproute2",
    "util-linux",
    "fdisk",
    "e2fsprogs",
    "dosfstools",
    "zstd",
    "tar",
)
KERNEL_PACKAGE = "linux-image-amd64"
BOOT_DIR = "boot"
IMAGE_DIR = "bootstrap"
KERNEL_NAME = "vmlinuz"
INITRD_NAME = "initrd.img"
MANIFEST_NAME = "manifest.json"
ZSTD_LEVEL = 12


class BuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class BuildResult:
    directory: Path
    digest: str
    cached: bool
    seconds: float
    kernel_bytes: int
    initrd_bytes: int

    @property
    def kernel(self) -> Path:
        return self.directory / KERNEL_NAME

    @property
    def initrd(self) -> Path:
        return self.directory / INITRD_NAME


def image_dir(state_dir: Path) -> Path:
    return state_dir / BOOT_DIR / IMAGE_DIR


def default_cache_dir() -> Path:
    override = settings().cache_dir
    if override is not None:
        return override
    if os.geteuid() == 0:
        return Path("/var/cache/fueltui")
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fueltui"


def _builder_digest() -> str:
    """Changing how the image is made (any of these modules) changes every image's digest."""
    h = hashlib.sha256()
    for module in (cpio, initfiles, kmods, rootfs):
        assert module.__file__ is not None
        h.update(Path(module.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def _inputs_digest(public_key: str, debs: list[Path], suite: str) -> str:
    h = hashlib.sha256()
    h.update(_builder_digest().encode())
    h.update(public_key.strip().encode() + b"\n" + suite.encode() + b"\n")
    for deb in debs:
        h.update(f"{deb.name} {deb.stat().st_size}\n".encode())
    return h.hexdigest()


def read_manifest(state_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((image_dir(state_dir) / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _compress(raw: bytes) -> bytes:
    # zstd at a fixed level and one thread gives the same bytes for the same archive.
    if shutil.which("zstd"):
        proc = subprocess.run(["zstd", "-q", f"-{ZSTD_LEVEL}", "-T1", "-c"], input=raw, capture_output=True)
        if proc.returncode == 0:
            return proc.stdout
    import gzip

    return gzip.compress(raw, compresslevel=9, mtime=0)


def build(
    state_dir: Path,
    public_key: str,
    *,
    cache_dir: Path | None = None,
    suite: str | None = None,
    mirror: str | None = None,
    force: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> BuildResult:
    started = time.monotonic()
    cache = (cache_dir or default_cache_dir()) / "bootstrap"
    suite = suite or host_codename()
    sources = [Source(mirror, suite)] if mirror else host_sources(suite)
    out = image_dir(state_dir)
    apt = PrivateApt(cache / f"apt-{suite}", sources)
    log(f"resolving packages for Debian {suite} from {', '.join(s.uri for s in sources) or '(none)'}")
    try:
        debs = apt.download([*PACKAGES, KERNEL_PACKAGE])
    except AptError as exc:
        manifest = read_manifest(state_dir)
        if not force and manifest is not None and manifest.get("public_key") == public_key.strip():
            log(f"apt failed ({exc}); keeping the image built before with the same key")
            return _result(out, str(manifest.get("digest")), True, started)
        raise BuildError(str(exc)) from exc
    digest = _inputs_digest(public_key, debs, suite)
    manifest = read_manifest(state_dir)
    fresh = not force and manifest is not None and manifest.get("digest") == digest
    if fresh and (out / KERNEL_NAME).exists() and (out / INITRD_NAME).exists():
        return _result(out, digest, True, started)
    kernel_debs = [d for d in debs if d.name.startswith("linux-image-") and "-amd64_" in d.name]
    kernel_debs = [d for d in kernel_debs if not d.name.startswith(f"{KERNEL_PACKAGE}_")]
    if len(kernel_debs) != 1:
        raise BuildError(f"expected one kernel package, got {[d.name for d in kernel_debs]}")
    log(f"unpacking {kernel_debs[0].name} (cached after the first time)")
    kernel = kmods.load_kernel(kernel_debs[0], cache / "kernels")
    modules, missing = kernel.closure(kmods.WANTED_MODULES)
    with tempfile.TemporaryDirectory(prefix="fueltui-bootstrap-", dir=cache) as tmp:
        staging = Path(tmp) / "root"
        log(f"unpacking {sum(not d.name.startswith('linux-image-') for d in debs)} packages")
        try:
            rootfs.unpack(debs, staging)
            tree = rootfs.assemble(staging, kernel, modules, public_key, suite)
        except (rootfs.RootfsError, kmods.KernelError) as exc:
            raise BuildError(str(exc)) from exc
    buf = io.BytesIO()
    cpio.write_newc(tree, buf)
    log(f"compressing {len(buf.getvalue()) // 1024} KiB of initramfs")
    initrd = _compress(buf.getvalue())
    out.mkdir(parents=True, exist_ok=True)
    # Kernel and initrd first, the manifest (which says they match) last.
    # World-readable: TFTP and HTTP serve them to any node, and they hold only a public key.
    write_private(out / KERNEL_NAME, kernel.vmlinuz.read_bytes())
    (out / KERNEL_NAME).chmod(0o644)
    write_private(out / INITRD_NAME, initrd)
    (out / INITRD_NAME).chmod(0o644)
    record = {
        "digest": digest,
        "suite": suite,
        "kernel_version": kernel.version,
        "public_key": public_key.strip(),
        "packages": [d.name for d in debs],
        "modules": modules,
        "modules_missing": missing,
        "sha256": {
            KERNEL_NAME: hashlib.sha256((out / KERNEL_NAME).read_bytes()).hexdigest(),
            INITRD_NAME: hashlib.sha256(initrd).hexdigest(),
        },
    }
    write_private(out / MANIFEST_NAME, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return _result(out, digest, False, started)


def _result(out: Path, digest: str, cached: bool, started: float) -> BuildResult:
    return BuildResult(
        directory=out,
        digest=digest,
        cached=cached,
        seconds=time.monotonic() - started,
        kernel_bytes=(out / KERNEL_NAME).stat().st_size,
        initrd_bytes=(out / INITRD_NAME).stat().st_size,
    )
