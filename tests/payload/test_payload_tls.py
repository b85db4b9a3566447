"""The Settings page's public TLS for Horizon: the master's self-signed pair (SAN with the
public VIP, key 0600, made once and reused), the operator's pair checked with clear findings,
and what the controllers and the health check get."""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import socket
import ssl
import stat
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from test_payload_master import mirror, nodes  # noqa: F401  (the fixture)
from test_payload_render import RELEASE, configs
from test_payload_render_ha import ha_configs

from fueltui.core.environment import new_environment
from fueltui.core.model import CommonSettings
from fueltui.core.nodeconfig import NodeConfig, node_configs, render
from fueltui.core.payload import ha, horizontls
from fueltui.core.payload.data import PublicTls
from fueltui.core.payload.health import HORIZON_CA, render_health
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.settings import with_value
from fueltui.master.deploy.payload import attach_payload, cloud_payload, forget_secrets, tls_findings
from fueltui.master.deploy.publictls import (
    TlsProblem,
    ensure_tls,
    operator_findings,
    self_signed,
    stored_tls,
    tls_files,
)
from fueltui.master.errors import Invalid
from fueltui.mirror.paths import KEY_FILE

VIP = "172.16.0.3"
SELF = CommonSettings(horizon_tls="self-signed")


def body(step: str, cfg: NodeConfig) -> str:
    return render(step, cfg).split("# fueltui payload: ", 1)[1]


def cert_of(pem: str | bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificates(pem.encode() if isinstance(pem, str) else pem)[0]


def test_self_signed_pair_names_the_vip_is_private_and_is_reused(tmp_path: Path) -> None:
    tls = ensure_tls(tmp_path, "demo", SELF, VIP)
    assert tls is not None and tls.host == VIP
    san = cert_of(tls.cert).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == [VIP]
    cert_path, key_path = tls_files(tmp_path, "demo")
    for path in (cert_path, key_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cert_path.parent.stat().st_mode) == 0o700
    assert key_path.read_text() == tls.key and "PRIVATE KEY" in tls.key
    again = ensure_tls(tmp_path, "demo", SELF, VIP)  # a redeploy: the same pair, not a new one
    assert again == tls
    assert stored_tls(tmp_path, "demo", SELF, VIP) == tls
    moved = ensure_tls(tmp_path, "demo", SELF, "172.16.0.9")  # the public VIP changed: a new pair
    assert moved is not None and moved.key != tls.key and moved.host == "172.16.0.9"
    assert ensure_tls(tmp_path, "demo", CommonSettings(), VIP) is None  # off
    assert stored_tls(tmp_path, "demo", CommonSettings(), VIP) is None
    forget_secrets(tmp_path, "demo")  # the environment deleted: its pair goes with its secrets
    assert not cert_path.exists() and not key_path.exists()


def handshake(cert: Path, key: Path, name: str) -> bytes:
    """A GET over TLS to a loopback server serving the pair, the client checking `name`."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(100)
                    tls.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
            except (ssl.SSLError, OSError):
                conn.close()  # the client refused the certificate

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client = ssl.create_default_context(cafile=str(cert))
        client.verify_flags |= ssl.VERIFY_X509_STRICT  # Python 3.13's default (Debian 13's controllers)
        try:
            with (
                socket.create_connection(listener.getsockname(), timeout=5) as raw,
                client.wrap_socket(raw, server_hostname=name) as conn,
            ):
                conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
                return conn.recv(100)
        finally:
            thread.join(5)


def test_a_strict_tls_client_trusting_the_certificate_accepts_it_for_the_vip(tmp_path: Path) -> None:
    """What the health check and `curl --cacert` do: the certificate as its own anchor, the
    name checked is the VIP, while the connection goes to wherever serves it (here loopback)."""
    cert, key = self_signed(VIP, "demo")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    assert handshake(tmp_path / "c.pem", tmp_path / "k.pem", VIP).startswith(b"HTTP/1.0 200")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tmp_path / "c.pem", tmp_path / "k.pem", "172.16.0.99")  # not the VIP: refused


def operator_pair(
    tmp_path: Path,
    *,
    names: Sequence[x509.GeneralName],
    days: tuple[int, int] = (-1, 365),
    other_key: bool = False,
    password: bytes | None = None,
) -> CommonSettings:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = ec.generate_private_key(ec.SECP256R1()) if other_key else key
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cloud.example.org")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(signer.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(signer, hashes.SHA256())
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    cert_path, key_path = tmp_path / "horizon.crt", tmp_path / "horizon.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           encryption))  # fmt: skip
    return CommonSettings(horizon_tls="operator", tls_cert=str(cert_path), tls_key=str(key_path))


DNS = [x509.DNSName("cloud.example.org")]


def codes(common: CommonSettings, vip: str | None = VIP) -> list[str]:
    return [f.code for f in operator_findings(common, vip)]


def test_a_good_operator_pair_is_copied_and_clients_check_its_dns_name(tmp_path: Path) -> None:
    common = operator_pair(tmp_path, names=DNS)
    assert codes(common) == []
    tls = ensure_tls(tmp_path / "state", "demo", common, VIP)
    assert tls is not None and tls.host == "cloud.example.org"
    assert tls.cert == Path(common.tls_cert).read_text() and tls.key == Path(common.tls_key).read_text()
    assert tls_files(tmp_path / "state", "demo")[1].read_text() == tls.key
    with_ip = operator_pair(tmp_path, names=[*DNS, x509.IPAddress(__import__("ipaddress").ip_address(VIP))])
    assert ensure_tls(tmp_path / "state", "demo", with_ip, VIP).host == VIP  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("missing", "tls-unreadable", "cannot read the certificate"),
        ("not-pem", "tls-cert-invalid", "holds no PEM certificate"),
        ("key-not-pem", "tls-key-invalid", "holds no PEM private key"),
        ("mismatch", "tls-key-mismatch", "is not the key of the certificate"),
        ("encrypted", "tls-key-invalid", "is encrypted"),
        ("expired", "tls-cert-expired", "expired on"),
        ("not-yet", "tls-cert-expired", "is valid only from"),
        ("no-host", "tls-cert-no-host", "names neither the public VIP 172.16.0.3 nor a DNS name"),
        ("relative", "tls-files-invalid", "absolute path"),
    ],
)
def test_operator_pair_problems_are_clear_findings(tmp_path: Path, case: str, code: str, words: str) -> None:
    common = operator_pair(
        tmp_path,
        names=[] if case == "no-host" else DNS,
        days={"expired": (-30, -1), "not-yet": (2, 30)}.get(case, (-1, 365)),
        other_key=case == "mismatch",
        password=b"secret" if case == "encrypted" else None,
    )
    if case == "missing":
        common = common.model_copy(update={"tls_cert": str(tmp_path / "nowhere.crt")})
    elif case == "not-pem":
        Path(common.tls_cert).write_text("hello\n")
    elif case == "key-not-pem":
        Path(common.tls_key).write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    elif case == "relative":
        common = common.model_copy(update={"tls_key": "horizon.key"})
    findings = operator_findings(common, VIP)
    assert [f.code for f in findings] == [code]
    assert words in findings[0].message and findings[0].path.startswith("environment.settings.common.tls_")
    with pytest.raises(TlsProblem, match=re.escape(words)):
        ensure_tls(tmp_path / "state", "demo", common, VIP)
    assert not tls_files(tmp_path / "state", "demo")[0].exists()  # nothing half-kept


def test_the_deploy_refuses_a_bad_operator_pair_before_touching_a_node(mirror: Path, tmp_path: Path) -> None:  # noqa: F811
    mirror.mkdir(parents=True)
    (mirror / KEY_FILE).write_text("KEY")
    env = new_environment("demo", RELEASE, "neutron-gre")
    members = nodes("Debian GNU/Linux 13 (trixie)")
    common = operator_pair(tmp_path, names=[])  # covers no host
    settings = env.settings.model_copy(update={"common": common})
    env = env.model_copy(update={"settings": settings})
    findings = tls_findings(env, RELEASE, members)
    assert [f.code for f in findings] == ["tls-cert-no-host"]
    assert re.search(r"public VIP 172\.16\.0\.\d+ nor", findings[0].message)
    with pytest.raises(Invalid, match=r"public TLS: .* names neither"):
        attach_payload(tmp_path / "state", env, RELEASE, members, node_configs(env, RELEASE, members),
                       ["ctrl-1"], "10.20.0.2")  # fmt: skip


def test_self_signed_reaches_the_controller_the_hand_over_and_the_health_check(
    mirror: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    mirror.mkdir(parents=True)
    (mirror / KEY_FILE).write_text("KEY")
    env = new_environment("demo", RELEASE, "neutron-gre")
    env = env.model_copy(update={"settings": with_value(env.settings, "common.horizon_tls", "self-signed")})
    members = nodes("Debian GNU/Linux 13 (trixie)")
    state = tmp_path / "state"
    cfgs = attach_payload(state, env, RELEASE, members, node_configs(env, RELEASE, members), ["ctrl-1"],
                          "10.20.0.2")  # fmt: skip
    ctrl = next(c for c in cfgs.values() if c.name == "ctrl-1")
    assert ctrl.payload is not None and ctrl.payload.tls is not None
    vip = ctrl.payload.public_vip
    assert ctrl.payload.horizon_url == f"https://{vip}/"
    assert ctrl.payload.keystone_public == f"http://{vip}:5000/v3"  # the APIs stay on HTTP
    handed = cloud_payload(state, env, RELEASE, members, "10.20.0.2")
    assert handed is not None and handed.horizon_url == f"https://{vip}/" and handed.tls == ctrl.payload.tls
    again = attach_payload(state, env, RELEASE, members, node_configs(env, RELEASE, members), ["ctrl-1"],
                           "10.20.0.2")  # fmt: skip
    assert next(c for c in again.values() if c.name == "ctrl-1").payload == ctrl.payload  # idempotent
    health = render_health(NodeView.of(ctrl), ["sanity"])
    found = re.search(r"health.json 0600 root:root <<'FUELTUI_EOF' \|\| true\n(.*?)\n", health)
    assert found is not None
    spec = json.loads(found.group(1))
    assert (
        spec["horizon"] == f"https://{vip}/"
        and spec["horizon_ca"] == HORIZON_CA
        and spec["horizon_ip"] == vip
    )
    assert f"put_file {HORIZON_CA} 0644 root:root" in health and ctrl.payload.tls.cert.strip() in health
    assert "PRIVATE KEY" not in health  # the health check needs the certificate only


def tls_on(cfgs: dict[str, NodeConfig]) -> dict[str, NodeConfig]:
    """Every config with a self-signed pair for its public VIP, as the master attaches it."""
    vip = next(iter(cfgs.values())).payload.public_vip  # type: ignore[union-attr]
    cert, key = self_signed(vip, "demo")
    tls = PublicTls(cert=cert.decode(), key=key.decode(), host=vip)
    return {n: c.model_copy(update={"payload": c.payload.model_copy(update={"tls": tls})})  # type: ignore[union-attr]
            for n, c in cfgs.items()}  # fmt: skip


def test_horizon_script_with_tls_serves_https_and_redirects_port_80() -> None:
    cfgs, data, _ = configs()
    on = tls_on(cfgs)
    text = body("payload:horizon", on["ctrl-1"])
    tls = on["ctrl-1"].payload.tls if on["ctrl-1"].payload else None
    assert tls is not None
    assert f"put_file {horizontls.CERT} 0644 root:root" in text and tls.cert.strip() in text
    assert f"put_file {horizontls.KEY} 0600 root:root" in text and tls.key.strip() in text
    assert 'a2enmod -q "$mod"' in text and "for mod in ssl rewrite" in text
    assert "default-ssl openstack-dashboard; do" in text  # Debian's plain site off
    assert "a2ensite -q fueltui-horizon-tls" in text
    assert horizontls.SITE_CONF in text and "SSLCertificateKeyFile /etc/fueltui/tls/horizon.key" in text
    assert "RewriteRule ^ https://%{HTTP_HOST}%{REQUEST_URI} [R=301,L]" in text
    assert f"--cacert {horizontls.CERT} --resolve {data.public_vip}:443:{data.public_vip}" in text
    assert f" https://{data.public_vip}/auth/login/)" in text and "301\\ https://*" in text
    assert "SESSION_COOKIE_SECURE = True" in text and f"'https://{data.public_vip}'" in text
    off = body("payload:horizon", cfgs["ctrl-1"])
    assert "BEGIN" not in off and "a2enmod" not in off and "SESSION_COOKIE_SECURE" not in off
    assert "a2ensite -q openstack-dashboard;" in off and "default-ssl fueltui-horizon-tls; do" in off
    assert "a2dismod -q ssl" in off  # a controller that had TLS goes back to plain HTTP
    assert f"wait_http http://{data.public_vip}/auth/login/ 60 Horizon" in off


def test_ha_passes_https_through_haproxy_to_every_controller() -> None:
    cfgs, data, _ = ha_configs()
    on = tls_on(cfgs)
    for name in ("ctrl-1", "ctrl-2"):
        view = NodeView.of(on[name])
        cfg = ha.haproxy_cfg(view)
        block = cfg.split("listen horizon-tls\n", 1)[1].split("\n\n", 1)[0]
        assert f"bind {data.public_vip}:443" in block and "mode tcp" in block and "balance source" in block
        assert all(f"{m.management}:443 check" in block for m in ha.members(data))
        assert f"Listen {view.management_ip}:443" in ha.apache_ports(view)
        plain = NodeView.of(cfgs[name])
        assert "horizon-tls" not in ha.haproxy_cfg(plain) and ":443" not in ha.apache_ports(plain)


def health_functions() -> dict[str, object]:
    """The health check's TLS helpers, taken out of the program it runs on the controller (the
    rest of it talks to the cloud at once)."""
    source = (Path(horizontls.__file__).parent / "remote" / "health.py.txt").read_text()
    tree = ast.parse(source)
    keep: list[ast.stmt] = [
        n
        for n in tree.body
        if isinstance(n, ast.Import | ast.ImportFrom) and "openstack" not in ast.unparse(n)
    ]
    keep += [
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("https_status", "redirect_of")
    ]
    namespace: dict[str, object] = {}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "health.py", "exec"), namespace)
    return namespace


def test_the_health_check_speaks_tls_to_the_vip_and_checks_the_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(VIP, "demo")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    https_status = health_functions()["https_status"]
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve(times: int) -> None:
            for _ in range(times):
                conn, _ = listener.accept()
                try:
                    with server.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1000)
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                except (ssl.SSLError, OSError):
                    conn.close()

        thread = threading.Thread(target=serve, args=(3,), daemon=True)
        thread.start()
        # the VIP's name checked, the connection to where it is served
        assert https_status(f"https://{VIP}:{port}/auth/login/", "127.0.0.1", str(tmp_path / "c.pem")) == 200  # type: ignore[operator]
        other, _ = self_signed(VIP, "other")  # a certificate that is not the one served
        (tmp_path / "other.pem").write_bytes(other)
        with pytest.raises(ssl.SSLCertVerificationError):
            https_status(f"https://{VIP}:{port}/", "127.0.0.1", str(tmp_path / "other.pem"))  # type: ignore[operator]
        with pytest.raises(ssl.SSLCertVerificationError):
            https_status(f"https://172.16.0.99:{port}/", "127.0.0.1", str(tmp_path / "c.pem"))  # type: ignore[operator]
        thread.join(5)
