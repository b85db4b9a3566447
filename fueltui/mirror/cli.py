"""`fueltui mirror sync|status`: the master's package mirror and OS image (run on the master)."""

from __future__ import annotations

import argparse
import sys

from fueltui.core.model import Release
from fueltui.core.releases import default_release, get_release, shipped_releases
from fueltui.mirror.paths import image_dir, image_ready, mirror_root, repo_dir
from fueltui.mirror.sync import MirrorError, sync


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mirror = sub.add_parser("mirror", help="the master's package mirror and OS image (nodes install from it)")
    actions = mirror.add_subparsers(dest="mirror_command", metavar="ACTION", required=True)
    run = actions.add_parser("sync", help="fetch every package the release needs; build its OS image")
    run.add_argument("--release", help="release id (default: the first shipped release)")
    run.add_argument("--rebuild-image", action="store_true", help="build the OS image even when up to date")
    run.set_defaults(func=_sync)
    status = actions.add_parser("status", help="what the mirror holds")
    status.set_defaults(func=_status)


def _release(name: str | None) -> Release:
    if not name:
        return default_release()
    release = get_release(name)
    if release is None:
        known = ", ".join(shipped_releases())
        raise MirrorError(f"no release {name!r} (known: {known})")
    return release


def _sync(args: argparse.Namespace) -> int:
    try:
        release = _release(args.release)
        report = sync(release, rebuild_image=args.rebuild_image, say=lambda s: print(s, flush=True))
    except MirrorError as exc:
        print(f"fueltui mirror: {exc}", file=sys.stderr)
        return 1
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items())
    print(f"mirror ready: {report.packages} packages; image {report.image} ({steps})")
    return 0


def _status(args: argparse.Namespace) -> int:
    root = mirror_root()
    print(f"mirror: {root}")
    for release in shipped_releases().values():
        if release.os is None:
            continue
        repo = repo_dir(release.os.name, root)
        state = "synced" if (repo / "dists").exists() else "not synced (run `fueltui mirror sync`)"
        image = "built" if image_ready(release.os.name, root) else "not built"
        print(f"  {release.id}: repository {state}; image {image_dir(release.os.name, root)} {image}")
    return 0
