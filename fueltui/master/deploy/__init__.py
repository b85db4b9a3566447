"""Deployment: the task graph run over SSH on every node of an environment.

`register(tasks)` plugs the `deploy` and `health` task kinds into the master's task manager;
`checks` holds the pre-deploy gates (a function and a line in its `PREDEPLOY_CHECKS`);
`engine` is the orchestrator; `runners` says where commands run; `resume` keeps what already
succeeded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fueltui.master.tasks import TaskManager


def register(tasks: TaskManager) -> None:
    from fueltui.api.tasks import DEPLOY, HEALTH
    from fueltui.master.deploy.task import handle_deploy, refuse_early

    tasks.register(DEPLOY, handle_deploy, precheck=refuse_early)

    from fueltui.master.deploy import cloudhealth as health

    tasks.register(HEALTH, health.handle_health)
