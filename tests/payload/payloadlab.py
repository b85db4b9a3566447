"""What the payload lab tests share: the CLI run against a lab's master, the last deploy, and a
lab of Debian 13 nodes (the release's OS image from the master's mirror, synced when missing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from fueltui.core.releases import default_release
from fueltui.lab.lab import Lab
from fueltui.mirror.paths import image_dir, image_ready
from labfixtures import LabHandle, remove_stale_test_labs, run_sync, unique_prefix

NETWORKS = ["admin", "management", "public", "storage", "private"]


def fueltui(handle: LabHandle, *args: str, timeout: float = 1800, check: bool = True) -> str:
    env = {**os.environ, **handle.env()}
    proc = subprocess.run(
        [sys.executable, "-m", "fueltui", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"fueltui {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def last_deploy(handle: LabHandle) -> dict[str, object]:
    tasks = json.loads(fueltui(handle, "tasks", "--json"))
    deploys = [t for t in tasks if t["kind"] == "deploy"]
    assert deploys, tasks
    return deploys[-1]


def os_lab(nodes: int) -> Iterator[LabHandle]:
    """A lab of `nodes` Debian 13 nodes with five NICs each, every one discovered; down after."""
    if os.geteuid() != 0:
        pytest.skip("lab tests need root (network namespaces, mounts)")
    release = default_release()
    assert release.os is not None
    if not image_ready(release.os.name) or os.environ.get("CI"):
        subprocess.run([sys.executable, "-m", "fueltui", "mirror", "sync"], check=True, timeout=1800)
    remove_stale_test_labs()
    lab = Lab(unique_prefix())
    try:
        state = lab.up(nodes=nodes, nics=5, networks=NETWORKS, timeout=120, image=image_dir(release.os.name))
        handle = LabHandle(lab, state)
        run_sync(handle.wait_discovered(timeout=120))
        yield handle
    finally:
        lab.down()
