"""`fueltui bootstrap build|show`: the discovery image nodes PXE-boot into.

It lives beside the builder rather than in `fueltui/cli/` because it bakes in the master's
public key, which the ssh layer owns (the CLI package may not import it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fueltui import statedir
from fueltui.bootstrap.build import BuildError, build, default_cache_dir, read_manifest
from fueltui.ssh.keys import public_key_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bootstrap", help="build or show the discovery image nodes PXE-boot")
    actions = parser.add_subparsers(dest="bootstrap_command", metavar="ACTION", required=True)
    b = actions.add_parser("build", help="build the image (cached: only rebuilt when its inputs change)")
    b.add_argument("--suite", help="Debian release to take packages from (default: this host's)")
    b.add_argument("--mirror", help="Debian archive URL (default: this host's apt source for the suite)")
    b.add_argument("--cache-dir", help=f"where downloads are kept (default {default_cache_dir()})")
    b.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    b.set_defaults(func=cmd_build)
    show = actions.add_parser("show", help="what the current image was built from")
    show.add_argument("--json", action="store_true", help="the whole manifest")
    show.set_defaults(func=cmd_show)


def cmd_build(args: argparse.Namespace) -> int:
    state = statedir.ensure_state_dir()
    try:
        key = public_key_text(state)
        result = build(
            state,
            key,
            cache_dir=Path(args.cache_dir) if args.cache_dir else None,
            suite=args.suite,
            mirror=args.mirror,
            force=args.force,
            log=lambda msg: print(f"  {msg}", file=sys.stderr),
        )
    except (BuildError, OSError) as exc:
        print(f"fueltui bootstrap: {exc}", file=sys.stderr)
        return 1
    how = "unchanged (cached)" if result.cached else f"built in {result.seconds:.1f} s"
    print(f"bootstrap image {how}: {result.directory}")
    print(f"  kernel {result.kernel_bytes / 1e6:.1f} MB, initrd {result.initrd_bytes / 1e6:.1f} MB")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    manifest = read_manifest(statedir.state_dir())
    if manifest is None:
        print("no bootstrap image yet: run `fueltui bootstrap build`", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(manifest, indent=1, sort_keys=True))
        return 0
    print(f"Debian {manifest.get('suite')}, kernel {manifest.get('kernel_version')}")
    print(f"digest {str(manifest.get('digest'))[:16]}…, key {str(manifest.get('public_key'))[:40]}…")
    missing = manifest.get("modules_missing")
    if isinstance(missing, list) and missing:
        print(f"modules this kernel lacks: {', '.join(map(str, missing))}")
    return 0
