"""Deployment: the task graph run over SSH on every node of an environment.

`register()` plugs the `deploy` task kind into the master; `checks` holds the pre-deploy
gates (others may add theirs with `register_predeploy_check`); `engine` is the orchestrator;
`runners` says where commands run; `resume` keeps what already succeeded.
"""

from __future__ import annotations


def register() -> None:
    from fueltui.api.tasks import DEPLOY, HEALTH
    from fueltui.master.deploy.task import handle_deploy, refuse_early
    from fueltui.master.tasks import register_task_kind

    register_task_kind(DEPLOY, handle_deploy, precheck=refuse_early)

    from fueltui.master.deploy import cloudhealth as health

    register_task_kind(HEALTH, health.handle_health)
