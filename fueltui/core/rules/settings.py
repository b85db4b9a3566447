"""Rules for the Settings page: restrictions, bounds, and the meaning of the typed fields.

Paths are `environment.settings.<key>` (the answers file's). Fuel's own checks, where it had
them: the admin user and tenant are not a service's name and hold no blank; the e-mail has an
`@`; the syslog port is 1–65535. Kernel parameters travel to a node's boot line, so they are
plain `word` or `key=value` tokens — nothing a shell or a boot loader would read otherwise.
"""

from __future__ import annotations

import re

from fueltui.core.addr import parse_ip
from fueltui.core.model import Environment, Finding, Release, Settings, Severity
from fueltui.core.settings import changed_keys, fields, get_value, locked_keys, restriction

PREFIX = "environment.settings"
# Fuel's blacklist: the services' own users and tenants, and "guest".
RESERVED_NAMES = frozenset({"services", "nova", "glance", "keystone", "neutron", "cinder", "swift", "ceph",
                            "guest", "Guest", "placement"})  # fmt: skip
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$")
EMAIL = re.compile(r"^[^\s@]+@[^\s@]+$")
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){LABEL}(\.{LABEL})*$")
KERNEL_TOKEN = re.compile(r"^[A-Za-z0-9_.,:/+-]+(=[A-Za-z0-9_.,:/+@-]*)?$")
KERNEL_PARAMS_LIMIT = 1024


def _f(code: str, key: str, message: str) -> Finding:
    return Finding(code=code, path=f"{PREFIX}.{key}", message=message, severity=Severity.error)


def check_settings(settings: Settings, release: Release) -> list[Finding]:
    """Every finding about an environment's settings (nothing about deploy locks: see
    `check_locked`)."""
    findings: list[Finding] = []
    for field in fields(release):
        value = get_value(settings, field.key)
        why = restriction(field, settings)
        if why is not None and value != field.default:
            findings.append(
                _f("setting-restricted", field.key, f"{field.label} must stay {field.default!r}: {why}")
            )
        if field.type == "int" and isinstance(value, int):
            low, high = field.min, field.max
            if (low is not None and value < low) or (high is not None and value > high):
                findings.append(
                    _f("setting-out-of-range", field.key, f"{field.label} is {value}; use {low}–{high}")
                )
    findings += _check_access(settings)
    findings += _check_common(settings)
    return findings


def _check_access(settings: Settings) -> list[Finding]:
    findings: list[Finding] = []
    for key in ("user", "tenant"):
        name = getattr(settings.access, key)
        if not NAME.match(name):
            findings.append(
                _f("access-name-invalid", f"access.{key}",
                   f"the admin {key} {name!r} must be 1–64 letters, digits, '_', '.', '@', '-' with no blank")
            )  # fmt: skip
        elif name in RESERVED_NAMES:
            findings.append(
                _f("access-name-invalid", f"access.{key}",
                   f"the admin {key} cannot be {name!r}: a service of the cloud uses that name")
            )  # fmt: skip
    if not EMAIL.match(settings.access.email):
        findings.append(
            _f("email-invalid", "access.email", f"{settings.access.email!r} is not an e-mail (name@host)")
        )
    return findings


def syslog_problem(target: str) -> str | None:
    """Why `host:port` is not a syslog target (None: it is, or it is empty: no remote syslog)."""
    if not target:
        return None
    host, sep, port = target.rpartition(":")
    if not sep or not host:
        return f"{target!r} is not host:port (e.g. 10.20.0.3:514)"
    if not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"the port {port!r} of {target!r} is not 1–65535"
    looks_numeric = all(part.isdigit() for part in host.split("."))
    if looks_numeric and parse_ip(host) is None:
        return f"{host!r} is not an IPv4 address"
    if not looks_numeric and not HOSTNAME.match(host):
        return f"{host!r} is not a host name or IPv4 address"
    return None


def kernel_params_problem(text: str) -> str | None:
    if len(text) > KERNEL_PARAMS_LIMIT:
        return f"kernel parameters are limited to {KERNEL_PARAMS_LIMIT} characters"
    for token in text.split():
        if not KERNEL_TOKEN.match(token):
            return f"{token!r} is not a kernel parameter (word or key=value; no quotes, ';', '$' or spaces)"
    return None


def _check_common(settings: Settings) -> list[Finding]:
    common = settings.common
    findings: list[Finding] = []
    problem = syslog_problem(common.syslog.strip())
    if problem is not None:
        findings.append(_f("syslog-invalid", "common.syslog", problem))
    problem = kernel_params_problem(common.kernel_params)
    if problem is not None:
        findings.append(_f("kernel-params-invalid", "common.kernel_params", problem))
    if common.horizon_tls == "operator":
        for key, what in (("tls_cert", "certificate"), ("tls_key", "private key")):
            path = getattr(common, key)
            if not path.startswith("/"):
                findings.append(
                    _f("tls-files-invalid", f"common.{key}",
                       f"public TLS by the operator needs the {what}'s absolute path on the master")
                )  # fmt: skip
    return findings


def check_locked(env: Environment, release: Release, new: Settings) -> list[Finding]:
    """Changes to settings Fuel locked once the environment was deployed."""
    locked = locked_keys(release, env)
    return [
        _f("setting-locked", key, f"{key} cannot change after the environment was deployed (it is "
           f"{env.status.value}); reset the environment to change it")
        for key in changed_keys(release, env.settings, new)
        if key in locked
    ]  # fmt: skip
