"""Page 4 — nodes and roles: every discovered node, and a rows × roles grid for the env.

Space toggles the role under the cursor on the marked rows (or the cursor row). A role that
cannot go on a node is shown as [-] and the reason from the core's rules appears when the
cursor is on it; the summary lines say how each role stands against its limits."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from fueltui.api.events import BaseEvent
from fueltui.api.schema import EnvironmentRecord, NodeRecord
from fueltui.client.errors import ApiError
from fueltui.core.lifecycle import short_state
from fueltui.core.model import Environment, EnvStatus, Node, NodeStatus, Release
from fueltui.core.releases import get_release
from fueltui.tui.backend import describe_error
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.nodedetails import NodeDetailsScreen
from fueltui.tui.screens.prompt import PromptScreen
from fueltui.tui.widgets.nodeinfo import gib, node_details, online_mark

FIXED_COLUMNS = ("", "Name", "MAC", "Status", "On", "Env")
NARROW_COLUMNS = ("", "Name", "Status", "On")  # MAC and Env are in the detail line below
WIDE_COLUMNS = ("IP", "CPU", "RAM", "Disks", "NICs")  # shown when the terminal is wide enough
MEDIUM_FROM = 100
WIDE_FROM = 130


def layout_for(width: int) -> str:
    return "wide" if width >= WIDE_FROM else "medium" if width >= MEDIUM_FROM else "narrow"


def role_blockers(role: str, node_roles: list[str], env: Environment, release: Release) -> str | None:
    from fueltui.core.rules import role_blockers as blockers

    return blockers(role, node_roles, env, release)


def role_summary(env: Environment, release: Release, nodes: list[Node]) -> list[str]:
    from fueltui.core.rules import role_summary as summary

    return summary(env, release, nodes)


class NodesScreen(BaseScreen):
    MODE = "nodes"
    TITLE = "Nodes and roles"
    HELP = (
        "Every node the master discovered, updated live. The columns after Env are the roles "
        "of the working environment's release (first letters of the role). `[x]` assigned, "
        "`[ ]` free, `[-]` not possible here — the reason shows below when the cursor is on it. "
        "Space toggles the role under the cursor on the marked rows (m marks), or on the cursor "
        "row. a adds nodes to the environment, x removes them, e renames, d configures the "
        "node's disks. Status: `to add` — "
        "in the environment, not deployed yet; `to remove` — pending deletion, done by the next deploy."
    )
    BINDINGS = [
        Binding("space", "toggle_role", "Role"),
        Binding("m", "mark", "Mark"),
        Binding("a", "add", "Add"),
        Binding("x", "remove", "Remove"),
        Binding("e", "rename", "Rename"),
        Binding("d", "disks", "Disks", show=False),  # in the help; the footer is full at 80 columns
        Binding("i", "details", "Details"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[NodeRecord] = []
        self.env_record: EnvironmentRecord | None = None
        self.release: Release | None = None
        self.roles: list[str] = []
        self.marked: set[str] = set()
        self.fixed_count = len(FIXED_COLUMNS)
        self._layout = ""
        self._cursor_mac: str | None = None  # the node the cursor was on before a reload

    def compose_body(self) -> ComposeResult:
        with Vertical(id="nodes-body"):
            table: DataTable[str | Text] = DataTable(id="nodes-table", cursor_type="cell", zebra_stripes=True)
            yield table
            yield Static("", id="node-detail", markup=False)
            yield Static("", id="role-reason", markup=False)
            yield Static("", id="role-summary", markup=False)

    # data ---------------------------------------------------------------------------------

    async def reload(self) -> None:
        master = self.fuel.master
        if master is None:
            return
        records = await master.nodes()
        self.env_record = None
        self.release = None
        name = self.fuel.env_name
        if name is not None:
            self.env_record = await master.environment(name)
            self.release = get_release(self.env_record.environment.release)
        under, _ = self._cursor()
        self._cursor_mac = under.mac if under is not None else None
        self.records = sorted(records, key=lambda r: (r.node.environment != name, r.node.name, r.node.mac))
        self.marked &= {r.node.mac for r in self.records}
        self._fill()

    @property
    def env(self) -> Environment | None:
        return self.env_record.environment if self.env_record else None

    def cell(self, node: Node, role: str) -> Text:
        env, release = self.env, self.release
        if env is None or release is None or node.environment != env.name:
            return Text("")
        if role in node.roles:
            return Text("[x]", style="bold")
        if role_blockers(role, node.roles, env, release):
            return Text("[-]", style="dim")
        return Text("[ ]")

    @staticmethod
    def role_header(role: str) -> str:
        return role[:4]

    def _fixed_cells(self, node: Node, layout: str) -> dict[str, str]:
        cells = {
            "": "✓" if node.mac in self.marked else "",
            "Name": node.name,
            "MAC": node.mac if layout == "wide" else node.mac[-8:],
            "Status": short_state(node),
            "On": online_mark(node),
            "Env": node.environment or "—",
        }
        if layout == "wide":
            facts = node.facts
            cells |= {
                "IP": node.ip or "—",
                "CPU": str(facts.cpu.count),
                "RAM": gib(facts.memory.total_bytes),
                "Disks": " ".join(gib(d.size_bytes) for d in facts.disks),
                "NICs": str(len(facts.nics)),
            }
        return cells

    def _fill(self) -> None:
        table = self.query_one("#nodes-table", DataTable)
        row, column = table.cursor_coordinate
        # The cursor stays on its node (a rename re-sorts the rows) and starts on the first role.
        at, self._cursor_mac = self._cursor_mac, None
        table.clear(columns=True)
        self.roles = list(self.release.roles) if self.release else []
        layout = self._layout = layout_for(self.size.width)
        labels = {
            "wide": (*FIXED_COLUMNS, *WIDE_COLUMNS),
            "medium": FIXED_COLUMNS,
            "narrow": NARROW_COLUMNS,
        }[layout]
        self.fixed_count = len(labels)
        rows = [self._fixed_cells(record.node, layout) for record in self.records]
        # Widths are set from the content here, not measured later by the table: a name is
        # never cut to its header's width, whatever order the refreshes come in.
        for label in labels:
            width = max([len(label), *(len(cells[label]) for cells in rows)])
            table.add_column(label, width=width)
        for role in self.roles:
            table.add_column(self.role_header(role), width=max(3, len(self.role_header(role))))
        for record, cells in zip(self.records, rows, strict=True):
            node = record.node
            fixed = [cells[label] for label in labels]
            table.add_row(*fixed, *(self.cell(node, role) for role in self.roles), key=node.mac)
        if self.records:
            macs = [r.node.mac for r in self.records]
            row = macs.index(at) if at in macs else min(row, len(self.records) - 1)
            if column == 0 and self.roles:  # the mark column: nothing to do there with Space
                column = self.fixed_count
            table.move_cursor(row=row, column=column)
        self._describe()
        env, release = self.env, self.release
        summary = self.query_one("#role-summary", Static)
        if env is None or release is None:
            summary.update("Choose an environment on page 2 to assign roles.")
        else:
            members = [r.node for r in self.records if r.node.environment == env.name]
            summary.update("\n".join(role_summary(env, release, members)))

    def _cursor(self) -> tuple[Node | None, str | None]:
        table = self.query_one("#nodes-table", DataTable)
        if not self.records:
            return None, None
        row, column = table.cursor_coordinate
        node = self.records[min(row, len(self.records) - 1)].node
        index = column - self.fixed_count
        role = self.roles[index] if 0 <= index < len(self.roles) else None
        return node, role

    def _describe(self) -> None:
        node, role = self._cursor()
        self.query_one("#node-detail", Static).update(
            node_details(node) if node else "No nodes discovered yet."
        )
        reason = ""
        env, release = self.env, self.release
        if node and role and env and release:
            meta = release.roles[role]
            reason = f"{meta.name}: {meta.description}"
            if node.environment == env.name and role not in node.roles:
                blocker = role_blockers(role, node.roles, env, release)
                if blocker:
                    reason = f"[-] {meta.name} is not possible on {node.name}: {blocker}"
        self.query_one("#role-reason", Static).update(reason)

    def on_resize(self) -> None:
        if layout_for(self.size.width) != self._layout:
            self._fill()

    @on(DataTable.CellHighlighted, "#nodes-table")
    def _moved(self) -> None:
        self._describe()

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        if message.event.type.startswith(("node.", "env.")):
            self.schedule_reload()

    # actions ------------------------------------------------------------------------------

    def _targets(self) -> list[NodeRecord]:
        if self.marked:
            return [r for r in self.records if r.node.mac in self.marked]
        node, _ = self._cursor()
        return [r for r in self.records if node is not None and r.node.mac == node.mac]

    def action_mark(self) -> None:
        node, _ = self._cursor()
        if node is None:
            return
        self.marked ^= {node.mac}
        self.fuel.selected_macs = [r.node.mac for r in self.records if r.node.mac in self.marked]
        self._fill()

    def action_toggle_role(self) -> None:
        self._toggle_role()

    @work(exclusive=True, group="edit", exit_on_error=False)
    async def _toggle_role(self) -> None:
        master = self.master()
        node, role = self._cursor()
        env, release = self.env, self.release
        if master is None or node is None:
            return
        if role is None or env is None or release is None:
            self.notify(
                "Move the cursor onto a role column (choose an environment first).", severity="warning"
            )
            return
        adding = role not in node.roles
        refused: list[str] = []
        for record in self._targets():
            target = record.node
            if target.environment != env.name:
                refused.append(f"{target.name} is not in {env.name} (a adds it)")
                continue
            if adding == (role in target.roles):
                continue
            if adding:
                blocker = role_blockers(role, target.roles, env, release)
                if blocker:
                    refused.append(f"{target.name}: {blocker}")
                    continue
                roles = [*target.roles, role]
            else:
                roles = [r for r in target.roles if r != role]
            try:
                await master.update_node(target.mac, record.revision, roles=roles)
            except ApiError as exc:
                refused.append(f"{target.name}: {describe_error(exc)}")
        if refused:
            self.notify("\n".join(refused), title=f"{release.roles[role].name} refused", severity="error")
        await self.reload()

    def action_add(self) -> None:
        self.run_worker(self._assign(True), exclusive=True, group="edit", exit_on_error=False)

    def action_remove(self) -> None:
        """Taking a node out of a deployed environment changes a running cloud: ask first."""
        env = self.env
        leaving = [r.node for r in self._targets() if env is not None and r.node.environment == env.name]
        deployed = [n for n in leaving if n.status != NodeStatus.discover]
        if env is None or (env.status == EnvStatus.new and not deployed):
            self.run_worker(self._assign(False), exclusive=True, group="edit", exit_on_error=False)
            return
        names = ", ".join(n.name for n in leaving) or "nothing"
        was = ", ".join(n.name for n in deployed) or "none"
        detail = (
            f"{env.name} is {env.status.value}. A deployed node ({was}) "
            'becomes pending deletion ("to remove"): it keeps its roles until the next deploy removes '
            "its services from the cloud and its network configuration, then it is discovered again. "
            f"a takes it back before that. Others among {names} leave at once."
        )

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._assign(False), exclusive=True, group="edit", exit_on_error=False)

        question = f"Remove {len(leaving)} node(s) from {env.status.value} environment {env.name}?"
        self.app.push_screen(ConfirmScreen(question, detail, yes="Remove"), answered)

    async def _assign(self, add: bool) -> None:
        master = self.master()
        name = self.env_required()
        if master is None or name is None:
            return
        for record in self._targets():
            node = record.node
            if add and node.environment not in (None, name):
                self.notify(
                    f"{node.name} belongs to {node.environment}; remove it there first.", severity="error"
                )
                continue
            try:
                if add:
                    await master.update_node(node.mac, record.revision, environment=name)
                else:
                    await master.update_node(node.mac, record.revision, environment=None, roles=[])
            except ApiError as exc:  # the others still go; this one says why it did not
                self.notify(f"{node.name}: {describe_error(exc)}", title="Refused", severity="error")
        await self.reload()

    def action_rename(self) -> None:
        node, _ = self._cursor()
        if node is None:
            return
        record = next(r for r in self.records if r.node.mac == node.mac)

        def answered(name: str | None) -> None:
            if name and name != node.name:
                self.run_worker(self._rename(record, name), exit_on_error=False)

        self.app.push_screen(PromptScreen(f"New name for {node.name} ({node.mac})", node.name), answered)

    async def _rename(self, record: NodeRecord, name: str) -> None:
        master = self.master()
        if master is None:
            return
        await master.update_node(record.node.mac, record.revision, name=name)
        await self.reload()

    def action_disks(self) -> None:
        node, _ = self._cursor()
        if node is None:
            return
        from fueltui.tui.screens.disks import DisksScreen

        self.app.push_screen(DisksScreen(node.mac))

    def action_details(self) -> None:
        node, _ = self._cursor()
        if node is not None:
            self.show_details(node.mac)

    @work(exclusive=True, group="details", exit_on_error=False)
    async def show_details(self, mac: str) -> None:
        master = self.master()
        if master is None:
            return
        details = await master.node_details(mac)
        if details is not None:
            await self.app.push_screen(NodeDetailsScreen(details))
