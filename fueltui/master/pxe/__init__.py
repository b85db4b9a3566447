"""Network boot served by the master: the TFTP/HTTP boot tree under `<state>/boot/` (iPXE
loaders, the chain and bootstrap scripts, one script per node that boots its disk)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fueltui.master.tasks import TaskManager


def register(tasks: TaskManager) -> None:
    """Task kinds of this part: `provision`, `reset` (the master loads it with the other plug-ins)."""
    from fueltui.master.pxe.provision import register as register_provision
    from fueltui.master.pxe.reset import register as register_reset

    register_provision(tasks)
    register_reset(tasks)
