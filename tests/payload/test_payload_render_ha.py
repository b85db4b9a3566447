"""The HA layout (3 controllers, 1 compute) as the master renders it per node: Galera's cluster
address lists every controller, RabbitMQ's others join the primary, every service lists every
RabbitMQ and memcached, HAProxy has every controller behind the VIPs, keepalived gives the
primary the highest priority — and one controller renders none of it."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

from fueltui.core.environment import new_environment
from fueltui.core.graph import deploy_roles, graph_for_release
from fueltui.core.ipalloc import allocate
from fueltui.core.model import Node, NodeFacts
from fueltui.core.nodeconfig import NodeConfig, node_configs, render
from fueltui.core.payload import ha
from fueltui.core.payload.data import PayloadData, PayloadSecrets, build_payload
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.services import horizon_settings, neutron_conf, nova_conf
from fueltui.core.payload.system import packages_for
from fueltui.core.releases import default_release

RELEASE = default_release()
KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n"
LAYOUT = {"eth0": ["fuelweb_admin"], "eth1": ["management"], "eth2": ["public"], "eth3": ["storage"],
          "eth4": ["private"]}  # fmt: skip
NAMES = [("ctrl-2", ["controller"]), ("ctrl-1", ["controller"]), ("ctrl-3", ["controller"]),
         ("comp-1", ["compute"])]  # fmt: skip


def make_node(index: int, name: str, roles: list[str]) -> Node:
    nics = [{"name": f"eth{i}", "mac": f"52:54:00:00:0{index}:0{i}", "pxe": i == 0} for i in range(5)]
    return Node(
        mac=f"52:54:00:00:0{index}:00",
        name=name,
        ip=f"10.20.0.{130 + index}",
        facts=NodeFacts.model_validate({"nics": nics}),
        roles=roles,
        environment="demo",
        interfaces=dict(LAYOUT),
    )


def ha_configs(count: int = 3) -> tuple[dict[str, NodeConfig], PayloadData, dict[str, dict[str, str]]]:
    """`count` controllers (listed out of order on purpose) and a compute, as a deploy builds them."""
    env = new_environment("demo", RELEASE, "neutron-gre")
    picked = [n for n in NAMES if n[1] != ["controller"] or int(n[0][-1]) <= count]
    nodes = [make_node(i + 1, name, roles) for i, (name, roles) in enumerate(picked)]
    base = node_configs(env, RELEASE, nodes, apply_vlans=False)
    allocation = allocate(env, RELEASE, nodes)
    roles = deploy_roles([(n.name, n.roles) for n in nodes], ["controller"])
    primary = [name for name, r in roles.items() if "primary-controller" in r]
    controllers = primary + sorted(n for n, r in roles.items() if "controller" in r and n not in primary)
    addresses = {n.name: allocation.addresses[n.mac] for n in nodes}
    data = build_payload(
        env, RELEASE, allocation.vips, controllers, "10.20.0.2", KEY, PayloadSecrets.generate(), addresses
    )
    assert data is not None
    by_name = {cfg.name: cfg.model_copy(update={"payload": data}) for cfg in base.values()}
    mgmt = {n.name: allocation.addresses[n.mac]["management"].split("/")[0] for n in nodes}
    return by_name, data, {"management": mgmt}


def body(script: str, path: str) -> str:
    """The content a script writes to `path` (its here-document)."""
    found = re.search(re.escape(path) + r" \S+ \S+ <<'(FUELTUI_EOF_*)' \|\| true\n(.*?)\n\1\n", script, re.S)
    assert found, f"{path} not written"
    return found.group(2)


def ini_of(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, allow_no_value=True)
    parser.read_string(text)
    return parser


def test_the_primary_is_the_first_controller_by_name_and_every_controller_is_known() -> None:
    cfgs, data, _ = ha_configs()
    assert data.controllers == ["ctrl-1", "ctrl-2", "ctrl-3"]
    assert ha.is_ha(data) and ha.is_primary(NodeView.of(cfgs["ctrl-1"]))
    assert not ha.is_primary(NodeView.of(cfgs["ctrl-2"])) and not ha.is_primary(NodeView.of(cfgs["comp-1"]))
    assert set(data.controller_addresses) == {"ctrl-1", "ctrl-2", "ctrl-3"}


def test_galera_cluster_address_lists_every_controllers_management_ip() -> None:
    cfgs, data, ips = ha_configs()
    mgmt = ips["management"]
    for name in ("ctrl-1", "ctrl-2", "ctrl-3"):
        script = render("payload:mysql", cfgs[name])
        galera = ini_of(body(script, "/etc/mysql/mariadb.conf.d/99-fueltui-galera.cnf"))["galera"]
        assert galera["wsrep_cluster_address"] == "gcomm://" + ",".join(mgmt[c] for c in data.controllers)
        assert galera["wsrep_node_address"] == mgmt[name] and galera["wsrep_sst_method"] == "rsync"
        mysqld = ini_of(body(script, "/etc/mysql/mariadb.conf.d/99-fueltui.cnf"))["mysqld"]
        assert mysqld["bind-address"] == mgmt[name]  # HAProxy has the VIP's port
        # Only the primary bootstraps a cluster and makes the users (Galera replicates them).
        assert ("mariadb bootstrap" in script) == (name == "ctrl-1")
        assert ("grants.sql" in script) == (name == "ctrl-1")


def test_rabbitmq_others_join_the_primary_and_share_its_cookie() -> None:
    cfgs, data, ips = ha_configs()
    primary, other = render("payload:rabbitmq", cfgs["ctrl-1"]), render("payload:rabbitmq", cfgs["ctrl-2"])
    cookie = data.secrets["erlang_cookie"]
    assert (
        body(primary, "/var/lib/rabbitmq/.erlang.cookie")
        == cookie
        == body(other, "/var/lib/rabbitmq/.erlang.cookie")
    )
    assert "join_cluster rabbit@ctrl-1" in other and "join_cluster" not in primary
    assert "add_user openstack" in primary and "add_user" not in other
    assert (
        body(other, "/etc/rabbitmq/rabbitmq.conf").splitlines()[0]
        == f"listeners.tcp.1 = {ips['management']['ctrl-2']}:5672"
    )


def test_every_service_lists_every_controllers_rabbitmq_and_memcached() -> None:
    cfgs, data, ips = ha_configs()
    mgmt = [ips["management"][c] for c in data.controllers]
    password = data.secrets["rabbit"]
    expected = "rabbit://" + ",".join(f"openstack:{password}@{ip}:5672" for ip in mgmt) + "/"
    for name in ("ctrl-2", "comp-1"):
        view = NodeView.of(cfgs[name])
        assert ini_of(nova_conf(view))["DEFAULT"]["transport_url"] == expected
        assert ini_of(neutron_conf(view))["DEFAULT"]["transport_url"] == expected
    memcached = ",".join(f"{ip}:11211" for ip in mgmt)
    assert (
        ini_of(nova_conf(NodeView.of(cfgs["ctrl-3"])))["keystone_authtoken"]["memcached_servers"] == memcached
    )
    keystone = ini_of(body(render("payload:keystone", cfgs["ctrl-2"]), "/etc/keystone/keystone.conf"))
    assert keystone["cache"]["memcache_servers"] == memcached
    assert f"'LOCATION': {[f'{ip}:11211' for ip in mgmt]!r}" in horizon_settings(data)


def test_haproxy_has_every_controller_behind_both_vips() -> None:
    cfgs, data, ips = ha_configs()
    cfg = body(render("payload:vips", cfgs["ctrl-3"]), "/etc/haproxy/haproxy.cfg")
    sections = {block.split("\n")[0].strip(): block for block in cfg.split("\nlisten ")[1:]}
    assert {"mysql", "keystone", "glance", "placement", "nova-api", "nova-metadata", "novnc", "neutron",
            "horizon"} <= set(sections)  # fmt: skip
    keystone = sections["keystone"]
    assert f"bind {data.management_vip}:5000" in keystone and f"bind {data.public_vip}:5000" in keystone
    for name in data.controllers:
        assert f"server {name} {ips['management'][name]}:5000 check" in keystone
    # Galera takes writes on one node: the others are backups; the public VIP has no database.
    mysql = sections["mysql"]
    assert f"bind {data.public_vip}" not in mysql
    assert (
        re.search(r"server ctrl-1 \S+:3306 check[^\n]*\n", mysql) and "backup" not in mysql.split("ctrl-2")[0]
    )
    assert mysql.count(" backup") == 2


def test_keepalived_gives_the_primary_the_highest_priority_and_unicast_peers() -> None:
    cfgs, data, _ = ha_configs()
    confs = {name: body(render("payload:vips", cfgs[name]), "/etc/keepalived/keepalived.conf")
             for name in data.controllers}  # fmt: skip
    priorities = {name: [int(p) for p in re.findall(r"priority (\d+)", c)] for name, c in confs.items()}
    assert len(set(map(tuple, priorities.values()))) == 3
    assert all(priorities["ctrl-1"][0] > priorities[o][0] for o in ("ctrl-2", "ctrl-3"))
    own = data.controller_addresses
    mgmt_block = confs["ctrl-2"].split("vrrp_instance vip_public")[0]
    assert f"unicast_src_ip {own['ctrl-2']['management']}" in mgmt_block
    peers = re.search(r"unicast_peer \{\n(.*?)\n  \}", mgmt_block, re.S).group(1).split()  # type: ignore[union-attr]
    assert peers == [own["ctrl-1"]["management"], own["ctrl-3"]["management"]]
    assert f"{data.management_vip}/{data.management_prefix} dev eth1" in mgmt_block
    assert f"{data.public_vip}/{data.public_prefix} dev br-ex" in confs["ctrl-2"]


def test_keepalived_checks_the_haproxy_of_its_pidfile_not_neutrons_metadata_proxies(tmp_path: Path) -> None:
    """A controller hosting a router runs Neutron's haproxy (metadata proxy): with its own
    HAProxy dead, `pgrep haproxy` still found one and keepalived kept the VIPs there."""
    cfgs, _, _ = ha_configs()
    vips = render("payload:vips", cfgs["ctrl-2"])
    conf = body(vips, "/etc/keepalived/keepalived.conf")
    assert f'script "{ha.HAPROXY_CHECK}"' in conf and "pgrep" not in conf
    check = tmp_path / "check"
    check.write_text(body(vips, ha.HAPROXY_CHECK) + "\n")
    check.chmod(0o755)
    # Processes named haproxy and sleep (the kernel's comm is the executable's file name).
    named = tmp_path / "haproxy"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", named)
    theirs = subprocess.Popen([named, "60"])  # Neutron's metadata proxy: not in the pidfile
    ours = subprocess.Popen([named, "60"])
    other = subprocess.Popen(["sleep", "60"])  # a pid the kernel gave again to another program
    pidfile = tmp_path / "haproxy.pid"
    try:

        def healthy() -> bool:
            return subprocess.run([check, pidfile]).returncode == 0

        assert not healthy()  # no pidfile: the init script never started it
        pidfile.write_text(f"{ours.pid}\n")
        assert healthy()
        pidfile.write_text(f"{other.pid}\n")
        assert not healthy()
        ours.kill()
        ours.wait()
        pidfile.write_text(f"{ours.pid}\n")
        assert not healthy() and theirs.poll() is None  # dead, though another haproxy runs
    finally:
        for proc in (theirs, ours, other):
            proc.kill()
            proc.wait()


def test_apis_listen_on_the_management_address_and_syncs_run_on_the_primary_only() -> None:
    cfgs, _, ips = ha_configs()
    for script in ("keystone", "placement", "nova_controller", "neutron_server"):
        other = render(f"payload:{script}", cfgs["ctrl-2"])
        assert f"--http-socket {ips['management']['ctrl-2']}:" in other, script
        primary = render(f"payload:{script}", cfgs["ctrl-1"])
        syncs = re.compile(r"once \w+-db ")
        assert syncs.search(primary) and not syncs.search(other), script
    # The file neutron-api's init script sources (its NAME is neutron-server).
    neutron = render("payload:neutron_server", cfgs["ctrl-2"])
    assert ":9696/--http-socket" in body(neutron, "/etc/default/neutron-server")
    horizon = render("payload:horizon", cfgs["ctrl-3"])
    assert body(horizon, "/etc/apache2/ports.conf").endswith(f"Listen {ips['management']['ctrl-3']}:80")
    keys = [
        body(render("payload:keystone", cfgs[n]), "/etc/keystone/fernet-keys/1") for n in ("ctrl-1", "ctrl-3")
    ]
    assert keys[0] == keys[1] and len(keys[0]) == 44  # one Fernet key for every controller
    assert "haproxy" in packages_for(NodeView.of(cfgs["ctrl-2"]))
    assert "haproxy" not in packages_for(NodeView.of(cfgs["comp-1"]))


def test_one_controller_renders_no_ha() -> None:
    cfgs, data, _ = ha_configs(count=1)
    assert data.controllers == ["ctrl-1"] and not ha.is_ha(data) and data.controller_addresses == {}
    view = NodeView.of(cfgs["ctrl-1"])
    vips = render("payload:vips", cfgs["ctrl-1"])
    assert "keepalived" not in vips and f"ip addr replace {data.management_vip}/" in vips
    assert "haproxy" not in packages_for(view) and "galera" not in render("payload:mysql", cfgs["ctrl-1"])
    assert ini_of(nova_conf(view))["DEFAULT"]["transport_url"].endswith(f"@{data.management_vip}:5672/")


def test_every_ha_script_renders_and_sh_accepts_it() -> None:
    cfgs, _, _ = ha_configs()
    graph = graph_for_release(RELEASE)
    sh = shutil.which("sh")
    assert sh is not None
    roles = {"ctrl-1": {"*", "primary-controller"}, "ctrl-2": {"*", "controller"}, "comp-1": {"*", "compute"}}
    count = 0
    for name, wanted in roles.items():
        for task in graph.node_tasks:
            if task.type == "script" and wanted & set(task.roles):
                text = render(str(task.parameters["source"]), cfgs[name])
                proc = subprocess.run([sh, "-n"], input=text, text=True, capture_output=True)
                assert proc.returncode == 0, (name, task.id, proc.stderr)
                count += 1
    assert count >= 30
