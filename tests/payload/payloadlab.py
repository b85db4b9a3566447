"""What the payload lab tests share: the CLI run against a lab's master, the last deploy, and a
lab of Debian 13 nodes (the release's OS image from the master's mirror, synced when missing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fueltui.core.releases import default_release
from fueltui.lab.lab import Lab
from fueltui.mirror.paths import image_dir, image_ready
from labfixtures import LabHandle, remove_stale_test_labs, run_sync, unique_prefix

NETWORKS = ["admin", "management", "public", "storage", "private"]

# The start of a program run in the lab master's namespace (the operator's side): the
# openrc's credentials (JSON in argv[1]) as a Keystone password-auth `body` for a token.
AUTH_BODY = """
import httpx, json, sys
c = json.loads(sys.argv[1])
domain = {"name": "Default"}
user = {"name": c["OS_USERNAME"], "domain": domain, "password": c["OS_PASSWORD"]}
scope = {"project": {"name": c["OS_PROJECT_NAME"], "domain": domain}}
body = {"auth": {"identity": {"methods": ["password"], "password": {"user": user}}, "scope": scope}}
"""


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


def node_logs(handle: LabHandle, name: str, task_id: str) -> str:
    return fueltui(handle, "logs", name, "--task", task_id, check=False)


def failure_detail(handle: LabHandle, task: dict[str, object]) -> str:
    """What a failed deploy's nodes wrote last: a CI log must say why, the lab is gone after."""
    records = json.loads(fueltui(handle, "nodes", "--json", check=False) or "[]")
    names = {r["node"]["mac"]: r["node"]["name"] for r in records}
    nodes = task.get("nodes") or {}
    tails = []
    for mac, node in nodes.items() if isinstance(nodes, dict) else []:
        if isinstance(node, dict) and node.get("status") == "error":
            log = node_logs(handle, str(names.get(mac) or mac), str(task["id"]))
            tail = "\n".join(log.splitlines()[-60:])
            tails.append(f"--- {names.get(mac, mac)}: {node.get('message')}\n{tail}")
    return f"{task.get('message')}\n" + "\n".join(tails)


def deploy_answers(handle: LabHandle, answers: Path) -> dict[str, object]:
    """apply → verify → deploy, as an operator would; the deploy task with its wall time, and on
    a failure the failed nodes' last log lines (the lab is gone when CI shows the failure)."""
    fueltui(handle, "apply", str(answers))
    fueltui(handle, "verify", "demo", "--wait")
    started = time.monotonic()
    out = fueltui(handle, "deploy", "demo", "--wait", timeout=2400, check=False)
    task = last_deploy(handle)
    task["wall_seconds"] = time.monotonic() - started
    assert task["status"] == "done", out[-4000:] + failure_detail(handle, task)
    return task


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
