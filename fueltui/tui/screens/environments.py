"""Page 2 — environments: the list with their status, and the wizard that creates one."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label, Select

from fueltui.api.events import BaseEvent
from fueltui.api.schema import EnvironmentRecord
from fueltui.core.model import Mode, Node, NodeStatus, Release
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.prompt import PromptScreen
from fueltui.tui.widgets.handover import CloudLine

MODE_LABELS: dict[Mode, str] = {
    Mode.neutron_gre: "Neutron with GRE segmentation",
    Mode.neutron_vlan: "Neutron with VLAN segmentation",
    Mode.nova_network: "nova-network (legacy)",
}


def delete_consequences(name: str, members: list[Node], deployed: list[Node]) -> str:
    """What deleting an environment does to its nodes, in the operator's words."""
    if not members:
        return f"{name} has no nodes."
    names = ", ".join(n.name for n in members)
    text = (
        f"Its {len(members)} node(s) ({names}) go back to the unassigned pool; their roles and "
        "NIC assignments are cleared."
    )
    if deployed:
        text += (
            f" {len(deployed)} of them were deployed: they keep running with their installed "
            "system, hostnames and addresses until they are deployed again elsewhere."
        )
    return text


class EnvironmentsScreen(BaseScreen):
    MODE = "environments"
    TITLE = "Environments"
    HELP = (
        "The clusters the master knows. Enter makes the highlighted one the environment every "
        "other page works on. The wizard on the right creates a new one with the release's "
        "defaults: pick a name, a release and a network mode, then Create."
    )
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("d", "delete", "Delete"),
        Binding("e", "rename", "Rename"),
        Binding("r", "refresh", "Refresh"),
        # Reset (#15.5) joins Fuel's other actions here once the master has it (the provisioning
        # work's POST /environments/{name}/reset): a ConfirmScreen naming the nodes, as delete's.
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[EnvironmentRecord] = []
        self.releases: list[Release] = []

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="env-body"):
            with Vertical(id="env-list"):
                yield Label("Environments — Enter chooses", classes="section")
                table: DataTable[str] = DataTable(id="env-table", cursor_type="row", zebra_stripes=True)
                table.add_columns("", "Name", "Mode", "Status")
                yield table
                yield CloudLine(only_deployed=True, id="env-cloud")
            with Vertical(id="env-wizard"):
                yield Label("New environment", classes="section")
                yield Input(placeholder="name, e.g. prod", id="wiz-name", compact=True)
                yield Label("Release")
                # A placeholder option, not a blank: set_options then leaves no stale "(loading)".
                yield Select([("(loading)", "")], value="", allow_blank=False, id="wiz-release", compact=True)
                yield Label("Network mode")
                yield Select(
                    [(label, mode.value) for mode, label in MODE_LABELS.items()],
                    value=Mode.neutron_gre.value,
                    allow_blank=False,
                    id="wiz-mode",
                    compact=True,
                )
                yield Button("Create", id="wiz-create", variant="primary")

    async def reload(self) -> None:
        master = self.fuel.master
        if master is None:
            return
        if not self.releases:
            releases = await master.releases()
            if releases:
                self.releases = list(releases)
                select = self.query_one("#wiz-release", Select)
                select.set_options([(r.name, r.id) for r in self.releases])
                select.value = self.releases[0].id
        records = await master.environments()
        self.records = sorted(records, key=lambda r: r.environment.name)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#env-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for record in self.records:
            env = record.environment
            mark = "▶" if env.name == self.fuel.env_name else ""
            table.add_row(mark, env.name, env.mode.value, env.status.value, key=env.name)
        if self.records:
            table.move_cursor(row=min(cursor, len(self.records) - 1))

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        if message.event.type.startswith(("env.", "task.finished")):
            self.schedule_reload()

    @on(DataTable.RowSelected, "#env-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        name = event.row_key.value
        self.fuel.choose_environment(name)
        self.notify(f"Working on environment {name}.", timeout=2)
        self._fill()

    # actions --------------------------------------------------------------------------

    def action_new(self) -> None:
        self.query_one("#wiz-name", Input).focus()

    def action_refresh(self) -> None:
        self.schedule_reload()

    @on(Button.Pressed, "#wiz-create")
    @on(Input.Submitted, "#wiz-name")
    def _create_pressed(self) -> None:
        self.run_worker(self.create(), exclusive=True, group="create", exit_on_error=False)

    async def create(self) -> None:
        master = self.master()
        if master is None:
            return
        name = self.query_one("#wiz-name", Input).value.strip()
        if not name:
            self.notify("Give the environment a name.", severity="warning")
            return
        release = self.query_one("#wiz-release", Select).value
        mode = self.query_one("#wiz-mode", Select).value
        record = await master.create_environment(
            name,
            release if isinstance(release, str) and release else None,
            Mode(mode) if isinstance(mode, str) else None,
        )
        self.query_one("#wiz-name", Input).value = ""
        self.fuel.choose_environment(record.environment.name)
        self.notify(f"Created {record.environment.name}; it is now the working environment.")
        await self.reload()

    def action_delete(self) -> None:
        table = self.query_one("#env-table", DataTable)
        if not self.records or table.cursor_row < 0:
            return
        record = self.records[table.cursor_row]
        self.run_worker(
            self._ask_delete(record.environment.name, record.revision),
            exclusive=True,
            group="delete",
            exit_on_error=False,
        )

    async def _ask_delete(self, name: str, revision: int) -> None:
        master = self.master()
        if master is None:
            return
        nodes = await master.nodes()
        members = [r.node for r in nodes if r.node.environment == name]
        deployed = [n for n in members if n.status != NodeStatus.discover]
        what = delete_consequences(name, members, deployed)

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._delete(name, revision, what), exit_on_error=False)

        self.app.push_screen(ConfirmScreen(f"Delete environment {name}?", what, yes="Delete"), answered)

    async def _delete(self, name: str, revision: int, what: str) -> None:
        """Delete what the page showed (its revision); a refusal raises to the worker's error
        handler, so nothing below runs and the working environment stays chosen."""
        master = self.master()
        if master is None:
            return
        await master.delete_environment(name, revision)
        self.notify(f"Deleted {name}. {what}", timeout=8)
        if self.fuel.env_name == name:
            self.fuel.choose_environment(None)
        await self.reload()

    # the highlighted environment's cloud, and rename (#15 items 7 and 5) ----------------

    @on(DataTable.RowHighlighted, "#env-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_cloud(event.row_key.value)

    @work(exclusive=True, group="cloud", exit_on_error=False)
    async def show_cloud(self, name: str) -> None:
        """Asked of the master each time: the line follows what is deployed now."""
        master = self.fuel.master
        if master is not None:
            await self.query_one("#env-cloud", CloudLine).load(master, name)

    def action_rename(self) -> None:
        table = self.query_one("#env-table", DataTable)
        if not self.records or table.cursor_row < 0:
            return
        record = self.records[table.cursor_row]
        old = record.environment.name

        def answered(name: str | None) -> None:
            if name and name != old:
                self.rename(record, name)

        self.app.push_screen(PromptScreen(f"New name for environment {old}", old), answered)

    @work(exclusive=True, group="rename", exit_on_error=False)
    async def rename(self, record: EnvironmentRecord, name: str) -> None:
        master = self.master()
        if master is None:
            return
        old = record.environment.name
        renamed = await master.rename_environment(old, name, record.revision)
        if renamed is None:
            return  # refused: the master's reason is already on screen
        if self.fuel.env_name == old:
            self.fuel.choose_environment(renamed.environment.name)
        self.notify(f"Renamed {old} to {renamed.environment.name}.", timeout=4)
        await self.reload()
