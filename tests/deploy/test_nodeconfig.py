"""Node configuration files: what each node is told it must become."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from fueltui.core.environment import new_environment
from fueltui.core.graph import UPLOAD_SOURCES
from fueltui.core.model import Node, NodeFacts
from fueltui.core.nodeconfig import (
    HEALTH_RING,
    RENDERERS,
    NetworkScheme,
    Peer,
    build_node_configs,
    config_hash,
    health_targets,
    parse_health_line,
    render_healthcheck_script,
    render_hosts,
    render_netplan,
    render_network_script,
    render_node_yaml,
    wanted_network,
)
from fueltui.core.releases import default_release

RELEASE = default_release()
MACS = ["52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"]


def make_node(index: int, name: str, roles: list[str], *, public: bool) -> Node:
    nics = [{"name": f"eth{i}", "mac": f"52:54:00:00:0{i}:0{index}", "pxe": i == 0} for i in range(4)]
    nics[0]["mac"] = MACS[index - 1]
    interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["management", "private"], "eth2": ["storage"]}
    if public:
        interfaces["eth3"] = ["public"]
    return Node(
        mac=MACS[index - 1],
        name=name,
        ip=f"10.20.0.{130 + index}",
        facts=NodeFacts.model_validate({"nics": nics}),
        roles=roles,
        environment="lab",
        interfaces=interfaces,
    )


def lab_configs(apply_vlans: bool = True):
    env = new_environment("lab", RELEASE, "neutron-vlan")
    nodes = [
        make_node(2, "compute-1", ["compute"], public=False),
        make_node(1, "controller-1", ["controller"], public=True),
        make_node(3, "compute-2", ["compute"], public=False),
    ]
    addresses = {
        MACS[0]: {"public": "172.16.0.2/24", "management": "192.168.0.2/24", "storage": "192.168.1.2/24"},
        MACS[1]: {"management": "192.168.0.3/24", "storage": "192.168.1.3/24"},
        MACS[2]: {"management": "192.168.0.4/24", "storage": "192.168.1.4/24"},
    }
    return build_node_configs(env, RELEASE, nodes, addresses, apply_vlans=apply_vlans)


def test_scheme_puts_each_network_on_the_chosen_nic_with_allocated_address() -> None:
    cfg = lab_configs()[MACS[0]]
    assert cfg.name == "controller-1" and cfg.roles == ["controller"]
    by_net = {s.network: s for s in cfg.networks}
    assert by_net["fuelweb_admin"].nic == "eth0" and by_net["fuelweb_admin"].address == "10.20.0.131/24"
    assert by_net["management"].nic == "eth1" and by_net["management"].vlan == 101
    assert by_net["management"].address == "192.168.0.2/24"
    assert by_net["storage"].nic == "eth2" and by_net["storage"].vlan == 102
    assert by_net["private"].address is None  # carries the tenant VLAN range, no address
    public = by_net["public"]
    assert (public.nic, public.address, public.gateway, public.default_route) == (
        "eth3",
        "172.16.0.2/24",
        "172.16.0.1",
        True,
    )
    assert [p.name for p in cfg.peers] == ["compute-1", "compute-2", "controller-1"]
    assert cfg.nics == ["eth0", "eth1", "eth2", "eth3"]


def test_node_yaml_round_trips_and_names_every_peer() -> None:
    cfg = lab_configs()[MACS[1]]
    data = yaml.safe_load(render_node_yaml(cfg))
    assert data["name"] == "compute-1"
    assert {p["name"]: p["addresses"].get("management") for p in data["peers"]} == {
        "compute-1": "192.168.0.3",
        "compute-2": "192.168.0.4",
        "controller-1": "192.168.0.2",
    }
    assert [n["network"] for n in data["networks"]] == ["fuelweb_admin", "management", "private", "storage"]


def test_hosts_lists_every_node_on_its_management_address() -> None:
    text = render_hosts(lab_configs()[MACS[2]])
    assert "192.168.0.2\tcontroller-1" in text
    assert "192.168.0.3\tcompute-1" in text
    assert "192.168.0.4\tcompute-2" in text
    assert text.startswith("127.0.0.1\tlocalhost")


def test_netplan_renders_vlan_devices_for_tagged_networks() -> None:
    plan = yaml.safe_load(render_netplan(lab_configs()[MACS[0]]))["network"]
    assert plan["vlans"]["eth1.101"] == {"id": 101, "link": "eth1", "addresses": ["192.168.0.2/24"]}
    assert plan["vlans"]["eth2.102"]["addresses"] == ["192.168.1.2/24"]
    assert plan["ethernets"]["eth3"] == {
        "addresses": ["172.16.0.2/24"],
        "routes": [{"to": "default", "via": "172.16.0.1"}],
    }
    assert plan["ethernets"]["eth0"]["addresses"] == ["10.20.0.131/24"]


def test_network_script_untagged_in_lab_and_tagged_otherwise() -> None:
    lab_cfg = lab_configs(apply_vlans=False)[MACS[0]]
    assert wanted_network(lab_cfg).data().splitlines() == [
        "addr 192.168.0.2/24 eth1 management",
        "addr 192.168.1.2/24 eth2 storage",
        "addr 172.16.0.2/24 eth3 public",
        "route 172.16.0.1 eth3",
    ]
    lab = render_network_script(lab_cfg)
    assert "ADMIN=10.20.0.131" in lab.splitlines()  # the admin lease: never removed, never set
    assert "10.20.0.131/24" not in lab
    real_cfg = lab_configs(apply_vlans=True)[MACS[0]]
    assert wanted_network(real_cfg).data().splitlines()[:3] == [
        "link eth1.101 eth1 101",
        "link eth2.102 eth2 102",
        "addr 192.168.0.2/24 eth1.101 management",
    ]
    real = render_network_script(real_cfg)
    for script in (lab, real):
        subprocess.run(["sh", "-n"], input=script, text=True, check=True)


def test_hostile_names_are_quoted_in_scripts() -> None:
    cfgs = lab_configs()
    cfg = cfgs[MACS[0]]
    evil = cfg.model_copy(update={"name": "x\ntouch /tmp/pwned; $(id)", "nics": ["eth0", "e$(id)"]})
    script = render_network_script(evil)
    assert "NICS='eth0 e$(id)'" in script.splitlines()  # data in single quotes, never code
    assert script.splitlines()[1].startswith("# x?touch??tmp?pwned????id?: network set-up by fueltui")
    assert not any(line.startswith("touch") for line in script.splitlines())
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)


def test_health_check_covers_every_peer_on_every_shared_network() -> None:
    cfg = lab_configs()[MACS[1]]  # compute-1: admin, management, storage
    targets = health_targets(cfg)
    assert ("management", "controller-1", "192.168.0.2") in targets
    assert ("storage", "compute-2", "192.168.1.4") in targets
    assert ("fuelweb_admin", "compute-2", "10.20.0.133") in targets
    assert not any(t[0] == "public" for t in targets)  # compute-1 has no public address
    assert not any(t[1] == "compute-1" for t in targets)
    assert len(targets) == 6
    script = render_healthcheck_script(cfg)
    subprocess.run(["sh", "-n"], input=script, text=True, check=True)
    assert parse_health_line("FUELTUI-HEALTH ok storage compute-2 192.168.1.4") == {
        "network": "storage",
        "peer": "compute-2",
        "address": "192.168.1.4",
        "ok": True,
    }
    assert parse_health_line("64 bytes from ...") is None


def test_at_scale_each_node_pings_a_ring_of_peers_and_every_address_is_pinged_by_as_many() -> None:
    base = lab_configs()[MACS[1]]  # compute-1: admin, management, storage
    networks = ("fuelweb_admin", "management", "storage")
    peers = [
        Peer(
            name=f"n{i}",
            mac=f"52:54:00:00:{i:02x}:00",
            roles=["controller"] if i < 3 else ["compute"],
            addresses={net: f"10.{k}.{i // 250}.{i % 250 + 1}" for k, net in enumerate(networks)},
        )
        for i in range(40)
    ]
    pinged: dict[tuple[str, str], int] = {}
    for peer in peers:
        cfg = base.model_copy(update={"mac": peer.mac, "name": peer.name, "peers": peers})
        targets = health_targets(cfg)
        for net in networks:
            names = [name for n, name, _ in targets if n == net]
            assert len(names) == HEALTH_RING and peer.name not in names, (peer.name, net, names)
        for net, name, _ in targets:
            pinged[(net, name)] = pinged.get((net, name), 0) + 1
    # every address is checked, by exactly HEALTH_RING others: none is flooded (the controllers were)
    assert pinged == {(net, p.name): HEALTH_RING for net in networks for p in peers}


def loopback_peer_config(own: str = "127.0.0.1/8"):
    """compute-1 with its management network on `lo` (address `own`) and one peer at 127.0.0.1."""
    cfg = lab_configs()[MACS[1]]
    other = cfg.peers[0].model_copy(
        update={"mac": "52:54:00:99:99:99", "addresses": {"management": "127.0.0.1"}}
    )
    networks = [NetworkScheme(network="management", nic="lo", address=own)]
    return cfg.model_copy(update={"peers": [other], "networks": networks})


def test_health_script_reports_reachable_peer() -> None:
    done = subprocess.run(
        ["sh"], input=render_healthcheck_script(loopback_peer_config()), text=True, capture_output=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split() == ["FUELTUI-HEALTH", "ok", "management", "compute-1", "127.0.0.1"]


@pytest.mark.lab
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for an empty network namespace")
def test_health_script_reports_unreachable_peer_and_fails(tmp_path) -> None:
    # A fresh network namespace whose loopback has its address but is down: nothing answers,
    # nothing leaves the host.
    script = tmp_path / "health.sh"
    script.write_text(render_healthcheck_script(loopback_peer_config()))
    done = subprocess.run(
        ["unshare", "--net", "sh", "-c", f"ip link set lo up && ip link set lo down && sh {script}"],
        text=True,
        capture_output=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.split() == ["FUELTUI-HEALTH", "fail", "management", "compute-1", "127.0.0.1"]


def test_a_peer_missed_in_the_first_pass_is_asked_again_once_after_it(tmp_path) -> None:
    # A `ping` that fails its first three calls (the first pass's tries), as a node or peer
    # starved of CPU for a moment does, and answers after.
    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "ping"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n[ "$(wc -l < {calls})" -gt 3 ]\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["sh"],
        input=render_healthcheck_script(loopback_peer_config()),
        text=True,
        capture_output=True,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # One line for the peer: the miss of the first pass is not reported, the second pass's answer is.
    assert done.stdout.split() == ["FUELTUI-HEALTH", "ok", "management", "compute-1", "127.0.0.1"]
    waits = [line.split("-W ")[1].split()[0] for line in calls.read_text().splitlines()]
    assert waits == ["1", "1", "1", "3"]  # the second pass waits longer for each answer


def test_health_script_is_source_bound() -> None:
    # 127.0.0.7 answers on this host (all of 127/8 is local), but it is not the address `lo`
    # holds: a peer reached from another address than the configured one proves nothing.
    done = subprocess.run(
        ["sh"],
        input=render_healthcheck_script(loopback_peer_config(own="127.0.0.7/8")),
        text=True,
        capture_output=True,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "management: this node's address 127.0.0.7 is not on lo",
        "FUELTUI-HEALTH fail management compute-1 127.0.0.1",
    ]
    assert '-I "$4"' in render_healthcheck_script(loopback_peer_config())  # bound to the NIC


def test_config_hash_follows_what_the_node_is_told() -> None:
    a = lab_configs()
    b = lab_configs()
    assert config_hash(a[MACS[0]]) == config_hash(b[MACS[0]])
    moved = a[MACS[0]].model_copy(update={"name": "controller-9"})
    assert config_hash(moved) != config_hash(a[MACS[0]])


def test_every_graph_upload_source_has_a_renderer() -> None:
    assert set(UPLOAD_SOURCES) == set(RENDERERS)


def test_node_yaml_is_the_same_text_from_libyaml_as_from_the_python_emitter() -> None:
    """`config_hash` hashes this text: a deployed node must not look changed because the
    emitter did (the master uses libyaml's when PyYAML has it)."""
    import yaml

    from fueltui.core import nodeconfig

    assert nodeconfig.YAML_DUMPER.__name__ == "CSafeDumper"  # this machine's PyYAML has libyaml
    for apply_vlans in (True, False):
        for cfg in lab_configs(apply_vlans).values():
            data = cfg.model_dump(mode="json", exclude={"payload"})
            odd = {**data, "name": "ünïcode ' \" : # x" + "y" * 120, "roles": []}
            for sample in (data, odd):
                fast = yaml.dump(sample, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False)
                assert fast == yaml.safe_dump(sample, sort_keys=False, default_flow_style=False)
            assert render_node_yaml(cfg).endswith(
                yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
            )
