"""The state directory's resolution, private files, and log files read by byte offset."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fueltui import statedir
from fueltui.master.events import EventBus
from fueltui.master.logfiles import LogFiles, read_chunk


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
    bus.publish("one", {})
    bus.publish("two", {"n": 2})
    with bus.subscribe(after=1) as replay:
        event = await replay.get(1)
        assert event is not None and (event.type, event.data) == ("two", {"n": 2})
        bus.publish("three", {})
        following = await replay.get(1)
        assert following is not None and following.type == "three"
        assert await replay.get(0.01) is None
    lost = EventBus()
    for n in range(2100):  # more than the history keeps
        lost.publish("e", {"n": n})
    with lost.subscribe(after=1) as late:
        first = await late.get(1)
        assert first is not None and first.type == "stream.overflow"
    bus.close()
    with bus.subscribe() as closed:
        bus.close()
        assert await closed.get(1) is None
