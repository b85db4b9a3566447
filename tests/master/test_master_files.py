"""The state directory's resolution, private files, and log files read by byte offset."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from fueltui import statedir
from fueltui.api.events import EnvChanged, NodeDeleted
from fueltui.lab.lab import lab_boot_options
from fueltui.main import main
from fueltui.master.discovery import dhcp
from fueltui.master.events import EventBus
from fueltui.master.logfiles import LogFiles, read_chunk
from polling import async_wait_until


def test_state_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FUELTUI_STATE_DIR", "FUELTUI_LAB", "FUELTUI_LAB_STATE_DIR", "FUELTUI_LAB_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert statedir.state_dir() == tmp_path / "xdg" / "fueltui"
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert statedir.state_dir() == Path("/var/lib/fueltui")
    monkeypatch.setenv("FUELTUI_LAB", "1")
    monkeypatch.setenv("FUELTUI_LAB_PREFIX", "zz")
    assert statedir.state_dir() == Path("/run/fueltui-lab/zz/master")
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(tmp_path / "explicit"))
    assert statedir.state_dir() == tmp_path / "explicit"
    base = statedir.ensure_state_dir()
    assert stat.S_IMODE(base.stat().st_mode) == 0o700 and statedir.logs_dir(base).is_dir()
    statedir.write_private(statedir.token_path(base), "secret\n")
    assert stat.S_IMODE(statedir.token_path(base).stat().st_mode) == 0o600
    assert [p.name for p in base.iterdir() if p.name.endswith(".tmp")] == []


def test_log_chunks_are_whole_lines_by_byte_offset(tmp_path: Path) -> None:
    logs = LogFiles(tmp_path)
    path = logs.node_path("52:54:00:AA:00:01")
    assert path.name == "52:54:00:aa:00:01.log"
    assert read_chunk(path).model_dump() == {"entries": [], "start": 0, "end": 0, "has_more": False}
    logs.append(path, ["alpha", "bravo", "charlie ü"])
    first = read_chunk(path, 0, limit=14)  # "alpha\nbravo\nch": stops after the last whole line
    assert first.entries == ["alpha", "bravo"] and first.end == 12 and first.has_more
    rest = read_chunk(path, first.end)
    assert rest.entries == ["charlie ü"] and not rest.has_more
    assert read_chunk(path, 10_000).entries == [] and read_chunk(path, 10_000).end == rest.end
    tail = read_chunk(path, tail=12)
    assert tail.entries == ["charlie ü"]
    logs.append(path, ["x" * 50])
    piece = read_chunk(path, rest.end, limit=20)  # a line longer than a chunk comes in pieces
    assert piece.entries == ["x" * 20] and piece.has_more
    with pytest.raises(ValueError):
        logs.task_path("../escape")


async def test_event_history_replay_and_overflow() -> None:
    bus = EventBus()
    bus.publish("env.deleted", {"name": "one"})
    bus.publish("env.changed", {"name": "two", "revision": 2})
    with bus.subscribe(after=1) as replay:
        event = await replay.get(1)
        assert event is not None and event.event == EnvChanged(name="two", revision=2)
        bus.emit(NodeDeleted(mac="52:54:00:00:00:03"))
        following = await replay.get(1)
        assert following is not None and following.type == "node.deleted"
        assert await replay.get(0.01) is None
    with pytest.raises(ValidationError):  # only declared events travel
        bus.publish("env.renamed", {"name": "x"})
    with pytest.raises(ValidationError):
        bus.publish("env.changed", {"mac": "x"})
    lost = EventBus()
    for n in range(2100):  # more than the history keeps
        lost.publish("env.changed", {"name": f"e{n}"})
    with lost.subscribe(after=1) as late:
        first = await late.get(1)
        assert first is not None and first.type == "stream.overflow"
    bus.close()
    with bus.subscribe() as closed:
        bus.close()
        assert await closed.get(1) is None


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_loose_state_dir_and_its_logs_are_tightened(tmp_path: Path) -> None:
    base = tmp_path / "state"
    (base / "logs" / "nodes").mkdir(parents=True)
    for path in (base, base / "logs", base / "logs" / "nodes"):
        path.chmod(0o755)  # made beforehand, e.g. by `mkdir` with a 022 umask
    statedir.ensure_state_dir(base)
    logs = LogFiles(statedir.logs_dir(base))
    node_log = logs.node_path("52:54:00:aa:00:01")
    node_log.write_text("")
    node_log.chmod(0o644)
    logs.append(node_log, ["line"])
    task_log = logs.task_path("t1", "52:54:00:aa:00:01")
    logs.append(task_log, ["line"])
    logs.close()
    assert [_mode(p) for p in (base, base / "logs", base / "logs" / "nodes", base / "logs" / "tasks")] == [
        0o700
    ] * 4
    assert _mode(task_log.parent) == 0o700
    assert _mode(node_log) == 0o600 and _mode(task_log) == 0o600


def test_a_shared_directory_is_refused_not_chmodded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    with pytest.raises(statedir.SharedDirectory):
        statedir.ensure_state_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    monkeypatch.setenv("FUELTUI_STATE_DIR", str(tmp_path / "unused"))  # main() sets it; restored after
    assert main(["envs", "--state-dir", str(shared)]) == 2  # refused, no traceback, no master started


async def test_dnsmasq_files_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = statedir.ensure_state_dir(tmp_path / "state")
    server = dhcp.DhcpServer(lab_boot_options(), base, lambda lease: None)
    server.lease_file.write_text("")
    server.lease_file.chmod(0o644)  # left by an older master

    async def holding(address: str) -> str:
        return "lo"

    # The files are fueltui's; a stand-in for dnsmasq writes one line to the log and exits.
    monkeypatch.setattr(dhcp, "interface_holding", holding)
    monkeypatch.setattr(dhcp, "dnsmasq_argv", lambda conf: ["sh", "-c", "echo 'dnsmasq: started' >&2"])
    assert await server.start()
    await async_wait_until(
        lambda: _async(server.log_file.exists() and "started" in server.log_file.read_text()),
        timeout=10,
        what="dnsmasq's log written",
    )
    await server.stop()
    assert _mode(server.conf_file) == 0o600
    assert _mode(server.lease_file) == 0o600
    assert _mode(server.log_file) == 0o600


async def _async(value: bool) -> bool:
    return value
