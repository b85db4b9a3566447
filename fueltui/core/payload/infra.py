"""The controller's shared services: MariaDB, RabbitMQ, memcached."""

from __future__ import annotations

from fueltui.core.payload import ha
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.shell import heredoc_file, q, script

# Databases per service user (nova has three).
DATABASES = {
    "keystone": ["keystone"],
    "glance": ["glance"],
    "placement": ["placement"],
    "nova": ["nova", "nova_api", "nova_cell0"],
    "neutron": ["neutron"],
}


def _sql_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def grants_sql(view: NodeView) -> str:
    secrets = view.data.secrets
    lines = ["-- fueltui: every service's databases and user; safe to run again."]
    for user, databases in DATABASES.items():
        password = _sql_quote(secrets[f"db_{user}"])
        lines.append(f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY {password};")
        lines.append(f"ALTER USER '{user}'@'%' IDENTIFIED BY {password};")
        for db in databases:
            lines.append(
                f"CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci;"
            )
            lines.append(f"GRANT ALL PRIVILEGES ON `{db}`.* TO '{user}'@'%';")
    lines.append("DROP USER IF EXISTS ''@'localhost';")
    lines.append("FLUSH PRIVILEGES;")
    return "\n".join(lines) + "\n"


def render_mysql(view: NodeView) -> str:
    if ha.is_ha(view.data):
        return render_mysql_ha(view)
    binds = ",".join(dict.fromkeys([view.management_ip, view.data.management_vip]))
    cnf = mysqld_cnf(binds)
    return script(
        "mysql",
        [
            "mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld",
            heredoc_file("/etc/mysql/mariadb.conf.d/99-fueltui.cnf", "0644", "root:root", cnf),
            "svc mariadb",
            "n=0; until mariadb-admin ping >/dev/null 2>&1; do n=$((n+1)); "
            "[ $n -lt 60 ] || { say 'mariadb does not answer'; exit 1; }; sleep 1; done",
            heredoc_file("/etc/fueltui/payload/grants.sql", "0600", "root:root", grants_sql(view)),
            "mariadb < /etc/fueltui/payload/grants.sql",
            f"wait_port {q(view.data.management_vip)} 3306 30 MariaDB",
            "say 'databases and users in place'",
        ],
    )


def render_mysql_ha(view: NodeView) -> str:
    """A Galera member on its management address; HAProxy has the VIP's port. Users and
    databases are made on the primary only (Galera replicates them)."""
    lines = [
        "mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld",
        heredoc_file(
            "/etc/mysql/mariadb.conf.d/99-fueltui.cnf", "0644", "root:root", mysqld_cnf(view.management_ip)
        ),
        heredoc_file(
            "/etc/mysql/mariadb.conf.d/99-fueltui-galera.cnf", "0644", "root:root", ha.galera_cnf(view)
        ),
        *ha.galera_start(view),
    ]
    if ha.is_primary(view):
        lines += [
            heredoc_file("/etc/fueltui/payload/grants.sql", "0600", "root:root", grants_sql(view)),
            "mariadb < /etc/fueltui/payload/grants.sql",
        ]
    lines += [
        f"wait_port {q(view.data.management_vip)} 3306 60 'MariaDB (HAProxy on the VIP)'",
        "say 'databases and users in place'",
    ]
    return script("mysql", lines)


def mysqld_cnf(binds: str) -> str:
    return (
        "# fueltui: MariaDB for the OpenStack services, on the management network only.\n"
        "[mysqld]\n"
        f"bind-address = {binds}\n"
        "max_connections = 500\n"
        "character-set-server = utf8mb3\n"
        "collation-server = utf8mb3_general_ci\n"
        "skip-name-resolve\n"
        "innodb_buffer_pool_size = 96M\n"
        "innodb_log_file_size = 32M\n"
        "performance_schema = off\n"
    )


def render_rabbitmq(view: NodeView) -> str:
    if ha.is_ha(view.data):
        return render_rabbitmq_ha(view)
    password = view.data.secrets["rabbit"]
    env = (
        "# fueltui: RabbitMQ listens on the management network only (rabbitmq.conf).\n"
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='+S 1:1 +A 8'\n"
    )
    conf = (
        f"listeners.tcp.1 = {view.management_ip}:5672\n"
        f"listeners.tcp.2 = {view.data.management_vip}:5672\n"
        "loopback_users.guest = true\n"
    )
    return script(
        "rabbitmq",
        [
            heredoc_file("/etc/rabbitmq/rabbitmq-env.conf", "0644", "root:root", env),
            heredoc_file("/etc/rabbitmq/rabbitmq.conf", "0644", "root:root", conf),
            "svc rabbitmq-server",
            "timeout 120 rabbitmqctl -q await_startup || { say 'rabbitmq did not start'; exit 1; }",
            *rabbit_user(password),
            f"wait_port {q(view.data.management_vip)} 5672 30 RabbitMQ",
            "say 'rabbitmq: user openstack ready'",
        ],
    )


def render_rabbitmq_ha(view: NodeView) -> str:
    """A member of the controllers' RabbitMQ cluster (the others join the primary); clients
    list every controller in their transport_url."""
    env = (
        "# fueltui: RabbitMQ listens on the management network only (rabbitmq.conf).\n"
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='+S 1:1 +A 8'\n"
    )
    conf = f"listeners.tcp.1 = {view.management_ip}:5672\nloopback_users.guest = true\n"
    lines = [
        "mkdir -p /var/lib/rabbitmq && chown rabbitmq:rabbitmq /var/lib/rabbitmq",
        ha.rabbit_cookie(view),
        heredoc_file("/etc/rabbitmq/rabbitmq-env.conf", "0644", "root:root", env),
        heredoc_file("/etc/rabbitmq/rabbitmq.conf", "0644", "root:root", conf),
        "svc rabbitmq-server",
        "timeout 120 rabbitmqctl -q await_startup || { say 'rabbitmq did not start'; exit 1; }",
    ]
    if ha.is_primary(view):
        lines += rabbit_user(view.data.secrets["rabbit"])
    else:
        lines += ha.rabbit_join(view)
    lines += [
        f"wait_port {q(view.management_ip)} 5672 30 RabbitMQ",
        'say "rabbitmq: $(rabbitmqctl -q cluster_status --formatter json | python3 -c '
        '\'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))\') node(s) running"',
    ]
    return script("rabbitmq", lines)


def rabbit_user(password: str) -> list[str]:
    return [
        "if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx openstack; then",
        f"  rabbitmqctl -q authenticate_user openstack {q(password)} >/dev/null 2>&1 || "
        f"rabbitmqctl -q change_password openstack {q(password)}",
        "else",
        f"  rabbitmqctl -q add_user openstack {q(password)}",
        "fi",
        "rabbitmqctl -q set_permissions openstack '.*' '.*' '.*'",
        "if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx guest; then",
        "  rabbitmqctl -q delete_user guest",
        "fi",
    ]


def render_memcached(view: NodeView) -> str:
    if ha.is_ha(view.data):  # one per controller, each on its own address (no VIP)
        listen = view.management_ip
        conf = (
            f"# fueltui\n-d\nlogfile /var/log/memcached.log\n-m 64\n-p 11211\n-u memcache\n-l {listen}\n"
            "-c 1024\n"
        )
        return script(
            "memcached",
            [
                heredoc_file("/etc/memcached.conf", "0644", "root:root", conf),
                "svc memcached",
                f"wait_port {q(listen)} 11211 20 memcached",
            ],
        )
    listen = ",".join(dict.fromkeys([view.management_ip, view.data.management_vip]))
    conf = (
        f"# fueltui\n-d\nlogfile /var/log/memcached.log\n-m 64\n-p 11211\n-u memcache\n-l {listen}\n-c 1024\n"
    )
    return script(
        "memcached",
        [
            heredoc_file("/etc/memcached.conf", "0644", "root:root", conf),
            "svc memcached",
            f"wait_port {q(view.data.management_vip)} 11211 20 memcached",
        ],
    )
