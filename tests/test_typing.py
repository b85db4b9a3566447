"""The types are checked with the suite: mypy strict over the whole package, and the tests
checked (not strict) by `tests/mypy.ini`.

mypy runs as this interpreter's module (no activated venv needed) with its cache in a
temporary directory, so a stale cache in the checkout can neither hide nor invent an error."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _mypy(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_mypy_checks_the_whole_package_strictly() -> None:
    """Plain `mypy` is the strict check of all of fueltui/, not a chosen few folders."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["files"] == ["fueltui"]
    assert config["strict"] is True


@pytest.mark.timeout(240)
def test_the_package_is_strictly_typed(tmp_path: Path) -> None:
    result = _mypy(tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


@pytest.mark.timeout(240)
def test_the_tests_are_type_checked(tmp_path: Path) -> None:
    result = _mypy(tmp_path / "cache", "--config-file", str(ROOT / "tests" / "mypy.ini"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_every_test_folder_is_a_root_of_the_tests_check() -> None:
    """A new folder of tests is checked too: its bare module names need it on the search path."""
    ini = (ROOT / "tests" / "mypy.ini").read_text()
    for folder in sorted((ROOT / "tests").iterdir()):
        if folder.is_dir() and any(folder.glob("*.py")) and not (folder / "__init__.py").exists():
            assert f"$MYPY_CONFIG_FILE_DIR/{folder.name}" in ini, (
                f"tests/{folder.name} is not in tests/mypy.ini"
            )


@pytest.mark.timeout(240)
def test_the_tests_check_fails_on_a_wrong_call(tmp_path: Path) -> None:
    """Unannotated test code is still checked: a call with the wrong type is an error."""
    bad = tmp_path / "test_bad_for_test.py"
    bad.write_text("from polling import wait_until\n\n\ndef test_it():\n    wait_until(3)\n")
    config = ROOT / "tests" / "mypy.ini"
    result = _mypy(tmp_path / "cache", "--config-file", str(config), str(bad))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[arg-type]" in result.stdout


@pytest.mark.timeout(240)
def test_the_strict_check_fails_on_an_untyped_function(tmp_path: Path) -> None:
    """The same configuration refuses what strict refuses: the check above can fail."""
    bad = tmp_path / "untyped_for_test.py"
    bad.write_text("def twice(x):\n    return x * 2\n\n\ncount: int = 'three'\n")
    result = _mypy(tmp_path / "cache", "--config-file", str(ROOT / "pyproject.toml"), str(bad))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[no-untyped-def]" in result.stdout
    assert "[assignment]" in result.stdout
