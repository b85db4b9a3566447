"""Page 5 — the interfaces drag-map: NICs as columns, the node's networks as chips.

Keyboard: arrows move the cursor, Enter picks the chip up, arrows carry it, Enter drops it,
Esc puts it back. Mouse: drag a chip onto another NIC. Every drop is judged by the core's
`check_drop`; an illegal one is refused with its reason. Several nodes marked on the nodes
page are edited together when their NIC sets match."""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from fueltui.api.events import BaseEvent
from fueltui.api.schema import EnvironmentRecord, NodeRecord
from fueltui.client.errors import ApiError
from fueltui.core.bonds import fold_into_bonds
from fueltui.core.environment import network_names, network_vlans, networks_for_node
from fueltui.core.model import Environment, Finding, Nic, Node, NodeStatus, Release, Severity
from fueltui.core.nicdefaults import nic_sets_match
from fueltui.core.releases import get_release
from fueltui.tui.backend import describe_error
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.widgets.bondcolumn import BondColumn
from fueltui.tui.widgets.bondedit import BondEditing
from fueltui.tui.widgets.niccolumn import NIC_MIN_WIDTH, UNASSIGNED, UNASSIGNED_WIDTH, NicColumn


def check_drop(node: Node, after: dict[str, list[str]], env: Environment, release: Release) -> Finding | None:
    from fueltui.core.rules import check_drop as check

    return check(node, after, env, release)


def check_interfaces(node: Node, env: Environment, release: Release) -> list[Finding]:
    from fueltui.core.rules import check_interfaces as check

    return check(node, env, release)


def default_interfaces(
    nics: list[Nic], networks: list[str], env: Environment, release: Release
) -> tuple[dict[str, list[str]], list[Finding]]:
    from fueltui.core.nicdefaults import default_interfaces as defaults

    return defaults(nics, networks, env, release)


def nic_set(node: Node) -> tuple[str, ...]:
    return tuple(sorted(nic.name for nic in node.facts.nics))


MOVE = Binding.Group("Move", compact=True)
NODE = Binding.Group("Node", compact=True)


class NicMap(Horizontal, can_focus=True):
    """The row of NIC columns; focusable so the arrow keys reach the page."""


class InterfacesScreen(BondEditing):
    MODE = "interfaces"
    TITLE = "Interfaces"
    HELP = (
        "Which NIC carries which network, for the node shown (or every node marked on the nodes "
        "page when their NICs match). Arrows move the cursor; Enter picks a network up, the arrows "
        "carry it to another NIC, Enter drops it, Esc cancels. With a mouse, drag a network onto "
        "a NIC. A drop that breaks a rule is refused with the reason. `m` (or space) marks NICs, `b` "
        "bonds the marked ones (name, mode, LACP options, MTU), `u` unbonds the bond under the "
        "cursor; networks go on a bond as on a NIC; `t` sets the MTU of the NIC or bond under it. "
        "`l` loads the default assignment, ctrl+s applies it, `[` and `]` switch node."
    )
    BINDINGS = [
        Binding("enter", "pick_or_drop", "Pick/drop"),
        Binding("escape", "cancel", "Cancel", show=False),
        # shown once in the footer as "←→ Move"; ↑↓ pick the chip and are in the help
        Binding("left", "move(-1, 0)", "Move left", key_display="←", group=MOVE),
        Binding("right", "move(1, 0)", "Move right", key_display="→", group=MOVE),
        Binding("up", "move(0, -1)", "Up", key_display="↑", show=False),
        Binding("down", "move(0, 1)", "Down", key_display="↓", show=False),
        Binding("l", "defaults", "Defaults"),
        Binding("ctrl+s", "apply", "Apply", priority=True),
        Binding("left_square_bracket", "node(-1)", "Prev node", key_display="[", group=NODE),
        Binding("right_square_bracket", "node(1)", "Next node", key_display="]", group=NODE),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.env_record: EnvironmentRecord | None = None
        self.release: Release | None = None
        self.members: list[NodeRecord] = []  # nodes of the environment
        self.targets: list[NodeRecord] = []  # edited together
        self.index = 0
        self.assignment: dict[str, list[str]] = {}
        self.col = 1
        self.row = 0
        self.picked: tuple[str, str] | None = None  # (network, from NIC)
        self.dragging = False
        self.dirty = False
        self.last_refusal: Finding | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Choose an environment on page 2 and add nodes on page 4.", id="nic-title", markup=False)
        yield NicMap(id="nic-map")
        yield Static("", id="nic-status", markup=False)

    # data ---------------------------------------------------------------------------------

    async def reload(self) -> None:
        master = self.fuel.master
        name = self.fuel.env_name
        if master is None or name is None:
            return
        record = await master.environment(name)
        records = await master.nodes()
        self.env_record, self.release = record, get_release(record.environment.release)
        self.members = sorted((r for r in records if r.node.environment == name), key=lambda r: r.node.name)
        await self._select_targets()

    async def _select_targets(self) -> None:
        if not self.members:
            self.targets = []
            await self._build()
            return
        marked = [r for r in self.members if r.node.mac in self.fuel.selected_macs]
        self.targets = [self.members[self.index % len(self.members)]]
        if len(marked) > 1:
            if nic_sets_match([r.node.facts.nics for r in marked]):  # the core's rule, PXE NIC included
                self.targets = marked
            else:
                names = ", ".join(f"{r.node.name} ({' '.join(nic_set(r.node))})" for r in marked)
                self.notify(
                    f"Bulk editing needs identical NIC sets: {names}",
                    title="One node at a time",
                    severity="warning",
                    timeout=8,
                )
        first = self.targets[0].node
        self.assignment = {nic.name: list(first.interfaces.get(nic.name, [])) for nic in first.facts.nics}
        self.bonds = [bond.model_copy() for bond in first.bonds]
        self.mtu = dict(first.mtu)
        self.assignment.update({b.name: list(first.interfaces.get(b.name, [])) for b in self.bonds})
        self.marked, self.note = [], ""
        self.picked, self.dirty = None, False
        await self._build()

    @property
    def env(self) -> Environment | None:
        return self.env_record.environment if self.env_record else None

    def unassigned(self) -> list[str]:
        env, release = self.env, self.release
        if env is None or release is None or not self.targets:
            return []
        placed = {net for nets in self.assignment.values() for net in nets}
        return [n for n in networks_for_node(env, release, self.targets[0].node.roles) if n not in placed]

    async def _build(self) -> None:
        nic_map = self.query_one("#nic-map", NicMap)
        await nic_map.remove_children()
        if not self.targets:
            self.query_one("#nic-title", Static).update("No nodes in the environment (add them on page 4).")
            return
        node = self.targets[0].node
        hidden = self.hidden_nics()
        shown = [nic for nic in node.facts.nics if nic.name not in hidden]
        by_name = {nic.name: nic for nic in node.facts.nics}
        columns = [NicColumn(None, 0), *(NicColumn(nic, i + 1) for i, nic in enumerate(shown))]
        columns += [
            BondColumn(bond, [by_name[s] for s in bond.slaves if s in by_name], len(columns) + i)
            for i, bond in enumerate(self.bonds)
        ]
        await nic_map.mount_all(columns)
        names = ", ".join(r.node.name for r in self.targets)
        bulk = f" (bulk: {len(self.targets)} nodes)" if len(self.targets) > 1 else ""
        self.query_one("#nic-title", Static).update(
            f"{names}{bulk} — roles: {', '.join(node.roles) or 'none'}"
        )
        self.col = min(max(self.col, 0), len(columns) - 1)
        if not self.nets_of(columns[self.col]):  # on an empty column the cursor would show nowhere
            self.col = next((c.index for c in columns if c.nic is not None and self.nets_of(c)), self.col)
            self.row = 0
        self._fit_columns()
        nic_map.focus()
        self._draw()

    def _fit_columns(self) -> None:
        """Columns share the width (1fr); when even their minimum does not fit, they keep that
        minimum and the map scrolls (a 1fr column would otherwise take the whole width)."""
        columns = self.columns()
        nics = [c for c in columns if c.nic is not None]
        unassigned = UNASSIGNED_WIDTH if len(columns) > len(nics) else 0
        crowded = unassigned + len(nics) * NIC_MIN_WIDTH > self.size.width
        for column in nics:
            column.styles.width = NIC_MIN_WIDTH if crowded else "1fr"

    def on_resize(self) -> None:
        self._fit_columns()

    def columns(self) -> list[NicColumn]:
        return list(self.query(NicColumn))

    def nets_of(self, column: NicColumn) -> list[str]:
        if column.nic is None:
            return self.unassigned()
        return self.assignment.get(column.nic_name, [])

    def vlan_tags(self) -> dict[str, str]:
        env, release = self.env, self.release
        if env is None or release is None:
            return {}
        tags: dict[str, str] = {}
        for net in network_names(env, release):
            vlans = network_vlans(env, release, net)
            if vlans:
                tags[net] = str(vlans[0]) if len(vlans) == 1 else f"{vlans[0]}-{vlans[-1]}"
        return tags

    def _draw(self) -> None:
        for column in self.columns():
            nets = self.nets_of(column)
            here = column.index == self.col
            picked_net = self.picked[0] if self.picked else None
            from_here = self.picked is not None and self.picked[1] == column.nic_name
            incoming = picked_net if here and self.picked and not from_here else None
            cursor = min(self.row, len(nets) - 1) if here and not self.picked and nets else None
            column.marked = column.nic_name in self.marked
            column.mtu = column.bond.mtu if isinstance(column, BondColumn) else self.mtu.get(column.nic_name)
            column.show(nets, cursor, picked_net if from_here else None, incoming, self.vlan_tags())
            if here:  # with more NICs than the width holds, the map scrolls to the cursor
                self.query_one("#nic-map", NicMap).scroll_to_widget(column, animate=False)
        status = "Unsaved changes — ctrl+s applies." if self.dirty else ""
        if self.marked:
            status = f"Marked {', '.join(self.marked)}: b bonds them, m unmarks."
        if self.note:
            status = self.note
        if self.picked:
            status = f"Carrying {self.picked[0]}: ←/→ choose a NIC, Enter drops, Esc cancels."
        self.query_one("#nic-status", Static).update(status)

    # moving chips ---------------------------------------------------------------------------

    def action_move(self, dx: int, dy: int) -> None:
        columns = self.columns()
        if not columns:
            return
        self.col = (self.col + dx) % len(columns)
        self.note = ""
        if dy and not self.picked:
            nets = self.nets_of(columns[self.col])
            self.row = max(0, min(self.row + dy, len(nets) - 1))
        self._draw()

    def action_pick_or_drop(self) -> None:
        columns = self.columns()
        if not columns:
            return
        column = columns[self.col]
        if self.picked is None:
            nets = self.nets_of(column)
            if nets:
                self.picked = (nets[min(self.row, len(nets) - 1)], column.nic_name)
        else:
            self.drop(column.nic_name)
        self._draw()

    def action_cancel(self) -> None:
        if self.picked is not None:
            self.col = next((c.index for c in self.columns() if c.nic_name == self.picked[1]), self.col)
            self.picked = None
            self._draw()

    def drop(self, target: str) -> Finding | None:
        """Move the picked network onto `target`; refuse with the rule's reason if illegal."""
        assert self.picked is not None
        net, source = self.picked
        self.picked = None
        if target == source:
            return None
        after = {nic: [n for n in nets if n != net] for nic, nets in self.assignment.items()}
        if target != UNASSIGNED:
            after[target] = [*after.get(target, []), net]
        env, release = self.env, self.release
        assert env is not None and release is not None
        for record in self.targets:
            before = record.node.model_copy(update={"interfaces": self.assignment, "bonds": self.bonds})
            finding = check_drop(before, after, env, release)
            if finding is not None:
                self.col = next((c.index for c in self.columns() if c.nic_name == source), self.col)
                self.refuse(finding)
                return finding
        self.assignment = after
        self.dirty = True
        self.row = len(after.get(target, [])) - 1 if target else 0
        self._draw()
        return None

    # mouse: drag a chip onto another NIC -----------------------------------------------------

    def _column_at(self, x: int, y: int) -> NicColumn | None:
        try:
            widget, _ = self.get_widget_at(x, y)
        except Exception:  # nothing under the pointer (outside every widget)
            return None
        node: object = widget
        while node is not None and not isinstance(node, NicColumn):
            node = getattr(node, "parent", None)
        return node

    def on_mouse_down(self, event: events.MouseDown) -> None:
        column = self._column_at(event.screen_x, event.screen_y)
        if column is None or self.picked is not None:
            return
        row = column.chip_at(event.screen_y - column.content_region.y)
        nets = self.nets_of(column)
        if row is None or row >= len(nets):
            return
        self.col, self.row = column.index, row
        self.picked = (nets[row], column.nic_name)
        self.dragging = True
        self.capture_mouse()
        self._draw()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self.dragging:
            return
        column = self._column_at(event.screen_x, event.screen_y)
        if column is not None and column.index != self.col:
            self.col = column.index
            self._draw()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if not self.dragging:
            return
        self.dragging = False
        self.release_mouse()
        column = self._column_at(event.screen_x, event.screen_y)
        if column is None:
            self.action_cancel()
            return
        self.col = column.index
        self.drop(column.nic_name)
        self._draw()

    # whole-node actions ---------------------------------------------------------------------

    def action_defaults(self) -> None:
        env, release = self.env, self.release
        if env is None or release is None or not self.targets:
            return
        node = self.targets[0].node
        wanted = networks_for_node(env, release, node.roles)
        mapping, notes = default_interfaces(list(node.facts.nics), wanted, env, release)
        self.assignment = {nic.name: list(mapping.get(nic.name, [])) for nic in node.facts.nics}
        # bonds stay, taking their slaves' networks
        self.assignment = fold_into_bonds(self.assignment, self.bonds)
        self.picked, self.dirty = None, True
        # The cursor goes to the first NIC that carries something (its column may be empty now).
        self.col = next((c.index for c in self.columns() if c.nic is not None and self.nets_of(c)), self.col)
        self.row = 0
        if notes:
            self.notify("\n".join(f.message for f in notes), title="Defaults", severity="warning")
        self._draw()

    def action_apply(self) -> None:
        """Apply; first say what the layout leaves wrong and which nodes are already deployed."""
        env, release = self.env, self.release
        if env is None or release is None or not self.targets:
            return
        mapping = {nic: nets for nic, nets in self.assignment.items() if nets}
        lines: list[str] = []
        for record in self.targets:
            node = record.node.model_copy(
                update={"interfaces": mapping, "bonds": self.bonds, "mtu": self.mtu}
            )
            for finding in check_interfaces(node, env, release):
                mark = "✗" if finding.severity == Severity.error else "!"
                lines.append(f"{mark} {node.name}: {finding.message}")
            if node.status != NodeStatus.discover:
                lines.append(
                    f"! {node.name} is {node.status.value}: the new layout reaches it only when it is "
                    "deployed again (page 7)"
                )
        if not lines:
            self._apply()
            return

        def answered(ok: bool | None) -> None:
            if ok:
                self._apply()

        question = f"Apply this layout to {len(self.targets)} node(s)?"
        self.app.push_screen(ConfirmScreen(question, "\n".join(lines), yes="Apply anyway"), answered)

    @work(exclusive=True, group="apply", exit_on_error=False)
    async def _apply(self) -> None:
        master = self.master()
        if master is None or not self.targets:
            return
        mapping = {nic: nets for nic, nets in self.assignment.items() if nets}
        done, refused = 0, []
        for record in self.targets:
            try:
                await master.update_node(
                    record.node.mac, record.revision, interfaces=mapping, bonds=self.bonds, mtu=self.mtu
                )
            except ApiError as exc:
                refused.append(f"{record.node.name}: {describe_error(exc)}")
            else:
                done += 1
        self.notify(f"Applied to {done} of {len(self.targets)} node(s).")
        if refused:  # the edit stays on screen to fix and apply again
            self.notify("\n".join(refused), title="Refused", severity="error")
            return
        self.dirty = False
        self.schedule_reload()

    def has_unsaved(self) -> bool:
        return (
            self.dirty
            and self.env_record is not None
            and self.env_record.environment.name == self.fuel.env_name
        )

    def action_node(self, step: int) -> None:
        if self.members:
            self.index = (self.index + step) % len(self.members)
            self.fuel.selected_macs = []
            self._reselect_targets()

    @work(exclusive=True, group="reload", exit_on_error=False)
    async def _reselect_targets(self) -> None:
        await self._select_targets()

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        if message.event.type.startswith("node.") and not self.dirty and self.picked is None:
            self.schedule_reload()
