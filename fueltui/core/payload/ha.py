"""HA with several controllers, Fuel's recommended layout: MariaDB Galera, a RabbitMQ cluster,
HAProxy on every controller in front of the APIs, keepalived (VRRP) owning the VIPs.

With one controller none of this is rendered: the VIPs are plain addresses on it and its
services listen on them directly (see `system.render_vips`). With more, every service
listens on its controller's management address only and HAProxy listens on the VIPs'
ports (`ip_nonlocal_bind`: a controller without the VIP binds them too, so a moved VIP is
served at once). keepalived speaks VRRP to its peers by unicast: it does not depend on the
bridges passing multicast. The primary controller (the first by name) has the highest
priority, bootstraps Galera and is the node the others join in RabbitMQ.
"""

from __future__ import annotations

from dataclasses import dataclass

from fueltui.core.environment import PUBLIC
from fueltui.core.payload.data import MANAGEMENT, PayloadData
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.shell import heredoc_file, q, script

# (name, port, VIPs it listens on, how backends share the load)
#   roundrobin: stateless APIs; backup: one active backend at a time — Galera takes writes
#   on one node (no certification conflicts) and Glance's file store is per controller.
LISTENERS = (
    ("mysql", 3306, "management", "backup"),
    ("keystone", 5000, "both", "roundrobin"),
    ("glance", 9292, "both", "backup"),
    ("placement", 8778, "both", "roundrobin"),
    ("nova-api", 8774, "both", "roundrobin"),
    ("nova-metadata", 8775, "management", "roundrobin"),
    ("novnc", 6080, "both", "source"),
    ("neutron", 9696, "both", "roundrobin"),
    ("horizon", 80, "both", "source"),
)
HTTP_LISTENERS = {"keystone", "glance", "placement", "nova-api", "nova-metadata", "neutron", "horizon"}
# The uwsgi APIs' init scripts pass `--http-socket :PORT` (every address): an
# /etc/default/NAME file (sourced after) narrows it to the controller's management address.
UWSGI_PORTS = {"keystone": 5000, "placement-api": 8778, "nova-api": 8774, "nova-api-metadata": 8775,
               "neutron-api": 9696}  # fmt: skip
# The file an init script sources is /etc/default/$NAME: neutron-api's NAME is neutron-server.
DEFAULTS_NAME = {"neutron-api": "neutron-server"}
VRRP_IDS = {MANAGEMENT: 51, PUBLIC: 52}
# keepalived's health check of the controller's own HAProxy (see `haproxy_check`).
HAPROXY_CHECK = "/etc/keepalived/fueltui-check-haproxy"
HAPROXY_PIDFILE = "/run/haproxy.pid"  # the config's and Debian's init script's (/var/run → /run)


def is_ha(data: PayloadData) -> bool:
    return len(data.controllers) > 1


def is_primary(view: NodeView) -> bool:
    """The primary controller: the first of the payload's controllers (the deploy's order)."""
    return view.controller and (not view.data.controllers or view.data.controllers[0] == view.name)


@dataclass(frozen=True)
class Member:
    name: str
    management: str
    public: str | None


def members(data: PayloadData) -> list[Member]:
    """Every controller with its addresses, the primary first."""
    found = []
    for name in data.controllers:
        addresses = data.controller_addresses.get(name, {})
        if MANAGEMENT not in addresses:
            continue
        found.append(Member(name, addresses[MANAGEMENT], addresses.get(PUBLIC)))
    return found


def management_ips(data: PayloadData) -> list[str]:
    return [m.management for m in members(data)]


def memcached_servers(data: PayloadData) -> str:
    """memcached on every controller (each a separate cache; clients hash keys over them)."""
    if not is_ha(data):
        return f"{data.management_vip}:11211"
    return ",".join(f"{ip}:11211" for ip in management_ips(data))


def rabbit_hosts(data: PayloadData) -> list[str]:
    return management_ips(data) if is_ha(data) else [data.management_vip]


def priority(view: NodeView) -> int:
    """VRRP priority: the primary highest, then the others in the deploy's order."""
    names = view.data.controllers
    index = names.index(view.name) if view.name in names else len(names)
    return max(1, 150 - 10 * index)


# --------------------------------------------------------------------------- galera


def galera_cnf(view: NodeView) -> str:
    ips = ",".join(management_ips(view.data))
    return (
        "# fueltui: MariaDB Galera across the controllers (written for HA layouts only).\n"
        "[galera]\n"
        "wsrep_on = ON\n"
        "wsrep_provider = /usr/lib/galera/libgalera_smm.so\n"
        f"wsrep_cluster_name = fueltui-{view.cfg.environment}\n"
        f"wsrep_cluster_address = gcomm://{ips}\n"
        f"wsrep_node_address = {view.management_ip}\n"
        f"wsrep_node_name = {view.name}\n"
        # rsync: in mariadb-server's own dependencies, nothing else to install.
        "wsrep_sst_method = rsync\n"
        "wsrep_slave_threads = 2\n"
        "binlog_format = ROW\n"
        "default_storage_engine = InnoDB\n"
        "innodb_autoinc_lock_mode = 2\n"
        "innodb_flush_log_at_trx_commit = 2\n"
    )


SAFE_TO_BOOTSTRAP = (
    "sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' /var/lib/mysql/grastate.dat 2>/dev/null || true"
)


def galera_start(view: NodeView) -> list[str]:
    """Start MariaDB as a Galera member. The primary bootstraps a new cluster only when no
    other controller's Galera port answers (first deploy, or every node was down); any
    other start joins the running cluster (and receives its state by rsync)."""
    peers = [m.management for m in members(view.data) if m.name != view.name]
    lines = [
        "export MYSQLD_STARTUP_TIMEOUT=300  # a joiner receives the state snapshot first",
        "peer_up=''",
        f"for ip in {' '.join(q(p) for p in peers)}; do",
        '  if python3 -c "$probe_galera" "$ip" 2>/dev/null; then peer_up="$ip"; break; fi',
        "done",
    ]
    if is_primary(view):
        lines += [
            'if [ -z "$peer_up" ] && ! /etc/init.d/mariadb status >/dev/null 2>&1; then',
            f"  {SAFE_TO_BOOTSTRAP}",
            "  /etc/init.d/mariadb bootstrap </dev/null >/run/fueltui-svc.log 2>&1 || "
            "{ cat /run/fueltui-svc.log; say 'mariadb: bootstrap failed'; exit 1; }",
            "  say 'mariadb: bootstrapped a new Galera cluster'",
            'elif [ -z "$peer_up" ] && [ "$FT_CHANGED" = 1 ]; then',
            # The only member: a restart would end the cluster; bootstrap it again instead.
            "  /etc/init.d/mariadb stop </dev/null >/dev/null 2>&1 || true",
            f"  {SAFE_TO_BOOTSTRAP}",
            "  /etc/init.d/mariadb bootstrap </dev/null >/run/fueltui-svc.log 2>&1 || "
            "{ cat /run/fueltui-svc.log; say 'mariadb: bootstrap failed'; exit 1; }",
            "  say 'mariadb: bootstrapped the Galera cluster again (new settings)'",
            "else",
            "  svc mariadb",
            "fi",
        ]
    else:
        lines += [
            'if [ -z "$peer_up" ] && ! /etc/init.d/mariadb status >/dev/null 2>&1; then',
            "  say 'mariadb: no Galera member answers to join (the primary controller deploys first)'",
            "  exit 1",
            "fi",
            "svc mariadb",
        ]
    lines += [
        'n=0; until [ "$(mariadb -N -B -e "SHOW STATUS LIKE \'wsrep_local_state_comment\'" 2>/dev/null '
        "| awk '{print $2}')\" = Synced ]; do n=$((n+1)); "
        "[ $n -lt 300 ] || { say 'mariadb: not Synced with the Galera cluster'; exit 1; }; sleep 1; done",
        "say \"galera: $(mariadb -N -B -e \"SHOW STATUS LIKE 'wsrep_cluster_size'\" | awk '{print $2}') "
        'member(s), this one Synced"',
    ]
    return [
        "probe_galera='import socket,sys; socket.create_connection((sys.argv[1], 4567), 2).close()'",
        *lines,
    ]


# --------------------------------------------------------------------------- rabbitmq


def rabbit_cookie(view: NodeView) -> str:
    """The cluster's shared Erlang cookie (generated per environment with its secrets)."""
    return heredoc_file(
        "/var/lib/rabbitmq/.erlang.cookie", "0400", "rabbitmq:rabbitmq", view.data.secrets["erlang_cookie"]
    )


def rabbit_join(view: NodeView) -> list[str]:
    """A controller other than the primary joins the primary's cluster (once)."""
    primary = view.data.controllers[0]
    node = q(f"rabbit@{primary}")
    return [
        f"if rabbitmqctl -q cluster_status --formatter json | grep -q {q(f'rabbit@{primary}')}; then",
        f"  say {q(f'rabbitmq: in the cluster of rabbit@{primary}')}",
        "else",
        "  rabbitmqctl -q stop_app",
        "  rabbitmqctl -q reset",
        f"  rabbitmqctl -q join_cluster {node}",
        "  rabbitmqctl -q start_app",
        f"  say {q(f'rabbitmq: joined the cluster of rabbit@{primary}')}",
        "fi",
        "timeout 120 rabbitmqctl -q await_startup || { say 'rabbitmq did not start'; exit 1; }",
    ]


# --------------------------------------------------------------------------- listen addresses


def uwsgi_bind(view: NodeView, service: str) -> str:
    """/etc/default/SERVICE narrowing the init script's `--http-socket :PORT`."""
    port = UWSGI_PORTS[service]
    name = DEFAULTS_NAME.get(service, service)
    content = (
        "# fueltui (HA): listen on this controller's management address; HAProxy has the VIPs.\n"
        f'DAEMON_ARGS=$(printf "%s" "$DAEMON_ARGS" | sed "s/--http-socket :{port}/'
        f'--http-socket {view.management_ip}:{port}/")\n'
    )
    return heredoc_file(f"/etc/default/{name}", "0644", "root:root", content)


def apache_ports(view: NodeView) -> str:
    # Public TLS: Horizon's HTTPS on the management address too (HAProxy passes 443 through).
    tls = f"Listen {view.management_ip}:443\n" if view.data.tls is not None else ""
    return heredoc_file(
        "/etc/apache2/ports.conf",
        "0644",
        "root:root",
        "# fueltui (HA): Horizon on the management address; HAProxy has the VIPs.\n"
        f"Listen {view.management_ip}:80\n" + tls,
    )


def wait_vip(url: str, what: str, seconds: int = 90) -> str:
    """Until HAProxy serves `url` (its checks mark a fresh backend up within seconds: until
    then it answers 503)."""
    return (
        f"n=0; until code=$(curl -s -o /dev/null --max-time 5 -w '%{{http_code}}' {q(url)}) && "
        '[ "$code" != 503 ] && [ "$code" != 000 ]; do n=$((n+1)); '
        f"[ $n -lt {seconds} ] || {{ say {q(f'{what} does not answer at {url} (HAProxy)')}; exit 1; }}; "
        "sleep 1; done"
    )


# --------------------------------------------------------------------------- haproxy, keepalived


def haproxy_cfg(view: NodeView) -> str:
    data = view.data
    lines = [
        "# fueltui: HAProxy on every controller, in front of the services on the VIPs.",
        "global",
        "  log /dev/log local0 warning",
        "  maxconn 4096",
        f"  pidfile {HAPROXY_PIDFILE}",
        "  user haproxy",
        "  group haproxy",
        "  daemon",
        "",
        "defaults",
        "  log global",
        "  option redispatch",
        "  retries 3",
        "  timeout connect 5s",
        "  timeout client 10m",
        "  timeout server 10m",
        "  timeout check 5s",
        "",
    ]
    # Public TLS: HTTPS passed through to Apache on the controllers (they hold the pair).
    tls = (("horizon-tls", 443, "both", "source"),) if data.tls is not None else ()
    for name, port, vips, balance in (*LISTENERS, *tls):
        binds = [data.management_vip] if vips == "management" else [data.management_vip, data.public_vip]
        lines.append(f"listen {name}")
        lines += [f"  bind {vip}:{port}" for vip in dict.fromkeys(binds)]
        if name in HTTP_LISTENERS:
            lines += ["  mode http", "  option httplog", "  option forwardfor"]
        else:
            lines += ["  mode tcp", "  option tcplog"]
        if name == "mysql":
            # Pooled database connections idle for long: longer than oslo.db's recycle time.
            lines += ["  timeout client 90m", "  timeout server 90m"]
        lines.append(f"  balance {'roundrobin' if balance == 'backup' else balance}")
        for index, member in enumerate(members(data)):
            backup = " backup" if balance == "backup" and index > 0 else ""
            lines.append(
                f"  server {member.name} {member.management}:{port} check inter 2s rise 2 fall 3{backup}"
            )
        lines.append("")
    return "\n".join(lines)


def haproxy_check() -> str:
    """The script keepalived runs each second: is the HAProxy the init script started alive?

    Not `pgrep haproxy`: Neutron's L3 and DHCP agents run haproxy too (one metadata proxy per
    router or network), so a controller hosting a router looked healthy with its own HAProxy
    dead and kept the VIPs. The pidfile the init script passes (`-p`) names the right one; a
    pidfile may be given as the first argument (the tests do).
    """
    return f"""#!/bin/sh
# fueltui: is this controller's HAProxy (the init script's pidfile) running?
for pid in $(cat "${{1:-{HAPROXY_PIDFILE}}}" 2>/dev/null); do
  case $pid in ''|*[!0-9]*) continue ;; esac
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = haproxy ] && exit 0
done
exit 1
"""


def keepalived_conf(view: NodeView) -> str:
    data = view.data
    own = priority(view)
    lines = [
        "# fueltui: keepalived owns the VIPs; VRRP by unicast to the other controllers.",
        "global_defs {",
        f"  router_id {view.name}",
        "  enable_script_security",
        "  script_user root",
        "}",
        "",
        "vrrp_script chk_haproxy {",
        f'  script "{HAPROXY_CHECK}"',
        "  interval 1",
        "  fall 2",
        "  rise 2",
        "}",
        "",
    ]
    auth = data.secrets["vrrp"][:8]
    for network, vip, prefix, device in (
        (MANAGEMENT, data.management_vip, data.management_prefix, view.device(MANAGEMENT)),
        (PUBLIC, data.public_vip, data.public_prefix, "br-ex"),  # the public NIC is br-ex's port
    ):
        source = view.ip(network)
        peers = [
            (m.management if network == MANAGEMENT else m.public)
            for m in members(data)
            if m.name != view.name
        ]
        lines += [
            f"vrrp_instance vip_{network} {{",
            "  state BACKUP",
            f"  interface {device}",
            f"  virtual_router_id {VRRP_IDS[network]}",
            f"  priority {own}",
            "  advert_int 1",
            f"  unicast_src_ip {source}",
            "  unicast_peer {",
            *[f"    {ip}" for ip in peers if ip],
            "  }",
            "  authentication {",
            "    auth_type PASS",
            f"    auth_pass {auth}",
            "  }",
            "  virtual_ipaddress {",
            f"    {vip}/{prefix} dev {device}",
            "  }",
            "  track_script {",
            "    chk_haproxy",
            "  }",
            "}",
            "",
        ]
    return "\n".join(lines)


def render_vips_ha(view: NodeView) -> str:
    data = view.data
    vips = [(data.management_vip, data.management_prefix), (data.public_vip, data.public_prefix)]
    lines = [
        # HAProxy binds the VIPs' ports on every controller, holding the VIP or not.
        '[ "$(cat /proc/sys/net/ipv4/ip_nonlocal_bind)" = 1 ] || '
        "{ echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind; say 'ip_nonlocal_bind: on'; }",
        "mkdir -p /run/haproxy /var/lib/haproxy",
        "FT_CHANGED=0",
        heredoc_file("/etc/haproxy/haproxy.cfg", "0644", "root:root", haproxy_cfg(view)),
        'out=$(haproxy -c -f /etc/haproxy/haproxy.cfg 2>&1) || { say "$out"; exit 1; }',
        "svc haproxy",
        "FT_CHANGED=0",
        heredoc_file(HAPROXY_CHECK, "0755", "root:root", haproxy_check()),
        heredoc_file("/etc/keepalived/keepalived.conf", "0600", "root:root", keepalived_conf(view)),
        "if ! /etc/init.d/keepalived status >/dev/null 2>&1; then",
        # A VIP left as a plain address (a former one-controller layout) is keepalived's now.
        *[
            f"  for d in $(ip -4 -o addr show to {q(vip)} | awk '{{print $2}}'); do "
            f'ip addr del {q(f"{vip}/{prefix}")} dev "$d" 2>/dev/null || true; done'
            for vip, prefix in vips
        ],
        "fi",
        "svc keepalived",
    ]
    if is_primary(view):
        # The primary has the highest priority: the VIPs come to it.
        for vip, _ in vips:
            lines.append(
                f"n=0; until ip -4 -o addr show to {q(vip)} | grep -q .; do n=$((n+1)); "
                f"[ $n -lt 30 ] || {{ say {q(f'keepalived did not bring {vip} here')}; exit 1; }}; "
                "sleep 1; done"
            )
    lines += [
        "for vip in " + " ".join(q(v) for v, _ in vips) + "; do",
        "  d=$(ip -4 -o addr show to \"$vip\" | awk '{print $2; exit}')",
        '  if [ -n "$d" ]; then say "VIP $vip on $d (keepalived: master here)"; '
        'else say "VIP $vip: on another controller (keepalived: backup here)"; fi',
        "done",
    ]
    return script("vips", lines)
