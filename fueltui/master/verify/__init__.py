"""Network verification: real L2 probes between nodes, the DHCP check, the deploy gate.

`register()` is called by the master at start-up: it plugs the `verify` task kind in.
"""

from __future__ import annotations


def register() -> None:
    from fueltui.api.tasks import VERIFY
    from fueltui.master.tasks import register_task_kind
    from fueltui.master.verify.task import handle_verify

    register_task_kind(VERIFY, handle_verify)
