"""Configure Disks (Fuel's volume manager) for one node, reached with `d` on the nodes page.

A row per disk, a column per volume the node's roles want (and any that holds space), each
disk drawn as a bar of its volumes below. `+`/`-` move a GiB between the volume under the
cursor and the disk's free space — taking it from the disk's largest other volume above its
minimum when nothing is free — Enter types a size (10G, 512M, MiB). Every edit is judged at
once by the core's rules; ctrl+s stores it on the master (which judges it again), `r` goes back
to the defaults of the node's roles. A bad size is refused with its reason and changes nothing."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from fueltui.api.disks import DiskInfo, NodeDisks, VolumeInfo
from fueltui.api.events import BaseEvent, NodeChanged
from fueltui.api.schema import NodeRecord
from fueltui.core.disks import VolumeDefaults, check_allocation, volume_defaults
from fueltui.core.disksizes import format_mib, human_mib, parse_size
from fueltui.core.model import DiskAllocation, Finding, Severity
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen

STEP_MIB = 1024
FIXED = ("Disk", "Size")
COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "red", "bright_cyan", "bright_magenta")
BAR_WIDTH = 56


class DisksScreen(BaseScreen):
    MODE = "nodes"
    TITLE = "Configure disks"
    HELP = (
        "How the node's disks are split between its volumes. Arrows move between disks (rows) "
        "and volumes (columns). + and - move 1 GiB between the volume and the disk's free space "
        "(taken from the disk's largest other volume when nothing is free); Enter types a size "
        "(10G, 512M, or MiB; 0 removes the volume from the disk). Problems show below at once. "
        "ctrl+s saves on the master, r goes back to the defaults of the node's roles, ctrl+r drops "
        "your edits, Esc returns to the nodes page."
    )
    BINDINGS = [
        Binding("escape", "leave_field", "Back"),
        Binding("plus,equals_sign", "grow", "+1G", key_display="+"),
        Binding("minus", "shrink", "-1G", key_display="-"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("r", "reset", "Defaults"),
        Binding("ctrl+r", "revert", "Revert", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    #disks-body { height: 1fr; }
    #disks-title { height: 1; }
    #disks-table { height: auto; max-height: 8; }
    #disks-bars { height: auto; max-height: 5; }
    #disks-cell { height: 1; }
    #disks-findings { height: auto; max-height: 4; }
    #disks-input { display: none; }
    #disks-input.open { display: block; }
    """

    def __init__(self, mac: str) -> None:
        super().__init__()
        self.mac = mac
        self.view: NodeDisks | None = None
        self.record: NodeRecord | None = None
        self.defaults: VolumeDefaults | None = None
        self.alloc: dict[str, dict[str, int]] = {}  # disk key -> volume -> MiB, as edited
        self.columns: list[VolumeInfo] = []
        self.findings: list[Finding] = []
        self.dirty = False
        self.last_error: str | None = None  # the last refused input, as shown

    def compose_body(self) -> ComposeResult:
        with Vertical(id="disks-body"):
            yield Static("Loading the node's disks…", id="disks-title", markup=False)
            table: DataTable[str | Text] = DataTable(id="disks-table", cursor_type="cell")
            yield table
            yield Static("", id="disks-bars")
            yield Static("", id="disks-cell", markup=False)
            yield Static("", id="disks-findings")
            yield Input(id="disks-input", placeholder="size: 10G, 512M or MiB; Enter sets, Esc cancels")

    def on_mount(self) -> None:
        super().on_mount()
        self.schedule_reload()

    # data ---------------------------------------------------------------------------------

    async def reload(self) -> None:
        master = self.fuel.master
        if master is None:
            return
        view = await master.disks(self.mac)
        record = await master.node(self.mac)
        if view is None or record is None:
            return
        self.view, self.record = view, record
        self.defaults = volume_defaults(view.release)
        self.alloc = {d.key: {} for d in view.disks} | {a.disk: dict(a.volumes) for a in view.allocation}
        self.dirty = False
        self._build()

    def has_unsaved(self) -> bool:
        return self.dirty

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        event = message.event
        if not isinstance(event, NodeChanged) or event.mac != self.mac:
            return
        if self.view is not None and event.revision == self.view.revision:
            return  # our own write, already shown
        if self.dirty:
            self.notify("The node changed on the master; ctrl+r drops your edits and reloads.", timeout=5)
        else:
            self.schedule_reload()

    def action_revert(self) -> None:
        self.schedule_reload()

    def allocation(self) -> list[DiskAllocation]:
        return [DiskAllocation(disk=key, volumes=dict(vols)) for key, vols in self.alloc.items() if vols]

    def _judge(self) -> None:
        if self.record is None or self.defaults is None:
            self.findings = []
            return
        allocation = self.allocation()
        node = self.record.node.model_copy(update={"disks": allocation})
        self.findings = check_allocation(node, allocation, self.defaults)

    # drawing ------------------------------------------------------------------------------

    def _build(self) -> None:
        view = self.view
        table = self.query_one("#disks-table", DataTable)
        row, column = table.cursor_coordinate
        table.clear(columns=True)
        if view is None:
            return
        used = {v for vols in self.alloc.values() for v, mib in vols.items() if mib}
        self.columns = [v for v in view.volumes if v.wanted or v.id in used]
        widths = [max(4, *(len(d.name) + 2 for d in view.disks)), 6]
        for label, width in zip(FIXED, widths, strict=True):
            table.add_column(label, width=width)
        for volume in self.columns:
            table.add_column(volume.id, width=max(6, len(volume.id)))
        table.add_column("Free", width=7)
        for disk in view.disks:
            table.add_row(*self._cells(disk), key=disk.key)
        if view.disks:
            last = len(FIXED) + len(self.columns) - 1
            table.move_cursor(row=min(row, len(view.disks) - 1), column=min(max(column, len(FIXED)), last))
        self._refresh()

    def _cells(self, disk: DiskInfo) -> list[str | Text]:
        vols = self.alloc.get(disk.key, {})
        free = disk.usable_mib - sum(vols.values())
        cells: list[str | Text] = [disk.name + (" *" if disk.boot else ""), human_mib(disk.size_mib)]
        for volume in self.columns:
            mib = vols.get(volume.id, 0)
            style = "" if mib or volume.wanted else "dim"
            cells.append(Text(human_mib(mib) if mib else "·", style=style))
        cells.append(
            Text(human_mib(free) if free >= 0 else f"-{human_mib(-free)}", style="red" if free < 0 else "")
        )
        return cells

    def _refresh(self) -> None:
        """Everything that follows from an edit: cells, bars, the cursor's line, findings."""
        view = self.view
        if view is None:
            return
        self._judge()
        table = self.query_one("#disks-table", DataTable)
        for disk in view.disks:
            for index, cell in enumerate(self._cells(disk)):
                table.update_cell(disk.key, table.ordered_columns[index].key, cell)
        roles = ", ".join(view.roles) or "no roles"
        source = "edited, not saved" if self.dirty else ("set by you" if view.custom else "role defaults")
        title = f"{view.node} ({roles}) · {source} · * boot disk"
        if not view.disks:
            title = f"{view.node}: no disks reported yet (discovery fills them in)"
        self.query_one("#disks-title", Static).update(title)
        self.query_one("#disks-bars", Static).update(self._bars())
        self._describe()
        lines = Text()
        errors = [f for f in self.findings if f.severity == Severity.error]
        for finding in self.findings:
            style = "red" if finding.severity == Severity.error else "yellow"
            lines.append(
                f"{'✗' if style == 'red' else '!'} {finding.message} [{finding.code}]\n", style=style
            )
        if not self.findings:
            lines.append("✓ no problems", style="green")
        elif not errors:
            lines.append("warnings only: it can be saved")
        self.query_one("#disks-findings", Static).update(lines)

    def _bars(self) -> Text:
        view = self.view
        text = Text()
        if view is None:
            return text
        colour = {v.id: COLOURS[i % len(COLOURS)] for i, v in enumerate(view.volumes)}
        for disk in view.disks:
            vols = self.alloc.get(disk.key, {})
            total = max(disk.usable_mib, sum(vols.values()), 1)
            text.append(f"{disk.name:<6}")
            drawn = 0
            for volume in view.volumes:
                mib = vols.get(volume.id, 0)
                if not mib:
                    continue
                cells = max(1, round(mib * BAR_WIDTH / total))
                cells = min(cells, BAR_WIDTH - drawn)
                label = volume.id[:cells].ljust(cells, "▒")
                text.append(label, style=f"black on {colour[volume.id]}")
                drawn += cells
            text.append("·" * (BAR_WIDTH - drawn), style="dim")
            text.append("\n")
        return text

    def _cursor(self) -> tuple[DiskInfo | None, VolumeInfo | None]:
        view = self.view
        if view is None or not view.disks:
            return None, None
        row, column = self.query_one("#disks-table", DataTable).cursor_coordinate
        disk = view.disks[min(row, len(view.disks) - 1)]
        index = column - len(FIXED)
        return disk, self.columns[index] if 0 <= index < len(self.columns) else None

    def _describe(self) -> None:
        disk, volume = self._cursor()
        line = ""
        if disk is not None:
            free = disk.usable_mib - sum(self.alloc.get(disk.key, {}).values())
            line = f"{disk.name}: {human_mib(disk.usable_mib)} for volumes, {human_mib(free)} free"
            if volume is not None:
                mib = self.alloc.get(disk.key, {}).get(volume.id, 0)
                where = f" on {volume.mount}" if volume.mount else ""
                need = f"needs {human_mib(volume.min_mib)}" if volume.wanted else "not used by the roles"
                line = f"{volume.label}{where}: {human_mib(mib)} here, {need} · {line}"
        self.query_one("#disks-cell", Static).update(line)

    @on(DataTable.CellHighlighted, "#disks-table")
    def _moved(self) -> None:
        self._describe()

    # editing ------------------------------------------------------------------------------

    def _set(self, disk: DiskInfo, volume: str, mib: int) -> None:
        vols = self.alloc.setdefault(disk.key, {})
        if mib:
            vols[volume] = mib
        else:
            vols.pop(volume, None)
        self.dirty = True
        self._refresh()

    def _need_cell(self) -> tuple[DiskInfo, VolumeInfo] | None:
        disk, volume = self._cursor()
        if disk is None or volume is None:
            self.notify("Move the cursor onto a volume's column.", severity="warning")
            return None
        return disk, volume

    def action_grow(self) -> None:
        cell = self._need_cell()
        if cell is None:
            return
        disk, volume = cell
        vols = self.alloc.setdefault(disk.key, {})
        free = disk.usable_mib - sum(vols.values())
        want = STEP_MIB - max(0, min(free, STEP_MIB))
        if want > 0:
            # nothing (enough) free: take it from the largest other volume above its minimum
            minimum = {v.id: v.min_mib if v.wanted else 0 for v in self.columns}
            donors = sorted(
                (v for v in vols if v != volume.id and vols[v] > minimum.get(v, 0)), key=lambda v: -vols[v]
            )
            if not donors:
                self.notify(f"{disk.name} is full: lower another volume first.", severity="warning")
                return
            donor = donors[0]
            taken = min(want, vols[donor] - minimum.get(donor, 0))
            vols[donor] -= taken
            if not vols[donor]:
                del vols[donor]
            want -= taken
        self._set(disk, volume.id, vols.get(volume.id, 0) + STEP_MIB - want)

    def action_shrink(self) -> None:
        cell = self._need_cell()
        if cell is None:
            return
        disk, volume = cell
        mib = self.alloc.get(disk.key, {}).get(volume.id, 0)
        if mib:
            self._set(disk, volume.id, max(0, mib - STEP_MIB))

    @on(DataTable.CellSelected, "#disks-table")
    def _typed_size(self) -> None:
        cell = self._need_cell()
        if cell is None:
            return
        disk, volume = cell
        field = self.query_one("#disks-input", Input)
        field.border_title = f"{volume.label} on {disk.name}"
        field.value = format_mib(self.alloc.get(disk.key, {}).get(volume.id, 0))
        field.add_class("open")
        field.focus()

    @on(Input.Submitted, "#disks-input")
    def _submitted(self, event: Input.Submitted) -> None:
        cell = self._need_cell()
        if cell is None:
            return
        try:
            mib = parse_size(event.value)
        except ValueError as exc:
            # The field keeps what was typed, the allocation is untouched: fix it or Esc.
            self.last_error = str(exc)
            self.notify(str(exc), title="Not a size", severity="error")
            return
        self.last_error = None
        self._close_input()
        self._set(cell[0], cell[1].id, mib)

    def _close_input(self) -> None:
        field = self.query_one("#disks-input", Input)
        field.remove_class("open")
        self.query_one("#disks-table", DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_field":  # Esc: closes the size field, else back to the nodes page
            return True
        return super().check_action(action, parameters)

    def action_leave_field(self) -> None:
        if self.query_one("#disks-input", Input).has_class("open"):
            self._close_input()
            return
        if not self.dirty:
            self.dismiss()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss()

        question = "Leave without saving the disks?"
        self.app.push_screen(
            ConfirmScreen(question, "Your changes on this page are lost.", yes="Leave"), answered
        )

    # saving -------------------------------------------------------------------------------

    def action_save(self) -> None:
        self.save()

    @work(exclusive=True, group="edit", exit_on_error=False)
    async def save(self) -> None:
        master = self.master()
        view = self.view
        if master is None or view is None:
            return
        errors = [f for f in self.findings if f.severity == Severity.error]
        if errors:
            self.notify(f"{errors[0].message} — fix it first.", title="Not saved", severity="error")
            return
        saved = await master.set_disks(self.mac, view.revision, self.allocation())
        if saved is None:  # refused: the edits stay on screen
            return
        self.view, self.dirty = saved, False
        self.notify(f"Disks of {saved.node} saved.", timeout=3)
        await self.reload()

    def action_reset(self) -> None:
        self.reset()

    @work(exclusive=True, group="edit", exit_on_error=False)
    async def reset(self) -> None:
        master = self.master()
        view = self.view
        if master is None or view is None:
            return
        reset = await master.reset_disks(self.mac, view.revision)
        if reset is not None:
            self.view, self.dirty = reset, False
            self.notify("Back to the defaults for the node's roles.", timeout=3)
            await self.reload()
