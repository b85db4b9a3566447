"""Horizon on HTTPS (the Settings page's public TLS): the pair the master made or checked is
shipped to every controller as two files; Apache serves Horizon on port 443 with it (its own
site, Debian's `openstack-dashboard` site off) and port 80 redirects to https. With TLS off
nothing here is rendered, and a controller that had it goes back to Debian's plain site.

Keystone and the other APIs stay on plain HTTP on the VIPs (their catalog endpoints, the
openrc): public TLS is Horizon's, as in Fuel 6.1's first version of the setting.
"""

from __future__ import annotations

from fueltui.core.payload.data import PayloadData, PublicTls
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.shell import heredoc_file, q

TLS_DIR = "/etc/fueltui/tls"
CERT = f"{TLS_DIR}/horizon.crt"
KEY = f"{TLS_DIR}/horizon.key"
SITE = "fueltui-horizon-tls"
PLAIN_SITE = "openstack-dashboard"  # Debian's site: Horizon on port 80

SITE_CONF = f"""# fueltui: Horizon on HTTPS with the environment's public TLS pair; HTTP redirects to it.
<VirtualHost *:80>
    RewriteEngine On
    RewriteRule ^ https://%{{HTTP_HOST}}%{{REQUEST_URI}} [R=301,L]
    ErrorLog /var/log/openstack-dashboard/error.log
    LogLevel warn
    CustomLog /var/log/openstack-dashboard/access.log combined
</VirtualHost>

<VirtualHost *:443>
    SSLEngine on
    SSLCertificateFile {CERT}
    SSLCertificateKeyFile {KEY}
    WSGIScriptAlias / /usr/share/openstack-dashboard/wsgi.py
    Alias /static /var/lib/openstack-dashboard/static
    Alias /horizon/static /var/lib/openstack-dashboard/static
    DocumentRoot /var/www
    <Directory /usr/share/openstack-dashboard>
        Require all granted
    </Directory>
    <Directory /var/lib/openstack-dashboard/static>
        Require all granted
    </Directory>
    ErrorLog /var/log/openstack-dashboard/error.log
    LogLevel warn
    CustomLog /var/log/openstack-dashboard/access.log combined
</VirtualHost>
"""


def sites(data: PayloadData) -> tuple[str, str]:
    """(the site Horizon is served by, the one of ours that must be off)."""
    return (SITE, PLAIN_SITE) if data.tls is not None else (PLAIN_SITE, SITE)


def horizon_settings_tls(data: PayloadData) -> str:
    """Horizon's settings under HTTPS: cookies only over TLS; the https origins trusted."""
    if data.tls is None:
        return ""
    origins = sorted({f"https://{data.tls.host}", f"https://{data.public_vip}"})
    return (
        "# Public TLS (the Settings page): Apache terminates it on this controller.\n"
        "CSRF_COOKIE_SECURE = True\n"
        "SESSION_COOKIE_SECURE = True\n"
        f"CSRF_TRUSTED_ORIGINS = {origins!r}\n"
    )


def tls_files(tls: PublicTls) -> list[str]:
    cert = tls.cert if tls.cert.endswith("\n") else tls.cert + "\n"
    return [
        f"mkdir -p {TLS_DIR} && chmod 0755 {TLS_DIR}",
        heredoc_file(CERT, "0644", "root:root", cert),
        heredoc_file(KEY, "0600", "root:root", tls.key),
        # mod_ssl and mod_rewrite ship with apache2; Debian's package leaves them off.
        "for mod in ssl rewrite; do",
        '  [ -e "/etc/apache2/mods-enabled/$mod.load" ] || { a2enmod -q "$mod"; FT_CHANGED=1; }',
        "done",
    ]


def tls_site(data: PayloadData) -> list[str]:
    if data.tls is None:
        return []
    return [heredoc_file(f"/etc/apache2/sites-available/{SITE}.conf", "0644", "root:root", SITE_CONF)]


def tls_off(data: PayloadData) -> list[str]:
    """TLS turned off on a controller that had it: our site, pair and mod_ssl go (Apache's
    `Listen 443` comes with mod_ssl: it would otherwise serve plain HTTP on 443)."""
    if data.tls is not None:
        return []
    return [
        f"if [ -f /etc/apache2/sites-available/{SITE}.conf ]; then",
        f"  rm -f /etc/apache2/sites-available/{SITE}.conf {CERT} {KEY}",
        "  [ ! -e /etc/apache2/mods-enabled/ssl.load ] || a2dismod -q ssl",
        "  say 'public TLS off: Horizon back on plain HTTP'",
        "  FT_CHANGED=1",
        "fi",
    ]


def https_checks(view: NodeView) -> list[str]:
    """After Apache (re)started: the login page over HTTPS, the certificate checked against the
    pair shipped (with the name clients use, at the VIP), and port 80 redirecting there."""
    tls = view.data.tls
    if tls is None:
        return []
    vip, host = view.data.public_vip, tls.host
    url = f"https://{host}/auth/login/"
    curl = f"curl -s -o /dev/null --max-time 5 --cacert {CERT} --resolve {q(f'{host}:443:{vip}')}"
    return [
        f"n=0; until code=$({curl} -w '%{{http_code}}' {q(url)}) && [ \"$code\" = 200 ]; do n=$((n+1)); "
        f'[ $n -lt 60 ] || {{ say "Horizon answers $code at {url} (certificate checked)"; exit 1; }}; '
        "sleep 1; done",
        f"code=$(curl -s -o /dev/null --max-time 5 -w '%{{http_code}} %{{redirect_url}}' "
        f"{q(f'http://{vip}/auth/login/')})",
        'case "$code" in 301\\ https://*) ;; '
        '*) say "port 80 does not redirect to https: $code"; exit 1 ;; esac',
        f"say {q(f'Horizon on HTTPS: {url} (certificate checked); http://{vip}/ redirects to it')}",
    ]
