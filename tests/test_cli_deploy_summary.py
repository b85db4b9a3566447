"""The deploy command's closing summary: a deploy failed by its cloud's health check says
which test failed and why (CI once showed only "12 passed, 1 failed")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fueltui.api.schema import NodeProgress, TaskRecord, TaskStatus
from fueltui.cli.deploy import _summary
from fueltui.cli.exitcodes import EXIT_FAILED, EXIT_OK


def record(health_ok: bool, tests: list[dict[str, object]]) -> TaskRecord:
    return TaskRecord(
        id="t1",
        kind="deploy",
        env="demo",
        status=TaskStatus.done if health_ok else TaskStatus.error,
        nodes={"52:54:00:00:01:00": NodeProgress(status="ready", progress=100)},
        result={"ready": True, "health_ok": health_ok, "health": [], "cloud_health": {"tests": tests}},
        created=datetime.now(UTC),
    )


def test_a_failed_health_test_is_named_with_its_reason(capsys: pytest.CaptureFixture[str]) -> None:
    tests: list[dict[str, object]] = [
        {"id": "keystone", "name": "Keystone", "group": "sanity", "status": "passed", "message": ""},
        {
            "id": "floating-ip",
            "name": "Floating IP answers ping",
            "group": "smoke",
            "status": "failed",
            "message": "10.0.0.5 did not answer\x1b[31m in 60 s",
        },
    ]
    assert _summary(record(False, tests), {}) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "health check floating-ip: failed — 10.0.0.5 did not answer" in out
    assert "keystone" not in out and "\x1b" not in out


def test_a_passed_deploy_lists_no_health_test(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _summary(
            record(True, [{"id": "keystone", "name": "Keystone", "group": "sanity", "status": "passed"}]), {}
        )
        == EXIT_OK
    )
    assert "health check keystone" not in capsys.readouterr().out
