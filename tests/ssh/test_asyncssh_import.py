"""Importing fueltui's SSH layer starts no process: asyncssh's searches for liboqs and nettle
(`ctypes.util.find_library`, which runs ldconfig, gcc and ld) are skipped, and only for the
duration of asyncssh's import.

Each check runs in a fresh interpreter: this test process may have imported asyncssh already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Every way a child process can be started from Python raises one of these audit events.
_CHILD = """
import ctypes.util, json, sys
spawned = []
SPAWN = {"subprocess.Popen", "os.posix_spawn", "os.exec", "os.fork", "os.system", "os.spawn"}
sys.addaudithook(lambda event, args: spawned.append([event, repr(args)[:200]]) if event in SPAWN else None)
standard = ctypes.util.find_library
STATEMENT
import asyncssh.crypto.pq as pq
print(json.dumps({
    "spawned": spawned,
    "restored": ctypes.util.find_library is standard,
    "sntrup": pq.sntrup_available,
}))
"""


def run_child(statement: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.replace("STATEMENT", statement)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "statement",
    [
        "import fueltui.ssh.fanout",
        # what a cold facts run imports
        "import fueltui.ssh.hostkeys, fueltui.master.discovery.facts",
        "import fueltui.ssh.keys",
    ],
)
def test_importing_the_ssh_layer_starts_no_process(statement: str) -> None:
    result = run_child(statement)
    assert result["spawned"] == []
    assert result["restored"] is True
    assert result["sntrup"] is False


def test_plain_asyncssh_import_searches_for_the_libraries() -> None:
    """The counter-check: the audit hook sees the search when asyncssh is imported directly,
    so an empty list above means the search was skipped, not missed."""
    result = run_child("import asyncssh")
    spawned = result["spawned"]
    assert isinstance(spawned, list) and spawned, "no process seen: this machine cannot show the search"


def test_find_library_still_answers_other_names_after_the_import() -> None:
    code = "import ctypes.util\nimport fueltui.ssh.fanout\nprint(ctypes.util.find_library('c'))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True
    )
    assert done.stdout.strip().startswith("libc.so")


def test_the_fanout_offers_nothing_the_skipped_libraries_provide(tmp_path: Path) -> None:
    """Skipping them is safe only while fueltui offers no sntrup761 key exchange and only AEAD
    ciphers (with which no MAC, umac-* included, is negotiated)."""
    from asyncssh.encryption import encryption_needs_mac

    from fueltui.ssh.fanout import Fanout
    from fueltui.ssh.hostkeys import HostKeyStore
    from fueltui.ssh.keys import ensure_master_key

    fanout = Fanout(ensure_master_key(tmp_path), HostKeyStore(tmp_path / "known_hosts.json"))
    options = fanout._options
    assert options.kex_algs and not any(b"sntrup" in alg for alg in options.kex_algs)
    assert options.encryption_algs
    assert not any(encryption_needs_mac(alg) for alg in options.encryption_algs)
