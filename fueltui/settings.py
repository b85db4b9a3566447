"""Every `FUELTUI_*` environment variable fueltui reads, in one place, typed.

`settings()` reads the environment when called (not at import), so a command that sets a
variable for itself (`--lab`, `--state-dir`) and a test's monkeypatch are both seen. Variables
fueltui only *sets* for the programs it runs (FUELTUI_ENV, FUELTUI_NODE_* for deploy tasks) are
not here: they are outputs, documented where they are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value else default
    except ValueError:
        return default  # a typo in a tuning knob falls back to the default, never a crash


@dataclass(frozen=True)
class Settings:
    state_dir: Path | None  # FUELTUI_STATE_DIR: the master's state (socket, database, logs)
    lab: bool  # FUELTUI_LAB=1: work with the lab's master (`fueltui --lab`)
    lab_prefix: str  # FUELTUI_LAB_PREFIX: names this lab's bridges and namespaces ("ft")
    lab_state_dir: Path | None  # FUELTUI_LAB_STATE_DIR: the lab master's state directory
    master_url: str | None  # FUELTUI_MASTER_URL: a remote master over TCP instead of the socket
    master_token: str | None  # FUELTUI_MASTER_TOKEN: its bearer token
    master_plugins: tuple[str, ...]  # FUELTUI_MASTER_PLUGINS: extra modules with a register(tasks)
    no_discovery: bool  # FUELTUI_NO_DISCOVERY=1: the master runs without its discovery service
    theme: str  # FUELTUI_THEME: the TUI's Textual theme ("ansi-dark")
    ipxe_dir: Path | None  # FUELTUI_IPXE_DIR: where the iPXE loaders are, if not the packaged ones
    mirror_dir: Path | None  # FUELTUI_MIRROR_DIR: the package mirror's directory
    cache_dir: Path | None  # FUELTUI_CACHE_DIR: the bootstrap image's build cache
    verify_dhcp_timeout: float  # FUELTUI_VERIFY_DHCP_TIMEOUT: seconds the rogue-DHCP check listens
    poll_interval: float | None  # FUELTUI_POLL_INTERVAL: seconds between discovery polls
    offline_after: float | None  # FUELTUI_OFFLINE_AFTER: seconds without an answer → offline
    provision_parallel: float | None  # FUELTUI_PROVISION_PARALLEL: nodes provisioned at once

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            state_dir=_path(env.get("FUELTUI_STATE_DIR")),
            lab=env.get("FUELTUI_LAB") == "1",
            lab_prefix=env.get("FUELTUI_LAB_PREFIX") or "ft",
            lab_state_dir=_path(env.get("FUELTUI_LAB_STATE_DIR")),
            master_url=env.get("FUELTUI_MASTER_URL") or None,
            master_token=env.get("FUELTUI_MASTER_TOKEN") or None,
            master_plugins=tuple(
                name.strip() for name in env.get("FUELTUI_MASTER_PLUGINS", "").split(",") if name.strip()
            ),
            no_discovery=env.get("FUELTUI_NO_DISCOVERY") == "1",
            theme=env.get("FUELTUI_THEME") or "ansi-dark",
            ipxe_dir=_path(env.get("FUELTUI_IPXE_DIR")),
            mirror_dir=_path(env.get("FUELTUI_MIRROR_DIR")),
            cache_dir=_path(env.get("FUELTUI_CACHE_DIR")),
            verify_dhcp_timeout=_float(env.get("FUELTUI_VERIFY_DHCP_TIMEOUT"), 4.0),
            poll_interval=_float(env.get("FUELTUI_POLL_INTERVAL"), 0.0) or None,
            offline_after=_float(env.get("FUELTUI_OFFLINE_AFTER"), 0.0) or None,
            provision_parallel=_float(env.get("FUELTUI_PROVISION_PARALLEL"), 0.0) or None,
        )


def settings() -> Settings:
    return Settings.from_environment()
