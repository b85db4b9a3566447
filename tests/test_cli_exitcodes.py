"""One exit-code table for every command, shown in `--help` and the README; global options
accepted before or after the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from fueltui.cli import exitcodes
from fueltui.main import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def test_the_table_is_in_help_and_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert exitcodes.help_text() in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["deploy", "--help"])
    assert exitcodes.help_text() in capsys.readouterr().out
    assert exitcodes.markdown_table() in (ROOT / "README.md").read_text()
    codes = [code for code, _ in exitcodes.TABLE]
    assert len(set(codes)) == len(codes)


def test_every_command_module_uses_the_table() -> None:
    # No command keeps numbers of its own: each EXIT_* it names is the table's.
    import fueltui.cli.check as check
    import fueltui.cli.common as common
    import fueltui.cli.deploy as deploy
    import fueltui.cli.verify as verify

    table = {code for code, _ in exitcodes.TABLE}
    for module in (check, common, deploy, verify):
        named = {v for k, v in vars(module).items() if k.startswith("EXIT_")}
        assert named <= table, (module.__name__, named - table)
    assert check.EXIT_FINDINGS == exitcodes.EXIT_REFUSED and deploy.EXIT_STOPPED == exitcodes.EXIT_STOPPED


@pytest.mark.parametrize(
    "argv",
    [
        ["--state-dir", "/tmp/x", "releases"],
        ["releases", "--state-dir", "/tmp/x"],
        ["master", "status", "--state-dir", "/tmp/x", "--json"],
        ["--lab", "deploy", "prod", "--state-dir", "/tmp/x"],
    ],
)
def test_global_options_before_or_after_the_command(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.state_dir == "/tmp/x"
    assert args.lab is ("--lab" in argv)
    assert args.root is None  # unset: the TUI tells an explicit `--root /` from the default


def test_a_global_option_given_before_is_kept_when_not_repeated() -> None:
    args = build_parser().parse_args(["--lab", "--root", "/mnt", "envs"])
    assert args.lab is True and args.root == "/mnt" and args.state_dir is None


def test_no_master_is_exit_3_with_the_option_after_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(tmp_path / "unused"))  # restored afterwards
    monkeypatch.setenv("FUELTUI_LAB", "0")
    assert main(["master", "status", "--state-dir", str(tmp_path / "none")]) == exitcodes.EXIT_NO_MASTER
    assert "no master runs for" in capsys.readouterr().out
