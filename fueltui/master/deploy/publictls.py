"""Horizon's public TLS pair (the Settings page's `common.horizon_tls`), on the master.

`self-signed`: the master generates an ECDSA P-256 key and a certificate for the public VIP
once per environment and keeps both 0600 beside the environment's secrets
(`<state>/secrets/<env>.horizon.crt|key`); a redeploy reuses them, a changed public VIP gets a
new pair. `operator`: the certificate and key at the paths the operator gave, read on the
master and checked (readable, PEM, the key unencrypted and matching the certificate, valid
now, naming the public VIP or a DNS name); the pair deployed is copied to the same files, so
the hand-over and the health check keep using what the controllers serve.

The `cryptography` package does the work: asyncssh, which fueltui ships, depends on it, so it
is on every master already (no `openssl` CLI, no temporary key files).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from fueltui.core.model import CommonSettings, Finding, Severity
from fueltui.core.payload.data import PublicTls
from fueltui.statedir import write_private

SECRETS_DIR = "secrets"
SELF_SIGNED_ORG = "fueltui self-signed"  # marks the pairs the master made (kept, not the operator's)
SELF_SIGNED_DAYS = 3650
PATH = "environment.settings.common"


class TlsProblem(ValueError):
    """The operator's pair cannot serve Horizon: `findings` say why."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("; ".join(f.message for f in findings))


def tls_files(state_dir: Path, env_name: str) -> tuple[Path, Path]:
    folder = state_dir / SECRETS_DIR
    return folder / f"{env_name}.horizon.crt", folder / f"{env_name}.horizon.key"


def forget_tls(state_dir: Path, env_name: str) -> None:
    for path in tls_files(state_dir, env_name):
        path.unlink(missing_ok=True)


def _finding(code: str, key: str, message: str) -> Finding:
    return Finding(code=code, path=f"{PATH}.{key}", message=message, severity=Severity.error)


def _names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """(IP addresses, DNS names) of the certificate's subjectAltName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return [str(ip) for ip in san.get_values_for_type(x509.IPAddress)], san.get_values_for_type(x509.DNSName)


def tls_host(cert: x509.Certificate, vip: str) -> str | None:
    """The name clients check for Horizon: the VIP when the certificate names it, else its
    first DNS name (not a wildcard); None: it names neither."""
    ips, dns = _names(cert)
    if vip in ips:
        return vip
    return next((name for name in dns if not name.startswith("*")), None)


def _der(public: PublicKeyTypes) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_pair(cert_pem: bytes, key_pem: bytes, vip: str | None, where: tuple[str, str]) -> list[Finding]:
    """Why this certificate and key cannot serve Horizon on `vip` (none: they can).
    `where`: the certificate's and the key's names, for the messages."""
    cert_name, key_name = where
    try:
        cert = x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError:
        return [_finding("tls-cert-invalid", "tls_cert", f"{cert_name} holds no PEM certificate")]
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        return [
            _finding("tls-key-invalid", "tls_key",
                     f"{key_name} is encrypted: Apache would ask for its passphrase at every start; "
                     "give the key unencrypted (the master keeps its copy 0600)")
        ]  # fmt: skip
    except (ValueError, UnsupportedAlgorithm):
        return [_finding("tls-key-invalid", "tls_key", f"{key_name} holds no PEM private key")]
    findings: list[Finding] = []
    if _der(key.public_key()) != _der(cert.public_key()):
        findings.append(
            _finding(
                "tls-key-mismatch", "tls_key", f"{key_name} is not the key of the certificate {cert_name}"
            )
        )
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc < now:
        findings.append(
            _finding("tls-cert-expired", "tls_cert",
                     f"{cert_name} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        )  # fmt: skip
    elif cert.not_valid_before_utc > now:
        findings.append(
            _finding("tls-cert-expired", "tls_cert",
                     f"{cert_name} is valid only from {cert.not_valid_before_utc:%Y-%m-%d}")
        )  # fmt: skip
    if vip is not None and tls_host(cert, vip) is None:
        findings.append(
            _finding("tls-cert-no-host", "tls_cert",
                     f"{cert_name} names neither the public VIP {vip} nor a DNS name in its "
                     "subjectAltName: no client could check it")
        )  # fmt: skip
    return findings


def _read(path_text: str, key: str, what: str) -> tuple[bytes | None, list[Finding]]:
    path = Path(path_text)
    if not path.is_absolute():
        return None, [_finding("tls-files-invalid", key, f"the {what} needs an absolute path on the master")]
    try:
        return path.read_bytes(), []
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, [
            _finding("tls-unreadable", key, f"cannot read the {what} {path} on the master: {reason}")
        ]


def operator_findings(common: CommonSettings, vip: str | None) -> list[Finding]:
    """Before a deploy: the operator's pair, read and checked (nothing when TLS is not theirs)."""
    if common.horizon_tls != "operator":
        return []
    cert, bad_cert = _read(common.tls_cert, "tls_cert", "certificate")
    key, bad_key = _read(common.tls_key, "tls_key", "private key")
    if cert is None or key is None:
        return bad_cert + bad_key
    return check_pair(cert, key, vip, (common.tls_cert, common.tls_key))


def self_signed(vip: str, env_name: str) -> tuple[bytes, bytes]:
    """A key and a certificate for `vip` (PEM). CA:TRUE and keyCertSign: clients that trust
    this very certificate (the health check, `curl --cacert`) accept it as its own anchor."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, vip),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, SELF_SIGNED_ORG),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, env_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # a node's clock a little behind
        .not_valid_after(now + dt.timedelta(days=SELF_SIGNED_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(vip))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _stored(state_dir: Path, env_name: str) -> tuple[bytes, bytes] | None:
    cert_path, key_path = tls_files(state_dir, env_name)
    try:
        return cert_path.read_bytes(), key_path.read_bytes()
    except OSError:
        return None


def _ours_for(cert_pem: bytes, vip: str) -> bool:
    """A pair the master made for this VIP (kept across redeploys)."""
    try:
        cert = x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError:
        return False
    orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    return SELF_SIGNED_ORG in orgs and vip in _names(cert)[0]


def _store(state_dir: Path, env_name: str, cert: bytes, key: bytes) -> None:
    folder = state_dir / SECRETS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    cert_path, key_path = tls_files(state_dir, env_name)
    write_private(key_path, key)
    write_private(cert_path, cert)


def _as_tls(cert_pem: bytes, key_pem: bytes, vip: str) -> PublicTls:
    cert = x509.load_pem_x509_certificates(cert_pem)[0]
    return PublicTls(cert=cert_pem.decode(), key=key_pem.decode(), host=tls_host(cert, vip) or vip)


def ensure_tls(state_dir: Path, env_name: str, common: CommonSettings, vip: str) -> PublicTls | None:
    """For a deploy: the pair Horizon serves (None: TLS off). Self-signed is made once per
    environment and VIP; the operator's is checked (`TlsProblem`) and copied."""
    if common.horizon_tls == "self-signed":
        stored = _stored(state_dir, env_name)
        if stored is None or not _ours_for(stored[0], vip):
            stored = self_signed(vip, env_name)
            _store(state_dir, env_name, *stored)
        return _as_tls(*stored, vip)
    if common.horizon_tls == "operator":
        findings = operator_findings(common, vip)
        if findings:
            raise TlsProblem(findings)
        cert, key = Path(common.tls_cert).read_bytes(), Path(common.tls_key).read_bytes()
        if _stored(state_dir, env_name) != (cert, key):
            _store(state_dir, env_name, cert, key)
        return _as_tls(cert, key, vip)
    return None


def stored_tls(state_dir: Path, env_name: str, common: CommonSettings, vip: str) -> PublicTls | None:
    """What the last deploy shipped, for the hand-over and the health check (nothing is
    generated or read from the operator's paths here); None with TLS off or never deployed."""
    if common.horizon_tls == "off":
        return None
    stored = _stored(state_dir, env_name)
    if stored is None:
        return None
    try:
        return _as_tls(*stored, vip)
    except ValueError:
        return None
