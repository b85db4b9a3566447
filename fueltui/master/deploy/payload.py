"""The master's side of the OpenStack payload: per-environment secrets, the mirror's key, and
the cloud-wide data attached to every node's config before a deploy.

Secrets live in `<state>/secrets/<env>.json` (0600, in a 0700 folder): generated on the first
deploy, kept across redeploys (a redeploy must not rotate the cloud's passwords), never in
the database, an export, the API or a log.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from fueltui.core.environment import PUBLIC
from fueltui.core.ipalloc import allocate
from fueltui.core.model import Environment, Finding, Node, Release, Severity
from fueltui.core.nodeconfig import NodeConfig
from fueltui.core.payload.data import PayloadData, PayloadSecrets, build_payload, network_vip
from fueltui.master.deploy.publictls import TlsProblem, ensure_tls, forget_tls, operator_findings, stored_tls
from fueltui.master.errors import Invalid
from fueltui.mirror.paths import KEY_FILE, repo_dir
from fueltui.statedir import write_private

SECRETS_DIR = "secrets"


def secrets_path(state_dir: Path, env_name: str) -> Path:
    return state_dir / SECRETS_DIR / f"{env_name}.json"


def load_secrets(state_dir: Path, env_name: str) -> PayloadSecrets | None:
    try:
        raw = json.loads(secrets_path(state_dir, env_name).read_text())
    except (OSError, ValueError):
        return None
    return PayloadSecrets.model_validate(raw) if isinstance(raw, dict) else None


def ensure_secrets(state_dir: Path, env_name: str) -> PayloadSecrets:
    existing = load_secrets(state_dir, env_name)
    secrets = PayloadSecrets.generate(existing.values if existing else None)
    if existing is None or existing.values != secrets.values:
        folder = state_dir / SECRETS_DIR
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
        write_private(secrets_path(state_dir, env_name), secrets.model_dump_json())
    return secrets


def forget_secrets(state_dir: Path, env_name: str) -> None:
    secrets_path(state_dir, env_name).unlink(missing_ok=True)
    forget_tls(state_dir, env_name)


def mirror_key(release: Release) -> str | None:
    if release.os is None:
        return None
    try:
        return (repo_dir(release.os.name) / KEY_FILE).read_text()
    except OSError:
        return None


def tls_findings(env: Environment, release: Release, nodes: list[Node]) -> list[Finding]:
    """Public TLS by the operator: their certificate and key, read and checked on the master
    before any node is touched (the public VIP is the one this deploy will use)."""
    if env.settings.common.horizon_tls != "operator":
        return []
    vip = network_vip(allocate(env, release, [n for n in nodes if n.roles]).vips, PUBLIC)
    return operator_findings(env.settings.common, vip.split("/")[0] if vip else None)


def payload_findings(release: Release) -> list[Finding]:
    """A release with a payload deploys only from a synced mirror (nodes never reach out)."""
    if release.payload is None or release.os is None or mirror_key(release):
        return []
    return [
        Finding(
            code="mirror-not-synced",
            path="release",
            message=f"the master's mirror has no {release.os.name} packages yet: run `fueltui mirror sync` "
            "on the master (nodes install only from it)",
            severity=Severity.error,
        )
    ]


def cloud_payload(state_dir: Path, env: Environment, release: Release, members: list[Node],
                  master_ip: str | None) -> PayloadData | None:  # fmt: skip
    """The environment's payload data as a deploy would build it (None: no cloud here — a
    payload needs nodes that run the release's OS)."""
    key = mirror_key(release)
    if release.payload is None or key is None or not master_ip:
        return None
    if not any(runs_os(n, release) for n in members):
        return None
    secrets = load_secrets(state_dir, env.name)
    if secrets is None:
        return None
    data = build_payload(env, release, allocate(env, release, members).vips, [], master_ip, key, secrets)
    if data is None:
        return None
    tls = stored_tls(state_dir, env.name, env.settings.common, data.public_vip)
    return data.model_copy(update={"tls": tls}) if tls else data


def attach_payload(
    state_dir: Path,
    env: Environment,
    release: Release,
    members: list[Node],
    configs: Mapping[str, NodeConfig],
    controllers: list[str],
    master_ip: str | None,
) -> dict[str, NodeConfig]:
    """Every node's config with the cloud's payload data (unchanged without a payload)."""
    key = mirror_key(release)
    if release.payload is None or key is None or not master_ip:
        return dict(configs)
    if not any(runs_os(n, release) for n in members):
        return dict(configs)  # no node can take the payload: no secrets, no cloud
    allocation = allocate(env, release, members)
    by_name = {n.name: allocation.addresses.get(n.mac, {}) for n in members}
    secrets = ensure_secrets(state_dir, env.name)
    data: PayloadData | None = build_payload(
        env, release, allocation.vips, controllers, master_ip, key, secrets, by_name
    )
    if data is None:
        return dict(configs)
    try:
        tls = ensure_tls(state_dir, env.name, env.settings.common, data.public_vip)
    except TlsProblem as exc:
        raise Invalid(f"public TLS: {exc}", code="tls-invalid", findings=exc.findings) from None
    if tls is not None:
        data = data.model_copy(update={"tls": tls})
    runs_release_os = {n.mac for n in members if runs_os(n, release)}
    return {
        mac: cfg.model_copy(update={"payload": data}) if mac in runs_release_os else dict(configs)[mac]
        for mac, cfg in configs.items()
    }


def runs_os(node: Node, release: Release) -> bool:
    """The node runs the release's OS (its facts say so): the payload's packages fit it."""
    return release.os is not None and (node.facts.os or "").startswith(release.os.pretty_name)
