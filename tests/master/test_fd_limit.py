"""The master raises its open-files limit (one SSH connection a node) and keeps more log files
open when it may: a process with the usual soft limit of 1 024 could not hold a rack's
connections, and 128 open logs thrashed on a 200-node deploy."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

PROBE = """
import json, resource
resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from fueltui.master.logfiles import open_budget
before = open_budget()
from fueltui.master.server import raise_fd_limit
raised = raise_fd_limit(4096)
print(json.dumps([before, raised, resource.getrlimit(resource.RLIMIT_NOFILE)[0], open_budget()]))
"""


def run(soft: int) -> list[int]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(soft=soft)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]


def test_the_soft_limit_is_raised_and_the_log_budget_follows() -> None:
    before, raised, soft, budget = run(256)
    assert before == 128  # a low limit keeps the old budget
    assert raised == soft == min(4096, HARD)
    assert budget == max(128, min(1024, soft // 8))
    assert soft > 256


def test_a_limit_already_higher_is_left_alone() -> None:
    start = min(10000, HARD)
    _, raised, soft, budget = run(start)
    assert raised == soft == start and budget == max(128, min(1024, start // 8))
