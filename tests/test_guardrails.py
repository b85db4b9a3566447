"""Guard rails: the architecture contracts, the types and the lint run with the suite."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "fueltui"


def _tool(name: str) -> str:
    """A console script of this interpreter's environment, found without an activated venv
    (its bin/ need not be on PATH); the bare name only if it is not installed beside Python."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else name


def _run(*cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_import_contracts_are_kept() -> None:
    result = _run(_tool("lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_fail_on_a_forbidden_import(tmp_path: Path) -> None:
    """Prove the contracts can fail: a copy of the tree with a core module importing textual."""
    copy = tmp_path / "tree"
    (copy).mkdir()
    subprocess.run(["cp", "-r", str(PKG), str(copy / "fueltui")], check=True)
    subprocess.run(["cp", str(ROOT / "pyproject.toml"), str(copy)], check=True)
    bad = copy / "fueltui" / "core" / "_bad_for_test.py"
    bad.write_text("import textual  # forbidden in the core\n")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "fueltui.core._bad_for_test -> textual" in result.stdout


def test_core_imports_without_textual() -> None:
    """The core, the API schema and the ssh layer import with Textual made unimportable."""
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "textual" or name.startswith("textual."):
                    raise ImportError("textual is blocked in this test")
                return None

        sys.meta_path.insert(0, Block())
        import fueltui.core, fueltui.api, fueltui.ssh
        for pkg in (fueltui.core, fueltui.api, fueltui.ssh):
            for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
                importlib.import_module(info.name)
        assert "textual" not in sys.modules
        print("ok")
        """
    )
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_ruff_is_clean() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_tests_do_not_sleep_to_synchronise() -> None:
    """Waits poll for a condition with a deadline (tests/polling.py); a bare sleep hides races."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # `asyncio.sleep(0)` yields one loop turn, no time: what a loop-turn test steps by.
            code = line.split("#", 1)[0].replace("asyncio.sleep(0)", "")
            if ("time.sleep(" in code or "asyncio.sleep(" in code) and "polling interval" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "bare sleeps in tests:\n" + "\n".join(offenders)


def test_lint_imports_is_found_without_an_activated_venv() -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # no venv's bin/ on it
    result = subprocess.run(
        [_tool("lint-imports"), "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_tests_run_on_the_textual_the_project_pins() -> None:
    """The pin's upper bound is the Textual the tests and screenshots are made with."""
    import re
    import tomllib
    from importlib.metadata import version

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pin = next(d for d in project["dependencies"] if d.startswith("textual"))
    upper = re.search(r"(<=|==)\s*([\d.]+)", pin)
    assert upper is not None, f"textual is not pinned: {pin}"
    assert version("textual") == upper.group(2), f"tests run on textual {version('textual')}, pin says {pin}"
