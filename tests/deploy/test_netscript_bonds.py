"""Bonds in the node's network files: the netplan `bonds:` section, the network script's
bond lines, and the script converging on bonds — created, re-made when the mode changes,
removed when unbonded, MTUs set and put back.

The lab's kernel has no bonding driver, so the convergence test runs the real script, in a
private network namespace with real veth NICs and the real `ip`, behind a small `ip` wrapper
that stands in for the driver alone: `ip link add ... type bond OPTIONS` makes a bridge (a
master device that takes ports as a bond takes slaves) and remembers OPTIONS, and `ip -d
link show` of that device reports them as the bonding driver does ("bond mode 802.3ad ...").
Every other call (enslaving, releasing, addresses, MTUs, deleting) is the kernel's own.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
import yaml
from test_netscript import run_in_netns, script_for
from test_nodeconfig import MACS, RELEASE, make_node

from fueltui.core.environment import new_environment
from fueltui.core.model import Bond, BondMode
from fueltui.core.nodeconfig import (
    NodeConfig,
    build_node_configs,
    render_netplan,
    render_network_script,
    wanted_network,
)

ADDRESSES = {"public": "172.16.0.2/24", "management": "192.168.0.2/24", "storage": "192.168.1.2/24"}
LACP = Bond(name="bond0", mode=BondMode.lacp, slaves=["eth1", "eth2"], lacp_rate="fast", mtu=9000)


def bonded(bond: Bond | None, mtu: dict[str, int] | None = None) -> NodeConfig:
    """controller-1 with management and storage on `bond` (eth1+eth2), or on eth1 without it."""
    node = make_node(1, "controller-1", ["controller"], public=True)
    carrier = bond.name if bond else "eth1"
    interfaces = {"eth0": ["fuelweb_admin"], carrier: ["management", "storage"], "eth3": ["public"]}
    node = node.model_copy(
        update={"interfaces": interfaces, "bonds": [bond] if bond else [], "mtu": mtu or {}}
    )
    env = new_environment("lab", RELEASE, "neutron-gre")
    cfgs = build_node_configs(env, RELEASE, [node], {MACS[0]: ADDRESSES}, apply_vlans=False)
    return cfgs[MACS[0]]


def test_netplan_has_the_bond_with_its_slaves_options_and_addresses() -> None:
    cfg = bonded(LACP, {"eth3": 1400})
    assert cfg.nics == ["eth0", "eth1", "eth2", "eth3"]  # the bond is no NIC
    network = yaml.safe_load(render_netplan(cfg))["network"]
    assert network["bonds"] == {
        "bond0": {
            "interfaces": ["eth1", "eth2"],
            "parameters": {
                "mode": "802.3ad",
                "mii-monitor-interval": 100,
                "lacp-rate": "fast",
                "transmit-hash-policy": "layer2",
            },
            "mtu": 9000,
        }
    }
    # management and storage are tagged: their VLAN devices sit on the bond
    assert network["vlans"]["bond0.101"] == {"id": 101, "link": "bond0", "addresses": ["192.168.0.2/24"]}
    assert network["ethernets"]["eth1"] == {} and network["ethernets"]["eth2"] == {}
    assert network["ethernets"]["eth3"]["mtu"] == 1400


def test_script_data_names_the_bond_before_its_addresses() -> None:
    script = render_network_script(bonded(LACP, {"eth3": 1400}))
    data = wanted_network(bonded(LACP, {"eth3": 1400})).data().splitlines()
    assert f"WANTED={shlex.quote(chr(10).join(data))}" in script
    assert data[:3] == [
        "bond bond0 eth1,eth2 mode=802.3ad,miimon=100,lacp_rate=fast,xmit_hash_policy=layer2",
        "mtu eth3 1400",
        "mtu bond0 9000",
    ]
    assert "addr 192.168.0.2/24 bond0 management" in data
    slb = render_network_script(
        bonded(LACP.model_copy(update={"mode": BondMode.balance_slb, "lacp_rate": None}))
    )
    assert "bond bond0 eth1,eth2 mode=balance-tlb,miimon=100" in slb


FAKE_IP = r"""#!/bin/sh
# Stands in for the bonding driver only (see the test module's docstring).
REAL=/usr/sbin/ip
STATE=$(dirname "$0")/bonds
mkdir -p "$STATE"
if [ "$1 $2 $3" = "link add name" ] && [ "$5 $6" = "type bond" ]; then
  name=$4; shift 6
  "$REAL" link add name "$name" type bridge || exit $?
  echo "$*" > "$STATE/$name"
  exit 0
fi
if [ "$1 $2 $3" = "link del dev" ]; then rm -f "$STATE/$4"; fi
if [ "$1 $2 $3 $4 $5" = "-d -o link show dev" ] && [ -f "$STATE/$6" ]; then
  out=$("$REAL" -d -o link show dev "$6") || exit $?
  printf '%s \\    bond %s\n' "$out" "$(cat "$STATE/$6")"
  exit 0
fi
exec "$REAL" "$@"
"""


@pytest.mark.lab
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for a private network namespace")
def test_bonds_converge_mode_change_and_unbond(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ip").write_text(FAKE_IP)
    (bin_dir / "ip").chmod(0o755)
    lacp = script_for(bonded(LACP, {"eth3": 1400}), tmp_path)
    backup = script_for(bonded(Bond(name="bond0", slaves=["eth1", "eth2"])), tmp_path)
    plain = script_for(bonded(None), tmp_path)
    env = f"PATH={bin_dir}:$PATH"
    show = (
        f"{env}; ip -o link show master bond0 | awk -F': ' '{{print $2}}' | sed 's/@.*//';"
        " ip -o -4 addr show | awk '{print $2, $4}'; ip -o link show dev eth3 | grep -o 'mtu [0-9]*'"
    )
    results = run_in_netns(
        tmp_path,
        [
            f"{env} sh -c {shlex.quote(lacp)} sh --check",  # 0: nothing yet
            f"{env} sh -c {shlex.quote(lacp)} sh",  # 1: bond made
            f"{env} sh -c {shlex.quote(lacp)} sh --check",  # 2: converged
            show,  # 3
            f"{env} sh -c {shlex.quote(backup)} sh --check",  # 4: the mode differs
            f"{env} sh -c {shlex.quote(backup)} sh",  # 5: re-made
            f"{env}; ip -d -o link show dev bond0",  # 6
            f"{env} sh -c {shlex.quote(plain)} sh",  # 7: unbonded
            f"{env} sh -c {shlex.quote(plain)} sh --check",  # 8
            show,  # 9
        ],
    )
    assert results[0].returncode == 1 and "bond bond0 (eth1,eth2) is missing" in results[0].stdout
    assert results[1].returncode == 0, results[1].stdout
    assert "bond bond0: eth1,eth2 (mode=802.3ad" in results[1].stdout
    assert results[2].returncode == 0, results[2].stdout
    shown = results[3].stdout.splitlines()
    assert shown[:2] == ["eth1", "eth2"]  # the slaves
    assert "bond0 192.168.0.2/24" in shown and "bond0 192.168.1.2/24" in shown
    assert not any(line.startswith(("eth1 ", "eth2 ")) for line in shown)  # slaves hold no address
    assert "mtu 1400" in shown
    assert results[4].returncode == 1
    assert "bond bond0: mode is 802.3ad, wanted active-backup" in results[4].stdout
    assert results[5].returncode == 0, results[5].stdout
    assert "removed bond bond0 to change its options" in results[5].stdout
    assert "bond mode active-backup" in results[6].stdout
    assert results[7].returncode == 0, results[7].stdout
    assert "removed bond bond0 (no longer configured)" in results[7].stdout
    assert results[8].returncode == 0, results[8].stdout
    after = results[9].stdout.splitlines()
    assert "eth1 192.168.0.2/24" in after and "eth1 192.168.1.2/24" in after
    assert not any(line.startswith("bond0") for line in after)
    assert "mtu 1500" in after  # eth3's MTU is no longer configured: back to the default
