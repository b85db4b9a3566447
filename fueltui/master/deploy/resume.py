"""What a deployment already did, kept across stops, failures and master restarts.

For each node: the tasks that succeeded, each with the signature it succeeded under (the
node's rendered configuration + the task's definition). Deploying again skips a task
whose signature is unchanged.

One JSON file per environment, and a journal beside it: each success (or a node forgotten)
is one line appended to the journal, so a master killed mid-deploy loses at most the task
that was running. Rewriting the whole file after every task cost the master's event loop
time that grew with the environment (200 nodes × 20 tasks: a 350 KB file dumped and fsynced
twice per task, up to 5 ms of CPU and tens of ms of wall time each). Loading folds the
journal into the file (written atomically, then the journal removed), so `path` alone holds
everything once a `ResumeState` was made; a line cut short by a crash is ignored.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from fueltui.statedir import open_private, write_private

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
COMPACT_AT = 20_000  # journal lines: fold them into the file past this many (a few MB)


class ResumeState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.done: dict[str, dict[str, str]] = {}
        self._lines = 0
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            data = {}
        nodes = data.get("nodes", {}) if isinstance(data, dict) else {}
        if isinstance(nodes, dict):
            for mac, tasks in nodes.items():
                if isinstance(tasks, dict):
                    self.done[str(mac)] = {str(k): str(v) for k, v in tasks.items()}
        if self._replay():
            self._compact()

    @classmethod
    def for_environment(cls, state_dir: Path, env_name: str) -> ResumeState:
        return cls(state_dir / "deploy" / f"{_SAFE.sub('_', env_name)}.json")

    def succeeded(self, mac: str, task_id: str, signature: str) -> bool:
        return self.done.get(mac, {}).get(task_id) == signature

    def record(self, mac: str, task_id: str, signature: str) -> None:
        if self.succeeded(mac, task_id, signature):
            return
        self.done.setdefault(mac, {})[task_id] = signature
        self._append([mac, task_id, signature])

    def forget(self, mac: str) -> None:
        if self.done.pop(mac, None) is not None:
            self._append([mac])

    def _replay(self) -> bool:
        """Apply the journal's complete lines; True when there was a journal."""
        try:
            text = self.journal.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break  # cut short by a crash: that task was not recorded
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, list) or not entry or not all(isinstance(x, str) for x in entry):
                continue
            if len(entry) == 1:
                self.done.pop(entry[0], None)
            elif len(entry) == 3:
                self.done.setdefault(entry[0], {})[entry[1]] = entry[2]
        return True

    def _append(self, entry: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = open_private(self.journal)
        try:
            data = (json.dumps(entry) + "\n").encode()
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
        self._lines += 1
        if self._lines >= COMPACT_AT:
            self._compact()

    def _compact(self) -> None:
        """The file holds everything (written atomically) before the journal goes: a crash
        between the two replays a journal whose lines the file already has, which is harmless."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self.path, json.dumps({"nodes": self.done}, indent=1, sort_keys=True))
        self.journal.unlink(missing_ok=True)
        self._lines = 0
