"""The one atomic write (statedir.write_atomic): whole files with the asked mode, and a failed
write leaves the old file and no temp file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fueltui import statedir


def test_writes_whole_files_with_the_mode_asked(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "state.json"
    statedir.write_atomic(target, '{"a": 1}', 0o644)
    assert target.read_text() == '{"a": 1}' and stat.S_IMODE(target.stat().st_mode) == 0o644
    statedir.write_private(target, b"\x00secret")
    assert target.read_bytes() == b"\x00secret" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "answers.yaml"
    statedir.write_atomic(target, "old\n", 0o644)

    def crash(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(statedir.os, "replace", crash)
    with pytest.raises(OSError, match="No space"):
        statedir.write_atomic(target, "new\n" * 1000, 0o644)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["answers.yaml"]
