"""The Settings page's core: the release's declared fields, value parsing, and one failing and
one passing answers file per settings finding code."""

from __future__ import annotations

from typing import Any

import pytest

from answersbase import changed
from fueltui.core.answers import Answers
from fueltui.core.environment import new_environment
from fueltui.core.model import EnvStatus, Mode, Settings
from fueltui.core.releases import default_release
from fueltui.core.rules import check_answers, check_locked, check_settings
from fueltui.core.rules.codes import CODES
from fueltui.core.rules.settings import kernel_params_problem, syslog_problem
from fueltui.core.settings import (
    SettingError,
    apply_changes,
    fields,
    find_field,
    get_value,
    parse_assignment,
    parse_value,
    restriction,
)

S = "environment.settings"

# (code, path, the settings that cause it, settings that do not)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("setting-restricted", f"{S}.storage.volumes_ceph", {"storage": {"volumes_ceph": True}}, {}),
    ("setting-restricted", f"{S}.ceilometer", {"ceilometer": True}, {"ceilometer": False}),
    (
        "setting-restricted",
        f"{S}.common.tls_cert",
        {"common": {"tls_cert": "/etc/ssl/a.pem"}},
        {"common": {"horizon_tls": "operator", "tls_cert": "/etc/ssl/a.pem", "tls_key": "/etc/ssl/a.key"}},
    ),
    ("setting-out-of-range", f"{S}.storage.osd_pool_size", {"storage": {"osd_pool_size": 0}}, {}),
    ("access-name-invalid", f"{S}.access.user", {"access": {"user": "nova"}}, {"access": {"user": "ops"}}),
    (
        "access-name-invalid",
        f"{S}.access.tenant",
        {"access": {"tenant": "my tenant"}},
        {"access": {"tenant": "my-tenant"}},
    ),
    ("email-invalid", f"{S}.access.email", {"access": {"email": "ops"}}, {"access": {"email": "ops@x.org"}}),
    (
        "syslog-invalid",
        f"{S}.common.syslog",
        {"common": {"syslog": "10.20.0.3:70000"}},
        {"common": {"syslog": "10.20.0.3:514"}},
    ),
    (
        "kernel-params-invalid",
        f"{S}.common.kernel_params",
        {"common": {"kernel_params": "quiet init=$(reboot)"}},
        {"common": {"kernel_params": "quiet intel_iommu=on hugepages=64"}},
    ),
    (
        "tls-files-invalid",
        f"{S}.common.tls_key",
        {"common": {"horizon_tls": "operator", "tls_cert": "/etc/ssl/a.pem"}},
        {"common": {"horizon_tls": "self-signed"}},
    ),
]


def _codes(settings: dict[str, Any]) -> list[tuple[str, str, str]]:
    data = changed({"environment.settings": settings})
    return [(f.code, f.path, f.severity.value) for f in check_answers(Answers.model_validate(data))]


@pytest.mark.parametrize(("code", "path", "bad", "good"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_settings_code_fails_and_passes(
    code: str, path: str, bad: dict[str, Any], good: dict[str, Any]
) -> None:
    assert code in CODES
    assert (code, path, "error") in _codes(bad)
    assert all(f[0] != code for f in _codes(good))


def test_release_defaults_are_the_models_defaults() -> None:
    """The release declares each field's default; an environment without settings has them."""
    release = default_release()
    keys = [f.key for f in fields(release)]
    assert len(keys) == len(set(keys)) and {g.id for g in release.settings} == {
        "access",
        "storage",
        "additional_components",
        "common",
    }
    for field in fields(release):
        assert get_value(Settings(), field.key) == field.default, field.key
        if field.type == "select":
            assert field.default in field.choices


def test_ceph_is_unavailable_with_a_reason_and_gates_the_osd_role() -> None:
    release = default_release()
    env = new_environment("t", release, Mode.neutron_gre)
    why = restriction(find_field(release, "storage.volumes_ceph"), env.settings)  # type: ignore[arg-type]
    assert why is not None and "Ceph" in why
    assert restriction(find_field(release, "common.debug"), env.settings) is None  # type: ignore[arg-type]


def test_parse_values_by_type() -> None:
    release = default_release()
    debug = find_field(release, "common.debug")
    size = find_field(release, "storage.osd_pool_size")
    tls = find_field(release, "common.horizon_tls")
    assert debug and size and tls
    assert parse_value(debug, "Yes") is True and parse_value(debug, "off") is False
    assert parse_value(size, " 3 ") == 3
    assert parse_value(tls, "self-signed") == "self-signed"
    for field, text in ((debug, "maybe"), (size, "three"), (tls, "on")):
        with pytest.raises(SettingError) as caught:
            parse_value(field, text)
        assert caught.value.code == "setting-type" and repr(text) in caught.value.message


def test_apply_changes_and_assignments() -> None:
    release = default_release()
    key, value = parse_assignment("common.debug=true")
    settings = apply_changes(release, Settings(), {key: value, "access.email": "ops@example.org"})
    assert settings.common.debug is True and settings.access.email == "ops@example.org"
    assert Settings().common.debug is False  # the input is not changed
    with pytest.raises(SettingError) as caught:
        apply_changes(release, Settings(), {"common.nope": "1"})
    assert caught.value.code == "setting-unknown" and "common.debug" in caught.value.message
    with pytest.raises(SettingError):
        parse_assignment("common.debug")
    with pytest.raises(SettingError):
        apply_changes(release, Settings(), {"common.debug": 3})  # JSON of the wrong type


def test_locked_after_deploy() -> None:
    release = default_release()
    env = new_environment("t", release, Mode.neutron_gre)
    new = apply_changes(release, env.settings, {"access.user": "ops", "common.debug": True})
    assert check_locked(env, release, new) == []  # never deployed: nothing is locked
    env.status = EnvStatus.operational
    found = check_locked(env, release, new)
    # debug is not locked after a deploy; the admin user is
    assert [(f.code, f.path) for f in found] == [("setting-locked", f"{S}.access.user")]
    assert check_locked(env, release, env.settings) == []


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("", True),
        ("logs.example.org:514", True),
        ("10.20.0.3:6514", True),
        ("10.20.0.3", False),
        (":514", False),
        ("10.20.0.300:514", False),
        ("logs.example.org:0", False),
        ("bad_host:514", False),
        ("host;reboot:514", False),
    ],
)
def test_syslog_target(target: str, ok: bool) -> None:
    assert (syslog_problem(target) is None) == ok


def test_kernel_params_limits() -> None:
    assert kernel_params_problem("") is None
    assert kernel_params_problem("a" * 2000) is not None
    assert kernel_params_problem("console=ttyS0,115200n8") is None
    assert kernel_params_problem("x='y'") is not None


def test_the_default_settings_have_no_findings() -> None:
    assert check_settings(Settings(), default_release()) == []


def test_answers_settings_block_round_trips_through_export() -> None:
    """A partial `settings:` block takes the release defaults for the rest; the export writes
    every setting out, and applying the export gives the same settings."""
    from fueltui.core.answers import load_answers
    from fueltui.core.environment import answers_environment, environment_from_answers

    text = (
        "environment:\n  name: demo\n  settings:\n    common: {debug: true, syslog: '10.20.0.3:514'}\n"
        "    access: {email: ops@example.org}\n"
    )
    answers = load_answers(text, "demo.yaml")
    assert answers.environment is not None
    release = default_release()
    env = environment_from_answers(answers.environment, release)
    assert env.settings.common.debug and env.settings.access.email == "ops@example.org"
    assert env.settings.access.user == "admin" and env.settings.storage.volumes_lvm is True
    exported = answers_environment(env, release)
    assert exported.settings is not None and exported.settings == env.settings
    again = environment_from_answers(exported, release)
    assert again.settings == env.settings


def test_answers_settings_shape_errors_name_the_field() -> None:
    from fueltui.core.answers import AnswersError, load_answers

    with pytest.raises(AnswersError) as caught:
        load_answers("environment:\n  name: demo\n  settings:\n    common: {horizon_tls: maybe}\n", "x.yaml")
    assert caught.value.line == 4 and "horizon_tls" in caught.value.field
