"""The controller's OpenStack services: Keystone, Glance, Placement, Nova, Neutron server, Horizon.

Each script writes its service's configuration whole (oslo.config INI rendered here), syncs
the database once per package version, registers nothing by hand (Keystone's task registers
every service, user and endpoint in one process) and starts or restarts the service.
"""

from __future__ import annotations

from fueltui.core.payload import ha, horizontls
from fueltui.core.payload.data import PayloadData
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.remote import remote_program
from fueltui.core.payload.shell import heredoc_file, ini, q, script

# uwsgi processes per API: the packages' 8 each would cost gigabytes on a lab controller.
UWSGI_PROCESSES = {"keystone": 2, "glance-api": 1, "placement-api": 1, "nova-api": 2, "nova-api-metadata": 1,
                   "neutron-api": 2}  # fmt: skip
UWSGI_INI = {
    "keystone": "/etc/keystone/keystone-uwsgi.ini",
    "glance-api": "/etc/glance/glance-api-uwsgi.ini",
    "placement-api": "/etc/placement/placement-api-uwsgi.ini",
    "nova-api": "/etc/nova/nova-api-uwsgi.ini",
    "nova-api-metadata": "/etc/nova/nova-api-metadata-uwsgi.ini",
    "neutron-api": "/etc/neutron/neutron-api-uwsgi.ini",
}


def db_url(data: PayloadData, user: str, database: str | None = None) -> str:
    return f"mysql+pymysql://{user}:{data.secrets[f'db_{user}']}@{data.management_vip}/{database or user}"


def rabbit_url(data: PayloadData) -> str:
    """Every controller's RabbitMQ in HA (oslo.messaging fails over between them)."""
    hosts = ",".join(f"openstack:{data.secrets['rabbit']}@{host}:5672" for host in ha.rabbit_hosts(data))
    return f"rabbit://{hosts}/"


def service_auth(data: PayloadData, user: str) -> dict[str, object]:
    """A service user's credentials, as [keystone_authtoken], [placement], [neutron] take them."""
    return {
        "auth_url": f"http://{data.management_vip}:5000",
        "auth_type": "password",
        "project_domain_name": "Default",
        "user_domain_name": "Default",
        "region_name": data.region,
        "project_name": "service",
        "username": user,
        "password": data.secrets[f"user_{user}"],
    }


def authtoken(data: PayloadData, user: str) -> dict[str, object]:
    return {
        "www_authenticate_uri": f"http://{data.management_vip}:5000",
        "memcached_servers": ha.memcached_servers(data),
        "service_token_roles_required": True,
        **service_auth(data, user),
    }


def uwsgi_tuning(service: str) -> list[str]:
    """Fewer uwsgi processes; no AppArmor plugin (not there in a lab node)."""
    path = q(UWSGI_INI[service])
    count = UWSGI_PROCESSES[service]
    return [
        f'[ "$(crudini --get {path} uwsgi processes 2>/dev/null)" = {count} ] || '
        f"{{ crudini --set {path} uwsgi processes {count}; FT_CHANGED=1; }}",
        f"if crudini --get {path} uwsgi apparmor-profile >/dev/null 2>&1; then "
        f"crudini --del {path} uwsgi apparmor-profile; crudini --set {path} uwsgi plugins python3; "
        "FT_CHANGED=1; fi",
    ]


def render_keystone(view: NodeView) -> str:
    data = view.data
    conf = ini(
        {
            "DEFAULT": {"debug": data.debug or None, "log_dir": "/var/log/keystone", "use_stderr": False},
            "database": {"connection": db_url(data, "keystone")},
            "token": {"provider": "fernet"},
            "cache": {
                "enabled": True,
                "backend": "oslo_cache.memcache_pool",
                "memcache_servers": ha.memcached_servers(data),
            },
        },
        "Keystone",
    )
    bootstrap = (
        "keystone-manage bootstrap --bootstrap-username admin --bootstrap-project-name admin "
        f"--bootstrap-admin-url {q(data.keystone_internal)} "
        f"--bootstrap-internal-url {q(data.keystone_internal)} "
        f"--bootstrap-public-url {q(data.keystone_public)} --bootstrap-region-id {q(data.region)}"
    )
    if ha.is_ha(data):
        return render_keystone_ha(view, conf)
    return script(
        "keystone",
        [
            heredoc_file("/etc/keystone/keystone.conf", "0640", "root:keystone", conf),
            *uwsgi_tuning("keystone"),
            'once keystone-db "$(pkgver keystone)" as keystone keystone-manage db_sync',
            "[ -f /etc/keystone/fernet-keys/0 ] || "
            "keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone",
            "[ -f /etc/keystone/credential-keys/0 ] || "
            "keystone-manage credential_setup --keystone-user keystone --keystone-group keystone",
            "svc keystone",
            f"wait_http {q(data.keystone_internal)} 60 Keystone",
            # The password goes through the environment, never a command line.
            heredoc_file(
                "/etc/fueltui/payload/admin.env",
                "0600",
                "root:root",
                f"OS_BOOTSTRAP_PASSWORD={data.secrets['admin']}\n",
            ),
            f'once keystone-bootstrap "$(pkgver keystone) {data.keystone_public} {data.keystone_internal}" '
            f"sh -c {q('. /etc/fueltui/payload/admin.env && export OS_BOOTSTRAP_PASSWORD && ' + bootstrap)}",
            heredoc_file("/etc/openstack/clouds.yaml", "0600", "root:root", clouds_yaml(data)),
            heredoc_file("/root/openrc", "0600", "root:root", openrc(data, data.keystone_internal)),
            heredoc_file("/etc/fueltui/payload/register.py", "0700", "root:root", REGISTER_PY),
            heredoc_file("/etc/fueltui/payload/register.json", "0600", "root:root", register_spec(data)),
            "python3 /etc/fueltui/payload/register.py /etc/fueltui/payload/register.json",
        ],
    )


def render_keystone_ha(view: NodeView, conf: str) -> str:
    """Every controller runs Keystone with the same Fernet and credential keys (from the
    environment's secrets: a token issued by one validates on the others); the database,
    the bootstrap and the registration happen once, on the primary."""
    data = view.data
    keys = []
    for kind in ("fernet", "credential"):
        folder = f"/etc/keystone/{kind}-keys"
        keys += [f"mkdir -p {folder} && chown keystone:keystone {folder} && chmod 0700 {folder}"]
        keys += [
            heredoc_file(f"{folder}/{i}", "0600", "keystone:keystone", data.secrets[f"{kind}_{i}"])
            for i in (0, 1)
        ]
    lines = [
        heredoc_file("/etc/keystone/keystone.conf", "0640", "root:keystone", conf),
        *uwsgi_tuning("keystone"),
        ha.uwsgi_bind(view, "keystone"),
        *keys,
    ]
    if ha.is_primary(view):
        lines.append('once keystone-db "$(pkgver keystone)" as keystone keystone-manage db_sync')
    lines += [
        "svc keystone",
        f"wait_http http://{view.management_ip}:5000/v3 60 Keystone",
        ha.wait_vip(data.keystone_internal, "Keystone"),
        heredoc_file("/etc/openstack/clouds.yaml", "0600", "root:root", clouds_yaml(data)),
        heredoc_file("/root/openrc", "0600", "root:root", openrc(data, data.keystone_internal)),
    ]
    if ha.is_primary(view):
        bootstrap = (
            "keystone-manage bootstrap --bootstrap-username admin --bootstrap-project-name admin "
            f"--bootstrap-admin-url {q(data.keystone_internal)} "
            f"--bootstrap-internal-url {q(data.keystone_internal)} "
            f"--bootstrap-public-url {q(data.keystone_public)} --bootstrap-region-id {q(data.region)}"
        )
        lines += [
            heredoc_file(
                "/etc/fueltui/payload/admin.env",
                "0600",
                "root:root",
                f"OS_BOOTSTRAP_PASSWORD={data.secrets['admin']}\n",
            ),
            f'once keystone-bootstrap "$(pkgver keystone) {data.keystone_public} {data.keystone_internal}" '
            f"sh -c {q('. /etc/fueltui/payload/admin.env && export OS_BOOTSTRAP_PASSWORD && ' + bootstrap)}",
            heredoc_file("/etc/fueltui/payload/register.py", "0700", "root:root", REGISTER_PY),
            heredoc_file("/etc/fueltui/payload/register.json", "0600", "root:root", register_spec(data)),
            "python3 /etc/fueltui/payload/register.py /etc/fueltui/payload/register.json",
        ]
    return script("keystone", lines)


def clouds_yaml(data: PayloadData) -> str:
    return (
        "# fueltui: the cloud's admin, for the controller's own tools.\n"
        "clouds:\n"
        "  fueltui-admin:\n"
        "    auth:\n"
        f"      auth_url: {data.keystone_internal}\n"
        f"      username: {data.admin_user}\n"
        f"      password: '{data.secrets['admin']}'\n"
        f"      project_name: {data.admin_project}\n"
        "      user_domain_name: Default\n"
        "      project_domain_name: Default\n"
        f"    region_name: {data.region}\n"
        "    interface: internal\n"
        "    identity_api_version: 3\n"
    )


def openrc(data: PayloadData, auth_url: str) -> str:
    """An admin openrc (the operator's copy comes from `fueltui openrc`, with the public URL)."""
    return (
        f"export OS_AUTH_URL={q(auth_url)}\n"
        "export OS_IDENTITY_API_VERSION=3\n"
        f"export OS_USERNAME={q(data.admin_user)}\n"
        f"export OS_PASSWORD={q(data.secrets['admin'])}\n"
        f"export OS_PROJECT_NAME={q(data.admin_project)}\n"
        "export OS_USER_DOMAIN_NAME=Default\n"
        "export OS_PROJECT_DOMAIN_NAME=Default\n"
        f"export OS_REGION_NAME={q(data.region)}\n"
    )


def register_spec(data: PayloadData) -> str:
    import json

    mgmt, public = data.management_vip, data.public_vip
    services = [
        ("glance", "image", "OpenStack Image", "http://{}:9292"),
        ("placement", "placement", "Placement API", "http://{}:8778"),
        ("nova", "compute", "OpenStack Compute", "http://{}:8774/v2.1"),
        ("neutron", "network", "OpenStack Networking", "http://{}:9696"),
    ]
    spec = {
        "cloud": "fueltui-admin",
        "region": data.region,
        "users": [{"name": name, "password": data.secrets[f"user_{name}"]} for name, *_ in services],
        "services": [
            {
                "name": name,
                "type": kind,
                "description": text,
                "endpoints": {
                    "public": url.format(public),
                    "internal": url.format(mgmt),
                    "admin": url.format(mgmt),
                },
            }
            for name, kind, text, url in services
        ],
    }
    return json.dumps(spec, indent=1) + "\n"


# Runs on the controller with the packages' own openstacksdk: one process, idempotent.
REGISTER_PY = remote_program("register.py.txt")


def render_glance(view: NodeView) -> str:
    data = view.data
    conf = ini(
        {
            "DEFAULT": {
                "debug": data.debug or None,  # the Settings page: None leaves the file as it was
                "enabled_backends": "file:file",
                "bind_host": view.management_ip if ha.is_ha(data) else None,
                "workers": 1,
                "log_dir": "/var/log/glance",
                "use_stderr": False,
            },
            "database": {"connection": db_url(data, "glance")},
            "keystone_authtoken": authtoken(data, "glance"),
            "paste_deploy": {"flavor": "keystone"},
            "glance_store": {"default_backend": "file"},
            "file": {"filesystem_store_datadir": "/var/lib/glance/images/"},
            "oslo_concurrency": {"lock_path": "/var/lib/glance/tmp"},
        },
        "Glance API",
    )
    return script(
        "glance",
        [
            heredoc_file("/etc/glance/glance-api.conf", "0640", "root:glance", conf),
            *uwsgi_tuning("glance-api"),
            "mkdir -p /var/lib/glance/images /var/lib/glance/tmp && chown -R glance:glance /var/lib/glance",
            *primary_only(view, 'once glance-db "$(pkgver glance-api)" as glance glance-manage db_sync'),
            "svc glance-api",
            f"wait_http http://{data.management_vip}:9292/ 60 Glance",
        ],
    )


def render_placement(view: NodeView) -> str:
    data = view.data
    conf = ini(
        {
            "DEFAULT": {"debug": data.debug or None, "log_dir": "/var/log/placement", "use_stderr": False},
            "placement_database": {"connection": db_url(data, "placement")},
            "api": {"auth_strategy": "keystone"},
            "keystone_authtoken": authtoken(data, "placement"),
        },
        "Placement",
    )
    return script(
        "placement",
        [
            heredoc_file("/etc/placement/placement.conf", "0640", "root:placement", conf),
            *uwsgi_tuning("placement-api"),
            *ha_bind(view, "placement-api"),
            *primary_only(
                view, 'once placement-db "$(pkgver placement-api)" as placement placement-manage db sync'
            ),
            "svc placement-api",
            f"wait_http http://{data.management_vip}:8778/ 60 Placement",
        ],
    )


def nova_conf(view: NodeView) -> str:
    """One nova.conf for controllers and computes (each reads what it needs)."""
    data = view.data
    mgmt = data.management_vip
    sections: dict[str, dict[str, object]] = {
        "DEFAULT": {
            "debug": data.debug or None,  # the Settings page: None leaves the file as it was
            "transport_url": rabbit_url(data),
            "my_ip": view.management_ip,  # the package writes the build host's address here
            "state_path": "/var/lib/nova",
            "log_dir": "/var/log/nova",
            "use_stderr": False,
            "osapi_compute_workers": 1,
            "metadata_workers": 1,
        },
        "api": {"auth_strategy": "keystone"},
        "keystone_authtoken": authtoken(data, "nova"),
        "service_user": {"send_service_user_token": True, **service_auth(data, "nova")},
        "placement": service_auth(data, "placement"),
        "neutron": {
            **service_auth(data, "neutron"),
            "service_metadata_proxy": True,
            "metadata_proxy_shared_secret": data.secrets["metadata"],
        },
        "glance": {"api_servers": f"http://{mgmt}:9292"},
        "vnc": {
            "enabled": True,
            "server_listen": view.management_ip,
            "server_proxyclient_address": view.management_ip,
            "novncproxy_base_url": f"http://{data.public_vip}:6080/vnc_auto.html",
            "novncproxy_host": view.management_ip if ha.is_ha(data) and view.controller else None,
        },
        "oslo_concurrency": {"lock_path": "/var/lib/nova/tmp"},
        "conductor": {"workers": 1},
        "scheduler": {"workers": 1, "discover_hosts_in_cells_interval": 60},
    }
    if view.controller:
        sections["api_database"] = {"connection": db_url(data, "nova", "nova_api")}
        sections["database"] = {"connection": db_url(data, "nova", "nova")}
    if view.compute:
        sections["DEFAULT"]["compute_driver"] = "libvirt.LibvirtDriver"
        # No hardware virtualisation here: QEMU's software emulation, a plain CPU model.
        sections["libvirt"] = {"virt_type": "qemu", "cpu_mode": "none"}
        # nova-compute runs as nova: the root-only unix socket is out of its reach.
        sections["os_vif_ovs"] = {"ovsdb_connection": "tcp:127.0.0.1:6640"}
    return ini(sections, f"Nova on {view.name}")


def render_nova_controller(view: NodeView) -> str:
    data = view.data
    services = ["nova-api", "nova-api-metadata", "nova-conductor", "nova-scheduler", "nova-novncproxy"]
    cells = (
        "as nova nova-manage api_db sync && as nova nova-manage cell_v2 map_cell0 && "
        "{ as nova nova-manage cell_v2 list_cells | grep -q ' cell1 ' || "
        "as nova nova-manage cell_v2 create_cell --name=cell1 --verbose; } && as nova nova-manage db sync"
    )
    cells_as_nova = cells.replace("as nova", "runuser -u nova --")
    lines = [
        "mkdir -p /var/lib/nova/tmp && chown nova:nova /var/lib/nova/tmp",
        heredoc_file("/etc/nova/nova.conf", "0640", "root:nova", nova_conf(view)),
        *uwsgi_tuning("nova-api"),
        *uwsgi_tuning("nova-api-metadata"),
        *ha_bind(view, "nova-api"),
        *ha_bind(view, "nova-api-metadata"),
        *primary_only(view, f'once nova-db "$(pkgver nova-common)" sh -ec {q(cells_as_nova)}'),
    ]
    lines += [f"svc {s}" for s in services]
    lines += [
        f"wait_http http://{data.management_vip}:8774/ 90 nova-api",
        f"wait_port {q(view.management_ip)} 8775 60 nova-api-metadata",
    ]
    return script("nova_controller", lines)


def neutron_conf(view: NodeView) -> str:
    data = view.data
    sections: dict[str, dict[str, object]] = {
        "DEFAULT": {
            "debug": data.debug or None,  # the Settings page: None leaves the file as it was
            "core_plugin": "ml2",
            "service_plugins": "router",
            "transport_url": rabbit_url(data),
            "auth_strategy": "keystone",
            "log_dir": "/var/log/neutron",
            "use_stderr": False,
            "api_workers": 1,
            "rpc_workers": 1,
            "rpc_state_report_workers": 1,
            "dhcp_agents_per_network": 1,
            "notify_nova_on_port_status_changes": True,
            "notify_nova_on_port_data_changes": True,
        },
        "oslo_concurrency": {"lock_path": "/var/lib/neutron/tmp"},
        "agent": {"root_helper": "sudo neutron-rootwrap /etc/neutron/rootwrap.conf"},
    }
    if view.controller:
        sections["database"] = {"connection": db_url(data, "neutron")}
        sections["keystone_authtoken"] = authtoken(data, "neutron")
        sections["nova"] = service_auth(data, "nova")
    return ini(sections, f"Neutron on {view.name}")


def ml2_conf(data: PayloadData) -> str:
    gre = data.gre_id_range or (2, 65535)
    vlan = data.vlan_range or (1000, 1030)
    tenant = "gre" if data.mode.value == "neutron-gre" else "vlan"
    return ini(
        {
            "ml2": {
                "type_drivers": "flat,vlan,gre",
                "tenant_network_types": tenant,
                "mechanism_drivers": "openvswitch",
                "extension_drivers": "port_security",
            },
            "ml2_type_flat": {"flat_networks": "physnet-ex"},
            "ml2_type_gre": {"tunnel_id_ranges": f"{gre[0]}:{gre[1]}"},
            "ml2_type_vlan": {"network_vlan_ranges": f"physnet-prv:{vlan[0]}:{vlan[1]}"},
        },
        "ML2",
    )


def render_neutron_server(view: NodeView) -> str:
    data = view.data
    upgrade = (
        "runuser -u neutron -- neutron-db-manage --config-file /etc/neutron/neutron.conf "
        "--config-file /etc/neutron/plugins/ml2/ml2_conf.ini upgrade heads"
    )
    return script(
        "neutron_server",
        [
            "mkdir -p /var/lib/neutron/tmp && chown neutron:neutron /var/lib/neutron/tmp",
            heredoc_file("/etc/neutron/neutron.conf", "0640", "root:neutron", neutron_conf(view)),
            heredoc_file("/etc/neutron/plugins/ml2/ml2_conf.ini", "0640", "root:neutron", ml2_conf(data)),
            *uwsgi_tuning("neutron-api"),
            *ha_bind(view, "neutron-api"),
            *primary_only(view, f'once neutron-db "$(pkgver neutron-common)" sh -ec {q(upgrade)}'),
            "svc neutron-api",
            "svc neutron-rpc-server",
            f"wait_http http://{data.management_vip}:9696/ 90 neutron-api",
        ],
    )


def horizon_settings(data: PayloadData) -> str:
    return (
        "# fueltui: Horizon for this cloud (loaded after local_settings.py).\n"
        f"OPENSTACK_HOST = {data.management_vip!r}\n"
        f"OPENSTACK_KEYSTONE_URL = {data.keystone_internal!r}\n"
        "OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'\n"
        "ALLOWED_HOSTS = ['*']\n"
        f"SECRET_KEY = {data.secrets['horizon_key']!r}\n"
        "SESSION_ENGINE = 'django.contrib.sessions.backends.cache'\n"
        "CACHES = {'default': {'BACKEND': 'django.core.cache.backends.memcached.PyMemcacheCache',\n"
        f"                       'LOCATION': {memcached_location(data)}}}}}\n"
        "WEBROOT = '/'\n"
        "# The package compressed its assets offline for its own settings: compress on demand.\n"
        "COMPRESS_OFFLINE = False\n"
        "OPENSTACK_NEUTRON_NETWORK = {'enable_router': True, 'enable_quotas': True,\n"
        "                             'enable_ipv6': False, 'enable_fip_topology_check': True}\n"
    )


def memcached_location(data: PayloadData) -> str:
    if ha.is_ha(data):
        # A controller down (or not deployed yet) is skipped for a while, not an HTTP 500.
        servers = repr(ha.memcached_servers(data).split(","))
        return (
            f"{servers},\n                       'OPTIONS': {{'ignore_exc': True, 'retry_attempts': 1, "
            "'dead_timeout': 30, 'connect_timeout': 1, 'timeout': 2}"
        )
    return repr(f"{data.management_vip}:11211")


def primary_only(view: NodeView, line: str) -> list[str]:
    """A step run once for the cloud (database syncs): on the primary controller in HA."""
    return [line] if not ha.is_ha(view.data) or ha.is_primary(view) else []


def ha_bind(view: NodeView, service: str) -> list[str]:
    """HA: the service listens on the management address (HAProxy has the VIPs)."""
    return [ha.uwsgi_bind(view, service)] if ha.is_ha(view.data) else []


def render_horizon(view: NodeView) -> str:
    data = view.data
    ports = [ha.apache_ports(view)] if ha.is_ha(data) else []
    ready = [ha.wait_vip(f"http://{data.public_vip}/auth/login/", "Horizon")] if ha.is_ha(data) else []
    served, unused = horizontls.sites(data)  # public TLS: our HTTPS site; off: Debian's plain one
    tls = horizontls.tls_files(data.tls) if data.tls is not None else []
    if data.tls is None:
        checks = [
            f"wait_http http://{data.public_vip}/auth/login/ 60 Horizon",
            *ready,
            f"code=$(curl -s -o /dev/null -w '%{{http_code}}' http://{data.public_vip}/auth/login/)",
            '[ "$code" = 200 ] || { say "Horizon login page answers $code"; exit 1; }',
        ]
    else:
        checks = [*ready, *horizontls.https_checks(view)]  # HA: HAProxy serves (port 80 redirects)
    return script(
        "horizon",
        [
            *ports,
            heredoc_file(
                "/etc/openstack-dashboard/local_settings.d/_50_fueltui.py",
                "0640",
                "root:www-data",
                horizon_settings(data) + horizontls.horizon_settings_tls(data),
            ),
            *tls,
            *horizontls.tls_site(data),
            # Debian's package also enables an HTTPS site whose module is not loaded: Apache
            # would refuse to start. Horizon is served on port 80 of the public VIP (on 443
            # with the Settings page's public TLS, by a site of fueltui's).
            "for site in openstack-dashboard-ssl openstack-dashboard-ssl-redirect \\",
            f"    openstack-dashboard-alias-only 000-default default-ssl {unused}; do",
            '  if [ -e "/etc/apache2/sites-enabled/$site.conf" ]; then',
            '    a2dissite -q "$site"',
            "    FT_CHANGED=1",
            "  fi",
            "done",
            f"if [ ! -e /etc/apache2/sites-enabled/{served}.conf ]; then "
            f"a2ensite -q {served}; FT_CHANGED=1; fi",
            *horizontls.tls_off(data),
            # cryptography's Rust module loads once per process: Horizon must run in the main
            # interpreter, not a mod_wsgi sub-interpreter (HTTP 500 on the login page otherwise).
            heredoc_file(
                "/etc/apache2/conf-available/fueltui-horizon.conf",
                "0644",
                "root:root",
                "# fueltui\nWSGIApplicationGroup %{GLOBAL}\n",
            ),
            "[ -e /etc/apache2/conf-enabled/fueltui-horizon.conf ] || a2enconf -q fueltui-horizon",
            "mkdir -p /var/log/openstack-dashboard /run/apache2 /run/lock/apache2",
            "svc apache2",
            *checks,
            f"say {q('Horizon: ' + data.horizon_url)}",
        ],
    )
