"""The OpenStack payload as the master renders it per node: VIPs, endpoints, GRE local_ip on
the private network, VLAN ranges in VLAN mode, secrets kept out of node.yaml, and scripts
that POSIX sh accepts."""

from __future__ import annotations

import configparser
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fueltui.core.environment import new_environment
from fueltui.core.graph import graph_for_release
from fueltui.core.ipalloc import allocate
from fueltui.core.model import Mode, Node, NodeFacts
from fueltui.core.nodeconfig import config_hash, node_configs, render, render_node_yaml
from fueltui.core.payload.agents import ovs_agent_conf
from fueltui.core.payload.data import PayloadSecrets, build_payload
from fueltui.core.payload.health import parse_ostf_line, render_health
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.scripts import SCRIPTS, PayloadUnavailable, render_script
from fueltui.core.payload.services import ml2_conf, neutron_conf, nova_conf
from fueltui.core.payload.system import packages_for
from fueltui.core.releases import default_release

RELEASE = default_release()
KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n"
LAYOUT = {"eth0": ["fuelweb_admin"], "eth1": ["management"], "eth2": ["public"], "eth3": ["storage"],
          "eth4": ["private"]}  # fmt: skip


def make_node(index: int, name: str, roles: list[str]) -> Node:
    mac = f"52:54:00:00:0{index}:00"
    nics = [{"name": f"eth{i}", "mac": f"52:54:00:00:0{index}:0{i}", "pxe": i == 0} for i in range(5)]
    return Node(
        mac=mac,
        name=name,
        ip=f"10.20.0.{130 + index}",
        facts=NodeFacts.model_validate({"nics": nics}),
        roles=roles,
        environment="demo",
        interfaces=dict(LAYOUT),
    )


def configs(mode: str = "neutron-gre", secrets: PayloadSecrets | None = None):
    env = new_environment("demo", RELEASE, mode)
    nodes = [make_node(1, "ctrl-1", ["controller"]), make_node(2, "comp-1", ["compute"]),
             make_node(3, "comp-2", ["compute"])]  # fmt: skip
    base = node_configs(env, RELEASE, nodes, apply_vlans=False)
    vips = allocate(env, RELEASE, nodes).vips
    data = build_payload(
        env, RELEASE, vips, ["ctrl-1"], "10.20.0.2", KEY, secrets or PayloadSecrets.generate()
    )
    assert data is not None
    by_name = {cfg.name: cfg.model_copy(update={"payload": data}) for cfg in base.values()}
    return by_name, data, vips


def ini_of(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_endpoints_sit_on_the_vips_the_allocator_gave() -> None:
    cfgs, data, vips = configs()
    assert data.management_vip == vips["management"]["haproxy"].split("/")[0]
    assert data.public_vip == vips["public"]["haproxy"].split("/")[0]
    assert data.keystone_public == f"http://{data.public_vip}:5000/v3"
    spec = re.search(r"register.json 0600 root:root <<'FUELTUI_EOF' \|\| true\n(.*?)\nFUELTUI_EOF", render(
        "payload:keystone", cfgs["ctrl-1"]), re.S)  # fmt: skip
    assert spec is not None
    endpoints = {s["type"]: s["endpoints"] for s in json.loads(spec.group(1))["services"]}
    assert endpoints["compute"]["public"] == f"http://{data.public_vip}:8774/v2.1"
    assert endpoints["compute"]["internal"] == f"http://{data.management_vip}:8774/v2.1"
    assert set(endpoints) == {"image", "placement", "compute", "network"}


def test_gre_local_ip_is_the_nodes_private_address() -> None:
    cfgs, _data, _ = configs("neutron-gre")
    for name in ("ctrl-1", "comp-1", "comp-2"):
        view = NodeView.of(cfgs[name])
        ovs = ini_of(ovs_agent_conf(view))
        assert ovs["ovs"]["local_ip"] == cfgs[name].scheme("private").ip
        assert ovs["agent"]["tunnel_types"] == "gre"
        assert ovs["ovs"]["datapath_type"] == "netdev"
    assert "physnet-ex:br-ex" in ini_of(ovs_agent_conf(NodeView.of(cfgs["ctrl-1"])))["ovs"]["bridge_mappings"]
    assert "bridge_mappings" not in ini_of(ovs_agent_conf(NodeView.of(cfgs["comp-1"])))["ovs"]
    script = render("payload:openvswitch", cfgs["comp-1"])
    assert "add-port br-mesh eth4" in script and "br-ex" not in script


def test_a_nic_under_a_bridge_stops_answering_arp_for_the_bridges_addresses() -> None:
    """ARP flux, measured in the lab: a peer took comp-3's NIC MAC for its GRE endpoint
    because the NIC, once a port of br-mesh, still answered ARP for the moved address."""
    cfgs, _data, _ = configs("neutron-gre")
    compute = render("payload:openvswitch", cfgs["comp-1"])
    controller = render("payload:openvswitch", cfgs["ctrl-1"])
    for script, nics in ((compute, ["eth4"]), (controller, ["eth4", "eth2"])):
        for nic in nics:
            ignore = script.index(f"echo 1 > /proc/sys/net/ipv4/conf/{nic}/arp_ignore")
            assert f"echo 2 > /proc/sys/net/ipv4/conf/{nic}/arp_announce" in script
            # before the address moves: no window in which the NIC answers for the bridge
            assert ignore < script.index(f"ip -4 -o addr show dev {nic}")
    assert "conf/eth2/arp_ignore" not in compute


def test_vlan_mode_maps_the_tenant_range_and_has_no_tunnels() -> None:
    cfgs, data, _ = configs("neutron-vlan")
    ml2 = ini_of(ml2_conf(data))
    low, high = data.vlan_range or (0, 0)
    assert ml2["ml2"]["tenant_network_types"] == "vlan"
    assert ml2["ml2_type_vlan"]["network_vlan_ranges"] == f"physnet-prv:{low}:{high}"
    ovs = ini_of(ovs_agent_conf(NodeView.of(cfgs["comp-2"])))
    assert ovs["ovs"]["bridge_mappings"] == "physnet-prv:br-prv"
    assert "local_ip" not in ovs["ovs"] and "tunnel_types" not in ovs["agent"]


def test_services_reach_each_other_through_the_management_vip() -> None:
    cfgs, data, _ = configs()
    compute = NodeView.of(cfgs["comp-1"])
    nova = ini_of(nova_conf(compute))
    assert nova["DEFAULT"]["my_ip"] == cfgs["comp-1"].scheme("management").ip
    assert f"@{data.management_vip}:5672/" in nova["DEFAULT"]["transport_url"]
    assert nova["libvirt"]["virt_type"] == "qemu"
    assert "database" not in nova  # computes never hold database credentials
    controller = ini_of(nova_conf(NodeView.of(cfgs["ctrl-1"])))
    assert controller["api_database"]["connection"].endswith(f"@{data.management_vip}/nova_api")
    assert "database" not in ini_of(neutron_conf(compute))


def test_secrets_never_reach_node_yaml_but_change_the_config_hash() -> None:
    cfgs, data, _ = configs()
    text = render_node_yaml(cfgs["ctrl-1"])
    for value in data.secrets.values.values():
        assert value not in text
    other, _, _ = configs(secrets=PayloadSecrets.generate())
    assert config_hash(cfgs["ctrl-1"]) != config_hash(other["ctrl-1"])


def test_secrets_are_kept_on_regeneration_and_completed_when_missing() -> None:
    first = PayloadSecrets.generate()
    assert PayloadSecrets.generate(first.values) == first
    partial = {k: v for k, v in first.values.items() if k != "rabbit"}
    again = PayloadSecrets.generate(partial)
    assert again["admin"] == first["admin"] and again["rabbit"] and again["rabbit"] != first["rabbit"]


def test_packages_follow_the_roles() -> None:
    cfgs, _, _ = configs()
    controller, compute = packages_for(NodeView.of(cfgs["ctrl-1"])), packages_for(NodeView.of(cfgs["comp-1"]))
    assert "keystone" in controller and "nova-compute" not in controller
    assert "nova-compute" in compute and "keystone" not in compute and "mariadb-server" not in compute
    assert "busybox-static" not in controller + compute  # mirrored for the health guest only


def test_every_graph_script_renders_and_sh_accepts_it() -> None:
    cfgs, _, _ = configs()
    graph = graph_for_release(RELEASE)
    sources = {str(t.parameters["source"]) for t in graph.node_tasks if t.type == "script"}
    assert sources == {f"payload:{name}" for name in SCRIPTS}
    sh = shutil.which("sh")
    assert sh is not None
    roles = {"ctrl-1": {"*", "primary-controller", "controller"}, "comp-1": {"*", "compute"}}
    for name in ("ctrl-1", "comp-1"):
        for task in graph.node_tasks:
            if task.type != "script" or not roles[name] & set(task.roles):
                continue
            source = str(task.parameters["source"])
            text = render(source, cfgs[name])
            assert text.startswith("#!/bin/sh\nset -eu\n")
            check = subprocess.run([sh, "-n"], input=text, text=True, capture_output=True, check=False)
            assert check.returncode == 0, (source, check.stderr)


def test_a_node_without_payload_or_network_is_refused_with_a_reason() -> None:
    cfgs, _, _ = configs()
    bare = cfgs["comp-1"].model_copy(update={"payload": None})
    noop = render_script("payload:nova_compute", bare)  # base system only: the task says so, passes
    assert "no OpenStack payload on this node" in noop and "apt-get" not in noop
    with pytest.raises(PayloadUnavailable, match="no OpenStack payload"):
        NodeView.of(bare)
    lonely = cfgs["comp-1"].model_copy(update={"networks": [n for n in cfgs["comp-1"].networks
                                                             if n.network != "private"]})  # fmt: skip
    with pytest.raises(PayloadUnavailable, match="private network is on none"):
        render_script("payload:neutron_agents", lonely)
    with pytest.raises(PayloadUnavailable, match="no payload script"):
        render_script("payload:nope", cfgs["comp-1"])


def test_nova_network_is_offered_unavailable_but_still_checked() -> None:
    assert RELEASE.modes[Mode.nova_network].unavailable
    env = new_environment("old", RELEASE, "nova-network")
    from fueltui.core.rules import check_environment

    codes = {f.code for f in check_environment(env, RELEASE, [])}
    assert "mode-unavailable" in codes
    assert build_payload(env, RELEASE, {}, [], "10.20.0.2", KEY, PayloadSecrets.generate()) is None


def test_health_lines_parse_and_hostile_lines_do_not() -> None:
    line = (
        'FUELTUI-OSTF {"id": "keystone", "name": "n", "group": "sanity", "status": "passed", "duration": 1.5}'
    )
    assert parse_ostf_line(line) == {"id": "keystone", "name": "n", "group": "sanity", "status": "passed",
                                     "duration": 1.5, "message": ""}  # fmt: skip
    assert parse_ostf_line("FUELTUI-OSTF {not json") is None
    assert parse_ostf_line('FUELTUI-OSTF {"id": 1}') is None
    weird = parse_ostf_line('FUELTUI-OSTF {"id": "x", "name": "n", "group": "g", "status": "hacked"}')
    assert weird is not None and weird["status"] == "failed"
    cfgs, _, _ = configs()
    text = render_health(NodeView.of(cfgs["ctrl-1"]), ["sanity"])
    shipped = re.search(r"health.json 0600 root:root <<'FUELTUI_EOF' \|\| true\n(.*?)\n", text)
    assert shipped is not None, text
    spec = json.loads(shipped.group(1))
    assert spec["computes"] == ["comp-1", "comp-2"] and spec["groups"] == ["sanity"]
    assert spec["kernel_url"].startswith("http://10.20.0.2:8080/mirror/images/health/")


def test_rendered_here_documents_cannot_be_closed_by_their_content(tmp_path: Path) -> None:
    from fueltui.core.payload.shell import PREAMBLE, heredoc_file

    target = tmp_path / "f"
    hostile = "line\nFUELTUI_EOF\n$(touch " + str(tmp_path / "pwned") + ")\n"
    text = PREAMBLE + heredoc_file(str(target), "0600", f"{_me()}", hostile)
    subprocess.run(["sh", "-e"], input=text, text=True, check=True, capture_output=True)
    assert target.read_text() == hostile
    assert not (tmp_path / "pwned").exists()


def _me() -> str:
    import grp
    import os
    import pwd

    return f"{pwd.getpwuid(os.getuid()).pw_name}:{grp.getgrgid(os.getgid()).gr_name}"


def test_the_programs_shipped_to_the_controller_compile() -> None:
    from fueltui.core.payload.remote import remote_program

    for name in ("register.py.txt", "cloud_ready.py.txt", "health.py.txt"):
        compile(remote_program(name), name, "exec")


def test_the_network_script_keeps_addresses_on_the_payloads_bridges() -> None:
    """Once Open vSwitch holds a NIC, its address lives on the bridge: a redeploy's network
    task must find it there (`bridge|nic`: the bridge when it exists), not pull it back."""

    def wanted(cfg: object) -> str:
        return render("network_script", cfg).split("WANTED='")[1].split("'")[0]  # type: ignore[arg-type]

    gre, _, _ = configs("neutron-gre")
    controller = wanted(gre["ctrl-1"])
    assert "br-ex|eth2 public" in controller and "route 172.16.0.1 br-ex|eth2" in controller
    assert "br-mesh|eth4 private" in controller
    compute = wanted(gre["comp-1"])
    assert "br-mesh|eth4 private" in compute and "br-ex" not in compute
    vlan, _, _ = configs("neutron-vlan")
    assert "br-mesh" not in wanted(vlan["comp-1"])
    assert "|" not in wanted(gre["ctrl-1"].model_copy(update={"payload": None}))
