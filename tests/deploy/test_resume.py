"""The record of a deployment's done tasks: a journal line per task, folded into the file on load."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from fueltui.master.deploy.resume import ResumeState

MAC1, MAC2 = "52:54:00:00:00:01", "52:54:00:00:00:02"


def test_a_task_is_one_appended_line_not_a_rewrite_of_the_whole_record(tmp_path: Path) -> None:
    state = ResumeState(tmp_path / "deploy" / "env.json")
    for task in ("hosts", "netconfig", "health"):
        state.record(MAC1, task, f"sig-{task}")
    state.record(MAC1, "hosts", "sig-hosts")  # unchanged: nothing written
    # No file rewritten per task (it grew with the environment: 350 KB at 200 nodes).
    assert not state.path.exists()
    lines = state.journal.read_text().splitlines()
    assert [json.loads(line) for line in lines] == [
        [MAC1, "hosts", "sig-hosts"],
        [MAC1, "netconfig", "sig-netconfig"],
        [MAC1, "health", "sig-health"],
    ]
    assert stat.S_IMODE(state.journal.stat().st_mode) == 0o600


def test_loading_folds_the_journal_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "deploy" / "env.json"
    first = ResumeState(path)
    first.record(MAC1, "hosts", "a")
    first.record(MAC2, "hosts", "b")
    first.forget(MAC2)
    again = ResumeState(path)
    assert again.succeeded(MAC1, "hosts", "a") and not again.succeeded(MAC2, "hosts", "b")
    assert not again.journal.exists()  # the file alone holds it now (reset and rename move the file)
    assert json.loads(path.read_text()) == {"nodes": {MAC1: {"hosts": "a"}}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again.record(MAC1, "netconfig", "c")
    assert ResumeState(path).done == {MAC1: {"hosts": "a", "netconfig": "c"}}


def test_a_line_cut_short_by_a_crash_is_not_a_done_task(tmp_path: Path) -> None:
    path = tmp_path / "env.json"
    state = ResumeState(path)
    state.record(MAC1, "hosts", "a")
    with state.journal.open("a") as journal:
        journal.write('["52:54:00:00:00:01", "netconf')  # the master died mid-write
    loaded = ResumeState(path)
    assert loaded.done == {MAC1: {"hosts": "a"}}
    loaded.record(MAC1, "netconfig", "b")  # the next line is whole, not glued to the cut one
    assert ResumeState(path).done == {MAC1: {"hosts": "a", "netconfig": "b"}}
