"""Network verification: real L2 probes between nodes, the DHCP check, the deploy gate.

`register(tasks)` is called by the master at start-up: it plugs the `verify` task kind into
the master's task manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fueltui.master.tasks import TaskManager


def register(tasks: TaskManager) -> None:
    from fueltui.api.tasks import VERIFY
    from fueltui.master.verify.task import handle_verify

    tasks.register(VERIFY, handle_verify)
