"""Fuel's Health Check as rows: which result to show, one row per test, the summary line.

A result is a `health` task's `result` or a deploy's `result["cloud_health"]` (same shape:
`tests`, `passed`, `failed`, `ok`). While a check runs the result is not written yet, so the
rows come from the lines the check logs as each test ends (`health ok  sanity: NAME (1.2 s)`).
Plain data in, rows out; the screen stays a thin view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from fueltui.api.schema import TaskRecord, TaskStatus
from fueltui.api.tasks import DEPLOY, HEALTH, HealthResult

# Words next to the symbols: a state must read the same without colour.
MARKS: dict[str, tuple[str, str]] = {
    "passed": ("✓ pass", "green"),
    "failed": ("✗ FAIL", "bold red"),
    "skipped": ("- skip", "yellow"),
}
RUNNING_MARK = "… running"
# What cloudhealth.run_health logs for each finished test (the master's task log adds a time
# and, in the task's own log, the node's MAC in front; hence `search`, not `match`).
LOG_LINE = re.compile(
    r"health (?P<mark>ok  |FAIL|skip) (?P<group>[\w-]+): (?P<name>.*?) \((?P<duration>\d+(?:\.\d+)?) s\)"
    r"(?: (?P<message>.*))?$"
)
HEALTH_STAGE = "health check"  # a running deploy's message while it checks its cloud


@dataclass
class HealthTest:
    name: str
    group: str
    status: str  # passed | failed | skipped
    duration: float = 0.0
    message: str = ""

    @property
    def mark(self) -> Text:
        label, style = MARKS.get(self.status, (f"? {self.status}", "bold"))
        return Text(label, style=style)


@dataclass
class HealthRun:
    """The result shown: where it came from and its tests so far."""

    task: TaskRecord
    tests: list[HealthTest]

    @property
    def running(self) -> bool:
        return not self.task.status.finished

    @property
    def source(self) -> str:
        return "health check" if self.task.kind == "health" else "after deploy"

    @property
    def when(self) -> datetime:
        return self.task.finished or self.task.started or self.task.created

    def passed(self) -> int:
        return sum(1 for t in self.tests if t.status == "passed")

    def failed(self) -> int:
        return sum(1 for t in self.tests if t.status == "failed")

    def add(self, test: HealthTest) -> None:
        """A test that ended replaces an earlier row of the same name (a rerun in one check)."""
        for index, known in enumerate(self.tests):
            if (known.group, known.name) == (test.group, test.name):
                self.tests[index] = test
                return
        self.tests.append(test)


def result_of(task: TaskRecord) -> HealthResult | None:
    """The health result a task carries, if any."""
    if task.kind == HEALTH.name:
        return HEALTH.result_of(task) if task.result else None
    if task.kind == DEPLOY.name:
        return DEPLOY.result_of(task).cloud_health
    return None


def tests_of(result: HealthResult | None) -> list[HealthTest]:
    return [
        HealthTest(name=t.name, group=t.group, status=t.status, duration=t.duration, message=t.message)
        for t in (result.tests if result is not None else [])
    ]


def is_health_source(task: TaskRecord) -> bool:
    """A task whose health result the page shows: any health check, a deploy that checked its
    cloud, and a deploy that is checking it now."""
    if task.kind == "health":
        return True
    if task.kind != "deploy":
        return False
    return result_of(task) is not None or (not task.status.finished and task.message == HEALTH_STAGE)


def latest_run(tasks: list[TaskRecord]) -> HealthRun | None:
    """The newest health result among the environment's tasks (health checks and deploys)."""
    sources = [t for t in tasks if is_health_source(t)]
    if not sources:
        return None
    newest = max(sources, key=lambda t: t.started or t.created)
    return HealthRun(newest, tests_of(result_of(newest)))


def parse_log_line(line: str) -> HealthTest | None:
    """A finished test from a line of the check's log, or None for any other line.

    The master logs a skipped test as `FAIL` today (`skip` is read too, should it say so);
    the task's result, read when it finishes, tells them apart."""
    found = LOG_LINE.search(line)
    if found is None:
        return None
    return HealthTest(
        name=found["name"],
        group=found["group"],
        status={"ok  ": "passed", "skip": "skipped"}.get(found["mark"], "failed"),
        duration=float(found["duration"]),
        message=found["message"] or "",
    )


def summary_line(run: HealthRun | None, env: str) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if run is None:
        text.append(f"No health check of {env} yet — r runs one (every deploy ends with one).")
        return text
    task = run.task
    when = run.when.strftime("%Y-%m-%d %H:%M")
    counts = f"{run.passed()} passed, {run.failed()} failed"
    if run.running:
        text.append(f"{RUNNING_MARK} ", style="bold")
        text.append(f"{run.source} running: {counts} so far", style="bold")
        text.append(f" (since {when})")
        return text
    if run.tests and run.failed() == 0 and task.status == TaskStatus.done:
        text.append("✓ passed: ", style="bold green")
    elif task.status in (TaskStatus.stopped, TaskStatus.interrupted):
        text.append(f"■ {task.status.value}: ", style="bold")
    else:
        text.append("✗ failed: ", style="bold red")
    text.append(f"{counts} ({run.source}, {when})")
    if not run.tests and task.message:
        text.append(f" — {task.message}")
    return text


def detail_line(test: HealthTest | None) -> Text:
    """The selected row in full: long names and messages wrap here."""
    if test is None:
        return Text("")
    text = Text()
    text.append_text(test.mark)
    text.append(f" {test.group}: {test.name} ({test.duration:.1f} s)", style="bold")
    if test.message:
        text.append(f"\n{test.message}")
    return text
