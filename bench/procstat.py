"""A process measured from outside, as the kernel accounts it (/proc/<pid>/stat and status),
and a bench master started and stopped around a run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fueltui.api.schema import TaskRecord
from fueltui.client.api import MasterClient
from fueltui.client.errors import MasterUnavailable

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process (its threads included), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


@dataclass
class BenchMaster:
    pid: int
    base: Path
    client: MasterClient
    slow_answers: int = 0

    async def run_task(self, kind: str, params: dict[str, object], timeout: float = 3600) -> TaskRecord:
        record = await self.client.start_task(kind, None, params)
        deadline = time.monotonic() + timeout
        while not record.status.finished:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{kind} did not finish in {timeout:.0f} s")
            await asyncio.sleep(0.1)
            record = await self.poll(record)
        return record

    async def poll(self, record: TaskRecord) -> TaskRecord:
        """The task's record now; a master too busy to answer within the client's timeout is
        counted (`slow_answers`) and asked again."""
        while True:
            try:
                return await self.client.task(record.id)
            except MasterUnavailable:
                self.slow_answers += 1


@asynccontextmanager
async def bench_master() -> AsyncIterator[BenchMaster]:
    """bench/benchmaster.py in its own process and private state directory, stopped after."""
    with tempfile.TemporaryDirectory(prefix="ft-bench-", dir="/tmp") as tmp:
        base = Path(tmp) / "s"
        base.mkdir(mode=0o700)
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        with (base.parent / "master.out").open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, str(BENCH / "benchmaster.py"), str(base)], stdout=out, stderr=out, env=env
            )
        client: MasterClient | None = None
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError((base.parent / "master.out").read_text()[-2000:])
                try:
                    client = await MasterClient.connect(base, autostart=False)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)
            yield BenchMaster(proc.pid, base, client)
        finally:
            if client is not None:
                await client.close()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_idle(pid: int, quiet: float = 1.0, timeout: float = 60.0) -> float:
    """Wait until the process's CPU stops moving (at most one clock tick over `quiet` seconds);
    returns its CPU seconds then. A process still busy after `timeout` is an error."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds(pid)
    while True:
        time.sleep(quiet)
        now = cpu_seconds(pid)
        if now - before <= 1 / TICK:
            return now
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} still busy after {timeout:.0f} s")
        before = now
