"""What a deployment already did, kept across stops, failures and master restarts.

For each node: the tasks that succeeded, each with the signature it succeeded under (the
node's rendered configuration + the task's definition). Deploying again skips a task
whose signature is unchanged. One JSON file per environment, written atomically after
every task, so a master killed mid-deploy loses at most the task that was running.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fueltui.statedir import write_private

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class ResumeState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.done: dict[str, dict[str, str]] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            data = {}
        nodes = data.get("nodes", {}) if isinstance(data, dict) else {}
        if isinstance(nodes, dict):
            for mac, tasks in nodes.items():
                if isinstance(tasks, dict):
                    self.done[str(mac)] = {str(k): str(v) for k, v in tasks.items()}

    @classmethod
    def for_environment(cls, state_dir: Path, env_name: str) -> ResumeState:
        return cls(state_dir / "deploy" / f"{_SAFE.sub('_', env_name)}.json")

    def succeeded(self, mac: str, task_id: str, signature: str) -> bool:
        return self.done.get(mac, {}).get(task_id) == signature

    def record(self, mac: str, task_id: str, signature: str) -> None:
        self.done.setdefault(mac, {})[task_id] = signature
        self._save()

    def forget(self, mac: str) -> None:
        if self.done.pop(mac, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(self.path, json.dumps({"nodes": self.done}, indent=1, sort_keys=True))
