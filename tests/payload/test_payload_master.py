"""The master's side of the payload: who gets it, where its secrets live, and that a deploy
refuses to start without the mirror."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from test_payload_render import make_node

from fueltui.core.environment import new_environment
from fueltui.core.nodeconfig import node_configs
from fueltui.core.releases import default_release
from fueltui.master.deploy.payload import (
    attach_payload,
    ensure_secrets,
    payload_findings,
    runs_os,
    secrets_path,
)
from fueltui.mirror.paths import KEY_FILE, repo_dir

RELEASE = default_release()


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUELTUI_MIRROR_DIR", str(tmp_path / "mirror"))
    assert RELEASE.os is not None
    return repo_dir(RELEASE.os.name)


def nodes(os_name: str) -> list:
    found = [make_node(1, "ctrl-1", ["controller"]), make_node(2, "comp-1", ["compute"])]
    return [n.model_copy(update={"facts": n.facts.model_copy(update={"os": os_name})}) for n in found]


def test_only_nodes_running_the_release_os_get_the_payload(mirror: Path, tmp_path: Path) -> None:
    mirror.mkdir(parents=True)
    (mirror / KEY_FILE).write_text("KEY")
    env = new_environment("demo", RELEASE, "neutron-gre")
    for os_name, expected in (
        ("Debian GNU/Linux 13 (trixie)", True),
        ("Debian GNU/Linux 12 (bookworm)", False),
    ):
        members = nodes(os_name)
        assert all(runs_os(n, RELEASE) is expected for n in members)
        base = node_configs(env, RELEASE, members)
        configs = attach_payload(tmp_path / "state", env, RELEASE, members, base, ["ctrl-1"], "10.20.0.2")
        assert all((cfg.payload is not None) is expected for cfg in configs.values())


def test_no_mirror_refuses_the_deploy_and_attaches_nothing(mirror: Path, tmp_path: Path) -> None:
    assert [f.code for f in payload_findings(RELEASE)] == ["mirror-not-synced"]
    env = new_environment("demo", RELEASE, "neutron-gre")
    members = nodes("Debian GNU/Linux 13 (trixie)")
    configs = attach_payload(
        tmp_path, env, RELEASE, members, node_configs(env, RELEASE, members), [], "10.20.0.2"
    )
    assert all(cfg.payload is None for cfg in configs.values())
    mirror.mkdir(parents=True)
    (mirror / KEY_FILE).write_text("KEY")
    assert payload_findings(RELEASE) == []


def test_secrets_are_private_and_kept_across_deploys(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    first = ensure_secrets(state, "demo")
    path = secrets_path(state, "demo")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ensure_secrets(state, "demo") == first
    assert json.loads(path.read_text())["values"]["admin"] == first["admin"]
    path.write_text("not json")  # a damaged file: new secrets, never a traceback
    assert ensure_secrets(state, "demo")["admin"] != first["admin"]


def test_no_cloud_is_handed_over_where_no_node_runs_the_release_os(mirror: Path, tmp_path: Path) -> None:
    from fueltui.master.deploy.payload import cloud_payload, load_secrets

    mirror.mkdir(parents=True)
    (mirror / KEY_FILE).write_text("KEY")
    env = new_environment("demo", RELEASE, "neutron-gre")
    old = nodes("Debian GNU/Linux 12 (bookworm)")
    attach_payload(tmp_path, env, RELEASE, old, node_configs(env, RELEASE, old), ["ctrl-1"], "10.20.0.2")
    assert load_secrets(tmp_path, "demo") is None  # no secrets made for a cloud that is not there
    assert cloud_payload(tmp_path, env, RELEASE, old, "10.20.0.2") is None
    new = nodes("Debian GNU/Linux 13 (trixie)")
    attach_payload(tmp_path, env, RELEASE, new, node_configs(env, RELEASE, new), ["ctrl-1"], "10.20.0.2")
    assert cloud_payload(tmp_path, env, RELEASE, new, "10.20.0.2") is not None
