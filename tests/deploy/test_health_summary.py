"""A node's health line: what the check found, or why it did not finish."""

from __future__ import annotations

from fueltui.master.deploy.health import summary


def entry(peer: str, ok: bool) -> dict[str, object]:
    return {"from": "n1", "network": "management", "peer": peer, "address": "192.168.0.9", "ok": ok}


def test_a_check_that_stopped_keeps_its_failure_and_says_how_far_it_got() -> None:
    line = summary("error", "health_check: timed out after 180 s", [], [entry("n2", True)] * 3)
    assert (
        line
        == "health_check: timed out after 180 s (3 peer addresses checked, 0 not reached before it stopped)"
    )
    assert "reachable" not in line


def test_a_finished_check_reports_what_it_found() -> None:
    assert summary("ready", "deployed", [], [entry("n2", True), entry("n3", True)]) == (
        "health: all 2 peer addresses reachable"
    )
    missed = summary("ready", "deployed", [], [entry("n2", True), entry("n3", False)])
    assert missed == "health: ok; cannot reach n3 on management (192.168.0.9) (blamed on the peer)"
    blamed = summary("error", "health: no peer reaches it", ["no peer reaches it on management"], [])
    assert blamed == "health: no peer reaches it on management"
