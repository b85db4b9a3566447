"""`fueltui` with no command opens the TUI on a real terminal (a pty) and reaches the master."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

from fueltui.core.environment import new_environment
from fueltui.core.releases import default_release
from masterfixtures import RunningMaster


def read_until(fd: int, wanted: list[bytes], timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)  # polling interval of the pty
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if all(w in seen for w in wanted):
                return seen
    raise AssertionError(f"timed out waiting for {wanted!r}; got {seen[-400:]!r}")


def test_fueltui_without_a_command_opens_the_tui(master: RunningMaster, tmp_path) -> None:
    master.state.store.create_environment(new_environment("from-the-store", default_release(), "neutron-gre"))
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "FUELTUI_STATE_DIR": str(master.base)}
    env.pop("FUELTUI_LAB", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "fueltui", "--root", str(tmp_path)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(terminal)
    try:
        read_until(controller, [b"1 Master"], timeout=60)  # the bar, its current page labelled
        os.write(controller, b"\x1bOR")  # F3: the environments page, listed from the master
        read_until(controller, [b"from-the-store"], timeout=30)
        os.write(controller, b"\x11")  # ctrl+q
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
