"""The README's install on a stock Debian 12 with only its own python3, as root and as a user.

Each test unpacks a fresh minbase + python3 root (tests/install/debroot.py), copies this
checkout in, runs scripts/install.sh there and then uses `fueltui` from PATH in a new login
shell — what an operator does after the install.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from install.debroot import TEST_UID, DebianRoot

pytestmark = [pytest.mark.install, pytest.mark.slow, pytest.mark.timeout(1800)]

CHECKOUT = Path(__file__).resolve().parents[2]
ROOT_VENV = "/opt/fueltui/venv"
USER_VENV = "/home/tester/.local/share/fueltui/venv"
SAME_VERSION = (
    "import importlib.metadata, fueltui; v = importlib.metadata.version('fueltui'); "
    "assert v == fueltui.__version__, (v, fueltui.__version__); print(fueltui.__file__)"
)


def debian_packages() -> list[str]:
    text = (CHECKOUT / "scripts/install.sh").read_text()
    match = re.search(r'^DEBIAN_PACKAGES="([^"]*)"', text, re.MULTILINE)
    assert match, "install.sh keeps its Debian packages in DEBIAN_PACKAGES"
    return match.group(1).split()


@pytest.fixture
def stock_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DebianRoot]:
    if os.geteuid() != 0 or shutil.which("mmdebstrap") is None:
        pytest.fail("the install tests need root and mmdebstrap (scripts/install.sh installs it as root)")
    where = tmp_path_factory.mktemp("debroot") / "root"
    root = DebianRoot.unpack(where)
    yield root
    # Its mounts lived in a namespace that is gone: only files remain to remove.
    shutil.rmtree(where, ignore_errors=True)


def test_install_as_root_on_stock_debian(stock_root: DebianRoot) -> None:
    root = stock_root
    stock = root.run("dpkg-query -W -f='${db:Status-Status}' python3-venv")
    assert stock.output != "installed", "the base root must be stock: no python3-venv"
    root.copy_checkout(CHECKOUT, "/root/fueltui")

    first = root.run("cd /root/fueltui && bash scripts/install.sh")
    assert first.returncode == 0, first.output
    assert "warning" not in first.output, "root's own checkout raises no warning"

    used = root.run(
        'cd / && command -v fueltui && readlink -f "$(command -v fueltui)" && fueltui --help'
        " && fueltui check /root/fueltui/docs/examples/answers-lab.yaml"
    )
    assert used.returncode == 0, used.output
    lines = used.output.splitlines()
    assert lines[0] == "/usr/local/bin/fueltui"
    assert lines[1] == f"{ROOT_VENV}/bin/fueltui"
    assert "usage: fueltui" in used.output
    assert "answers-lab.yaml: OK" in used.output

    editable = root.run(f'cd / && {ROOT_VENV}/bin/python -c "{SAME_VERSION}"')
    assert editable.returncode == 0, editable.output
    assert editable.output.strip() == "/root/fueltui/fueltui/__init__.py", "the venv runs the checkout"

    packages = debian_packages()
    status = root.run("dpkg-query -W -f='${Package} ${db:Status-Status}\\n' " + " ".join(packages))
    installed = {line.split()[0] for line in status.output.splitlines() if line.endswith(" installed")}
    assert installed == set(packages), status.output

    # No systemd here (a chroot): the master is left to the clients' detached autostart.
    assert not root.file("/etc/systemd/system/fueltui-master.service").exists()

    again = root.run("cd /root/fueltui && bash scripts/install.sh")
    assert again.returncode == 0, again.output
    assert "pip install" not in again.output and "Debian packages" not in again.output, again.output
    assert again.seconds < 20, f"a second run took {again.seconds:.0f} s"


def test_install_unit_where_systemd_runs(stock_root: DebianRoot) -> None:
    """With systemd as the init (its runtime directory present), root gets an enabled unit that
    starts the venv's master; `systemd-analyze verify` accepts it."""
    root = stock_root
    root.copy_checkout(CHECKOUT, "/root/fueltui")
    prepared = root.run("apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd")
    assert prepared.returncode == 0, prepared.output
    # sd_booted()'s test, as install.sh makes it; nothing in a chroot can be started for real.
    root.file("/run/systemd/system").mkdir(parents=True)

    installed = root.run("cd /root/fueltui && bash scripts/install.sh")
    assert installed.returncode == 0, installed.output
    unit = root.file("/etc/systemd/system/fueltui-master.service")
    text = unit.read_text()
    assert f"ExecStart={ROOT_VENV}/bin/fueltui master run\n" in text
    assert "@" not in text, "every placeholder is filled in"
    assert oct(unit.stat().st_mode & 0o777) == "0o644"
    wants = root.file("/etc/systemd/system/multi-user.target.wants/fueltui-master.service")
    assert os.readlink(wants) == "/etc/systemd/system/fueltui-master.service", "enabled: starts at boot"
    verified = root.run("systemd-analyze verify /etc/systemd/system/fueltui-master.service")
    assert verified.returncode == 0, verified.output


def test_install_as_user_without_python3_venv(stock_root: DebianRoot) -> None:
    """A user on a stock Debian (no python3-venv, no root): pip is bootstrapped from PyPI, the
    --dev install runs the checkout's tests through scripts/test.sh — the README's second line."""
    root = stock_root
    made = root.run(f"useradd --create-home --uid {TEST_UID} --shell /bin/bash tester")
    assert made.returncode == 0, made.output
    root.copy_checkout(CHECKOUT, "/home/tester/fueltui", owner=TEST_UID)

    installed = root.run("cd ~/fueltui && bash scripts/install.sh --dev", user=True)
    assert installed.returncode == 0, installed.output
    assert "bootstrapping pip from PyPI" in installed.output
    assert "apt-get" not in installed.output
    assert "your ~/.profile adds it at your next login" in installed.output

    used = root.run(
        "cd / && command -v fueltui && fueltui --help"
        " && fueltui check ~/fueltui/docs/examples/answers-lab.yaml",
        user=True,
    )
    assert used.returncode == 0, used.output
    assert used.output.splitlines()[0] == "/home/tester/.local/bin/fueltui"
    assert "answers-lab.yaml: OK" in used.output
    assert os.readlink(root.file("/home/tester/.local/bin/fueltui")) == f"{USER_VENV}/bin/fueltui"
    editable = root.run(f'cd / && {USER_VENV}/bin/python -c "{SAME_VERSION}"', user=True)
    assert editable.output.strip() == "/home/tester/fueltui/fueltui/__init__.py", editable.output
    assert not root.file("/opt/fueltui").exists() and not root.file("/usr/local/bin/fueltui").exists()

    tested = root.run(
        "cd ~/fueltui && bash scripts/test.sh -p no:cacheprovider --no-cov -q"
        " tests/core/test_core_answers.py",
        user=True,
    )
    assert tested.returncode == 0, tested.output
    assert re.search(r"\d+ passed", tested.output), tested.output
