"""Log volume policy: node and task logs capped with one previous generation; the master log too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from fueltui.master.logfiles import LogFiles, read_chunk

MAC = "52:54:00:aa:00:01"


def test_a_log_past_its_cap_rotates_and_reads_on(tmp_path: Path) -> None:
    logs = LogFiles(tmp_path / "logs", cap=1000)
    path = logs.node_path(MAC)
    for n in range(100):  # 100 × 20 bytes: two full generations
        logs.append(path, [f"line {n:04d} ........"])
    old = path.with_name(path.name + ".1")
    assert path.stat().st_size < 1000 and old.stat().st_size >= 1000
    assert read_chunk(old).entries[-1] < read_chunk(path).entries[0]  # the newest lines are in the file
    assert read_chunk(path).entries[-1] == "line 0099 ........"
    before = path.stat().st_size
    assert read_chunk(path, offset=5000).end == before  # a follower of the old file goes on at the end
    assert len(list(path.parent.iterdir())) == 2  # never more than two generations
    logs.close()


def test_the_master_log_is_capped_when_it_is_the_masters_output(tmp_path: Path) -> None:
    master_log = tmp_path / "master.log"
    master_log.write_bytes(b"old line\n" * 200)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from fueltui.master.logfiles import LogFiles
        logs = LogFiles(Path({str(tmp_path / "logs")!r}), master_log_cap=1000)
        print("after rotation", file=sys.stderr, flush=True)
        """
    )
    with master_log.open("ab") as out:
        subprocess.run(
            [sys.executable, "-c", script], stdout=out, stderr=out, check=True, env={**os.environ}, timeout=60
        )
    assert master_log.with_name("master.log.1").read_bytes() == b"old line\n" * 200
    assert master_log.read_text() == "after rotation\n"


def test_a_master_in_a_terminal_leaves_the_log_alone(tmp_path: Path) -> None:
    master_log = tmp_path / "master.log"
    master_log.write_bytes(b"x\n" * 2000)
    LogFiles(tmp_path / "logs", master_log_cap=1000).close()  # our stderr is not that file
    assert master_log.stat().st_size == 4000 and not master_log.with_name("master.log.1").exists()
