"""Reset environment from the command palette of the Deploy page (ctrl+p, "Reset").

Destructive, so it asks first with a danger dialog (no one-key yes: the operator moves to the
red button) that names the nodes whose disks are wiped. The environment's revision read for
that question goes with the request: if the environment changed meanwhile, the master refuses
(409) and nothing is reset.
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen

NAME = "Deploy: Reset environment"
HELP = "Nodes back to the bootstrap, disks wiped, deploy state cleared (asks first)"


class ResetCommands(Provider):
    async def discover(self) -> Hits:
        if isinstance(self.screen, BaseScreen):
            yield DiscoveryHit(NAME, self._start, help=HELP)

    async def search(self, query: str) -> Hits:
        if not isinstance(self.screen, BaseScreen):
            return
        matcher = self.matcher(query)
        score = matcher.match(NAME)
        if score > 0:
            yield Hit(score, matcher.highlight(NAME), self._start, help=HELP)

    def _start(self) -> None:
        screen = self.screen
        if isinstance(screen, BaseScreen):
            screen.run_worker(ask_reset(screen), exclusive=True, group="act", exit_on_error=False)


async def ask_reset(screen: BaseScreen) -> None:
    master = screen.master()
    name = screen.env_required()
    if master is None or name is None:
        return
    record = await master.environment(name)
    nodes = await master.nodes()
    members = [r.node.name for r in nodes if r.node.environment == name]
    detail = (
        f"Nodes: {', '.join(members) or 'none'}.\n"
        "Nodes fueltui provisioned boot the bootstrap again and their disks are wiped; nodes in the "
        "bootstrap have their disks wiped; nodes on an OS fueltui did not install keep everything. "
        "Every node keeps its roles and NICs and waits to be deployed again."
    )

    def answered(ok: bool | None) -> None:
        if ok:
            screen.run_worker(_reset(screen, name, record.revision), group="act", exit_on_error=False)

    dialog = ConfirmScreen(f"Reset {name}?", detail, yes="Reset and wipe", no="Cancel", danger=True)
    screen.app.push_screen(dialog, answered)


async def _reset(screen: BaseScreen, name: str, revision: int) -> None:
    master = screen.master()
    if master is None:
        return
    task = await master.reset_environment(name, revision)
    screen.notify(f"Reset of {name} started (task {task.id}).")
    screen.schedule_reload()
