"""The network script converges, run for real in a private network namespace (veth NICs).

Nothing reaches the host: `unshare --net` gives the script a namespace of its own, and its
record of what it applied goes to the test's temporary directory, not /etc/fueltui.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_nodeconfig import MACS, lab_configs

from fueltui.core.netscript import APPLIED
from fueltui.core.nodeconfig import NodeConfig, render_network_script

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private network namespace"),
]

SETUP = """
set -e
for n in 0 1 2 3; do ip link add "eth$n" type veth peer name "peer$n"; ip link set "peer$n" up; done
ip addr add 10.20.0.131/24 dev eth0
ip link set eth0 up
set +e
"""


def untagged(cfg: NodeConfig) -> NodeConfig:
    return cfg.model_copy(update={"apply_vlans": False})


def script_for(cfg: NodeConfig, tmp: Path) -> str:
    text = render_network_script(cfg)
    line = f"APPLIED={APPLIED}"
    assert line in text.splitlines()
    return text.replace(line, f"APPLIED={tmp / 'applied'}")


def run_in_netns(tmp: Path, steps: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Run shell snippets one after the other inside one fresh network namespace."""
    for index, step in enumerate(steps):
        (tmp / f"step{index}.sh").write_text(step)
    driver = SETUP + "".join(
        f'sh {tmp / f"step{i}.sh"} > {tmp / f"out{i}"} 2>&1; echo "rc=$?" >> {tmp / f"out{i}"}\n'
        for i in range(len(steps))
    )
    subprocess.run(["unshare", "--net", "sh", "-c", driver], check=True, capture_output=True, text=True)
    results = []
    for i in range(len(steps)):
        out = (tmp / f"out{i}").read_text().splitlines()
        rc = int(out[-1].removeprefix("rc="))
        results.append(subprocess.CompletedProcess([], rc, "\n".join(out[:-1]), ""))
    return results


def test_layout_change_converges_and_check_reports_differences(tmp_path: Path) -> None:
    cfg = untagged(lab_configs()[MACS[0]])  # controller-1: management eth1, storage eth2, public eth3
    moved = cfg.model_copy(
        update={
            "networks": [
                s.model_copy(update={"nic": "eth1"}) if s.network == "storage" else s for s in cfg.networks
            ]
        }
    )
    first, second = script_for(cfg, tmp_path), script_for(moved, tmp_path)
    show = "ip -o -4 addr show | awk '{print $2, $4}'; ip route show default"
    results = run_in_netns(
        tmp_path,
        [
            f"sh -c {_q(first)} sh --check",  # nothing applied yet: differs
            f"sh -c {_q(first)} sh",
            f"sh -c {_q(first)} sh --check",
            f"sh -c {_q(second)} sh --check",  # the new layout: storage is on the wrong NIC
            f"sh -c {_q(second)} sh",
            show,
            "ip addr del 192.168.0.2/24 dev eth1",
            f"sh -c {_q(second)} sh --check",  # a deleted address is a difference
            f"sh -c {_q(second)} sh",
            show,
        ],
    )
    assert results[0].returncode == 1 and "management: 192.168.0.2/24 is missing on eth1" in results[0].stdout
    assert results[1].returncode == 0, results[1].stdout
    assert results[2].returncode == 0 and "differs" not in results[2].stdout
    assert results[3].returncode == 1
    assert "storage: 192.168.1.2/24 is missing on eth1" in results[3].stdout
    assert "192.168.1.2/24 on eth2 is no longer configured" in results[3].stdout
    assert results[4].returncode == 0, results[4].stdout
    assert "removed 192.168.1.2/24 from eth2 (no longer configured)" in results[4].stdout
    after = results[5].stdout.splitlines()
    assert sorted(line for line in after if not line.startswith("default")) == [
        "eth0 10.20.0.131/24",  # the admin address is never touched
        "eth1 192.168.0.2/24",
        "eth1 192.168.1.2/24",
        "eth3 172.16.0.2/24",
    ]
    assert [line for line in after if line.startswith("default")] == ["default via 172.16.0.1 dev eth3 "]
    assert results[7].returncode == 1 and "192.168.0.2/24 is missing on eth1" in results[7].stdout
    assert results[8].returncode == 0
    assert "eth1 192.168.0.2/24" in results[9].stdout.splitlines()


def test_a_copy_of_an_address_on_another_nic_is_removed_but_never_the_admin_one(tmp_path: Path) -> None:
    cfg = untagged(lab_configs()[MACS[0]])
    script = script_for(cfg, tmp_path)
    results = run_in_netns(
        tmp_path,
        [
            "ip addr add 192.168.0.2/24 dev eth2 && ip link set eth2 up",  # a stale copy, no record of it
            f"sh -c {_q(script)} sh --check",
            f"sh -c {_q(script)} sh",
            "ip -o -4 addr show | awk '{print $2, $4}'",
        ],
    )
    assert results[1].returncode == 1 and "management: 192.168.0.2 is also on eth2" in results[1].stdout
    assert results[2].returncode == 0, results[2].stdout
    assert "removed 192.168.0.2 from eth2 (it belongs on eth1)" in results[2].stdout
    shown = results[3].stdout.splitlines()
    assert "eth2 192.168.0.2/24" not in shown and "eth1 192.168.0.2/24" in shown
    assert "eth0 10.20.0.131/24" in shown


def _q(text: str) -> str:
    import shlex

    return shlex.quote(text)
