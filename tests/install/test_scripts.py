"""The install and CI scripts' own logic, run on copies with stand-in steps: fast, no network.

.ci/run must run the README's test line and never pass when nothing ran; install.sh and
test.sh must refuse what they cannot do with a clear message and without touching anything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def run(
    *cmd: str, cwd: Path = CHECKOUT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def ci_tree(tmp_path: Path, readme: str, test_exit: int = 0) -> Path:
    """.ci/run beside a README and stand-in install/test scripts that log how they were called."""
    tree = tmp_path / "clone"
    (tree / ".ci").mkdir(parents=True)
    shutil.copy(CHECKOUT / ".ci/run", tree / ".ci/run")
    (tree / "README.md").write_text(readme)
    scripts = tree / "scripts"
    scripts.mkdir()
    log = tree / "calls.log"
    (scripts / "install.sh").write_text(f'echo "install $*" >>{log}\n')
    (scripts / "test.sh").write_text(f'echo "test $*" >>{log}\nexit {test_exit}\n')
    return tree


def test_ci_runs_the_readme_test_line(tmp_path: Path) -> None:
    tree = ci_tree(tmp_path, (CHECKOUT / "README.md").read_text())
    result = run("bash", ".ci/run", cwd=tree, env={"CI": "true"})
    assert result.returncode == 0, result.stdout + result.stderr
    # The README's line is `install.sh --dev && test.sh`: both ran, in that order.
    assert (tree / "calls.log").read_text() == "install --dev\ntest \n"


def test_ci_fails_when_pytest_collects_nothing(tmp_path: Path) -> None:
    tree = ci_tree(tmp_path, "```sh\nbash scripts/test.sh\n```\n", test_exit=5)
    result = run("bash", ".ci/run", cwd=tree, env={"CI": "true"})
    assert result.returncode == 5
    assert "no tests" in result.stderr


def test_ci_fails_without_a_test_line_in_the_readme(tmp_path: Path) -> None:
    # Only the README's first code block counts: the commands a reader meets first.
    readme = "```sh\nbash scripts/install.sh\n```\n\nlater:\n```sh\nbash scripts/test.sh\n```\n"
    tree = ci_tree(tmp_path, readme)
    result = run("bash", ".ci/run", cwd=tree, env={"CI": "true"})
    assert result.returncode == 1
    assert "no test command" in result.stderr
    assert not (tree / "calls.log").exists()


def test_install_refuses_an_unknown_option_and_touches_nothing(tmp_path: Path) -> None:
    env = {"FUELTUI_VENV": str(tmp_path / "venv"), "FUELTUI_BIN_DIR": str(tmp_path / "bin")}
    result = run("bash", "scripts/install.sh", "--devv", env=env)
    assert result.returncode == 1
    assert "unknown option '--devv'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_install_help_says_where_things_go() -> None:
    result = run("bash", "scripts/install.sh", "--help")
    assert result.returncode == 0
    assert "/opt/fueltui/venv" in result.stdout and "~/.local/bin/fueltui" in result.stdout
    assert "set -euo" not in result.stdout


def test_test_sh_without_an_installed_venv_says_what_to_run(tmp_path: Path) -> None:
    result = run("bash", "scripts/test.sh", env={"FUELTUI_VENV": str(tmp_path / "none")})
    assert result.returncode == 2
    assert "bash scripts/install.sh --dev" in result.stderr
