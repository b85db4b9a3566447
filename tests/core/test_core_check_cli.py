"""`fueltui check FILE [--json]`: exit 0 or 2 (refused), the JSON shape, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from answersbase import BASE, changed
from fueltui.main import main

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, data: object, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def test_valid_file_exits_0_with_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(_write(tmp_path, BASE)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"ok", "errors", "warnings"}
    assert report["ok"] is True and report["errors"] == []
    assert ("role-recommended", "nodes") in [(w["code"], w["path"]) for w in report["warnings"]]
    assert all(set(w) == {"code", "path", "message"} for w in report["warnings"])


def test_errors_exit_2_and_name_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, changed({"environment.networks.public.gateway": "172.16.1.1"}))
    assert main(["check", str(path), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert {
        "code": "gateway-outside-cidr",
        "path": "environment.networks.public.gateway",
        "message": report["errors"][0]["message"],
    } in report["errors"]
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "172.16.1.1" in t)
    assert f"{path}:{line}: error: gateway-outside-cidr: environment.networks.public.gateway: " in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("master: [unclosed\n", ":2: not valid YAML"),
        ("environment:\n  name: demo\n  modee: nova-network\n", ":3: environment.modee: unknown key 'modee'"),
        (b"\xff\xfe not utf-8", "cannot read the file"),
    ],
)
def test_unreadable_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}" in err and expected in err
    assert "Traceback" not in err


def test_missing_file_exits_2_in_json_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.yaml"), "--json"]) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ok"] is False and report["errors"][0]["code"] == "file-invalid"
    assert "No such file" in captured.err


def test_the_shipped_examples_pass() -> None:
    examples = sorted((ROOT / "docs" / "examples").glob("answers-*.yaml"))
    assert examples
    for example in examples:
        if example.name != "answers-nova-network.yaml":
            assert main(["check", str(example)]) == 0, example


def test_a_fuel_era_nova_network_file_gets_its_full_diagnosis(capsys: pytest.CaptureFixture[str]) -> None:
    """nova-network left OpenStack: the release says so, and every other rule still runs."""
    example = ROOT / "docs" / "examples" / "answers-nova-network.yaml"
    assert main(["check", "--json", str(example)]) == 2  # refused: errors
    report = json.loads(capsys.readouterr().out)
    codes = {e["code"] for e in report["errors"]}
    # mongo and Telemetry (the file turns ceilometer on): Debian no longer ships MongoDB
    assert codes == {"mode-unavailable", "role-restricted", "setting-restricted"}


def test_console_script_runs_in_a_subprocess(tmp_path: Path) -> None:
    path = _write(tmp_path, "nodes: {}\n")
    result = subprocess.run(
        [sys.executable, "-m", "fueltui", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"{path}:1: nodes:" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_example_reports_each_mistake_on_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(__file__).parent / "data" / "answers-broken.yaml"
    assert main(["check", str(path)]) == 2
    found = [line.split(": ")[0:3:2] for line in capsys.readouterr().out.splitlines()]
    assert [(where.rsplit(":", 1)[1], code) for where, code in found] == [
        ("5", "dns-invalid"),
        ("6", "hostname-invalid"),
        ("7", "dhcp-pool-outside-subnet"),
        ("8", "internal-cidr-overlap"),
        ("12", "gateway-in-range"),
        ("13", "vlan-in-segmentation-range"),
        ("14", "cidr-overlap"),
        ("18", "role-conflict"),
        ("20", "untagged-conflict"),
        ("20", "network-duplicate"),
        ("20", "network-unassigned"),
        ("15", "role-recommended"),  # 3 controllers; no Cinder advice: this release offers no Cinder
    ]
