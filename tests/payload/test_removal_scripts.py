"""The scripts that carry out a pending deletion: the cloud's side (run on the primary
controller) and the node's side. Rendered, syntax-checked, and the cloud's run against a
stand-in `openstack` that records what it was asked to delete."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fueltui.core.payload.removal import (
    NODE_DAEMONS,
    NODE_FILES,
    render_cloud_removal,
    render_node_cleanup,
    render_node_stop,
)
from fueltui.core.payload.shell import PREAMBLE

FAKE_OPENSTACK = """#!/bin/sh
echo "$*" >> "$FAKE_LOG"
case "$*" in
  "compute service list --host compute-1 -f value -c ID") printf '11\\n12\\n' ;;
  "network agent list --host compute-1 -f value -c ID") printf 'aa-bb\\n' ;;
  *" list "*) ;;
esac
"""


def run_cloud_script(tmp_path: Path, host: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "openstack"
    stub.write_text(FAKE_OPENSTACK)
    stub.chmod(0o755)
    log = tmp_path / "calls"
    log.write_text("")
    text = render_cloud_removal(host)
    path_line = next(line for line in PREAMBLE.splitlines() if line.startswith("export PATH="))
    script = tmp_path / "remove.sh"
    # The stand-in first on the script's own PATH; everything else is the script as shipped.
    script.write_text(text.replace(path_line, f"{path_line}\nexport PATH={bin_dir}:$PATH"))
    env = {"FAKE_LOG": str(log), "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    done = subprocess.run(["sh", "-e", str(script)], capture_output=True, text=True, env=env, timeout=30)
    return done, log.read_text().splitlines()


def test_cloud_removal_deletes_the_nodes_services_and_agents(tmp_path: Path) -> None:
    done, calls = run_cloud_script(tmp_path, "compute-1")
    assert done.returncode == 0, done.stderr
    assert calls == [
        "compute service list --host compute-1 -f value -c ID",
        "compute service delete 11",
        "compute service delete 12",
        "network agent list --host compute-1 -f value -c ID",
        "network agent delete aa-bb",
    ]
    assert "compute service 11 of compute-1 deleted" in done.stdout
    assert "network agent aa-bb of compute-1 deleted" in done.stdout
    assert "export OS_CLOUD=fueltui-admin" in render_cloud_removal("compute-1")


def test_cloud_removal_of_a_node_the_cloud_does_not_know_deletes_nothing(tmp_path: Path) -> None:
    done, calls = run_cloud_script(tmp_path, "compute-9")
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if " delete " in c]
    assert "the cloud has no service of compute-9" in done.stdout


def test_a_hostile_host_name_stays_one_quoted_word(tmp_path: Path) -> None:
    host = "x'; touch pwned; echo '"
    text = render_cloud_removal(host)
    assert "HOST='x'\"'\"'; touch pwned; echo '\"'\"''" in text
    done, calls = run_cloud_script(tmp_path, host)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert calls[0] == f"compute service list --host {host} -f value -c ID"


def test_node_cleanup_runs_the_network_script_with_nothing_wanted_then_removes_the_files() -> None:
    text = render_node_cleanup("compute-1", "10.20.0.131")
    check = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True, timeout=10)
    assert check.returncode == 0, check.stderr
    assert "ADMIN=10.20.0.131" in text and "NICS=''" in text and "WANTED=''" in text  # keep admin only
    assert "sh /etc/fueltui/network-remove.sh apply" in text
    removal = next(line for line in text.splitlines() if line.startswith("rm -f "))
    assert all(path in removal for path in NODE_FILES)
    assert text.index("network-remove.sh apply") < text.index(removal)  # addresses first, then files


def test_node_stop_stops_the_agents_before_libvirt_and_deletes_the_bridges() -> None:
    """A Neutron agent left running reports itself back after the controller deleted it."""
    text = render_node_stop("compute-1")
    check = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True, timeout=10)
    assert check.returncode == 0, check.stderr
    loop = next(line for line in text.splitlines() if line.startswith("for d in nova-compute"))
    assert all(d in loop for d in NODE_DAEMONS)
    assert text.index(loop) < text.index("virsh destroy") < text.index("for d in libvirtd virtlogd")
    assert "ovs-vsctl --if-exists del-br" in text and "ovs-appctl -t ovsdb-server exit" in text
    hostile = render_node_stop("x'; touch pwned; echo '")
    assert "say 'x'\"'\"'; touch pwned; echo '\"'\"': no OpenStack service runs here any more'" in hostile
