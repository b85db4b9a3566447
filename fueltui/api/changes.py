"""What the next deploy of an environment would change: Fuel's "Deploy Changes" list.

`GET /environments/{name}/changes` answers `PendingChanges`; a deploy without `--nodes`
deploys exactly these (nothing pending: the deploy is refused with `nothing-to-deploy`,
unless forced)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fueltui.api.schema import Wire

NodeAction = Literal["add", "remove", "redeploy"]


class NodeChange(Wire):
    mac: str
    name: str
    action: NodeAction
    reason: str  # why, in a few words ("roles changed: +compute", "not deployed yet")
    roles: list[str] = Field(default_factory=list)


class PendingChanges(Wire):
    environment: str
    nodes: list[NodeChange] = Field(default_factory=list)
    settings_changed: bool = False  # since the last successful deploy
    networks_changed: bool = False
    deployed_before: bool = False  # a deploy of the environment has succeeded once

    @property
    def count(self) -> int:
        """What the Deploy Changes button counts: each node, and settings / networks."""
        return len(self.nodes) + self.settings_changed + self.networks_changed

    @property
    def empty(self) -> bool:
        return self.count == 0

    def lines(self) -> list[str]:
        """One short line per change, for the CLI and the TUI's list."""
        out = [f"{c.action:<8} {c.name}  ({c.reason})" for c in self.nodes]
        if self.settings_changed:
            out.append("settings changed since the last deploy")
        if self.networks_changed:
            out.append("networks changed since the last deploy")
        return out
