"""Bonding on the drag-map, mixed into the interfaces page: `m`/space marks NICs, `b` bonds
the marked ones (after Fuel's rules agree, through the bond dialog), `u` unbonds the bond
under the cursor. Networks follow: bonding moves the slaves' networks onto the bond,
unbonding hands the bond's to its first slave (`fueltui.core.bonds`)."""

from __future__ import annotations

from textual.binding import Binding

from fueltui.api.schema import NodeRecord
from fueltui.core.bonds import MTU_MAX, MTU_MIN, bond_nics, enslaved, next_bond_name, unbond
from fueltui.core.model import Bond, Environment, Finding, Release, Severity
from fueltui.core.rules.bonds import check_mtu
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.prompt import PromptScreen
from fueltui.tui.widgets.bondcolumn import BondColumn
from fueltui.tui.widgets.bonddialog import BondDialog
from fueltui.tui.widgets.niccolumn import NicColumn


class BondEditing(BaseScreen):
    """The bond half of the interfaces page; the page supplies the map (the stubs below)."""

    # Out of the footer, which the page's moves already fill at 80 columns; the help says them.
    BINDINGS = [
        Binding("m,space", "mark", "Mark NIC", key_display="m", show=False),
        Binding("b", "bond", "Bond marked", show=False),
        Binding("u", "unbond", "Unbond", show=False),
        Binding("t", "mtu", "MTU", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.bonds: list[Bond] = []  # edited together with `assignment`
        self.mtu: dict[str, int] = {}  # NIC name -> MTU (a bond's is in the bond)
        self.marked: list[str] = []  # NIC names marked to be bonded
        self.note = ""  # the status line's last refusal
        self.assignment: dict[str, list[str]] = {}
        self.targets: list[NodeRecord] = []
        self.last_refusal: Finding | None = None
        self.col = 1
        self.row = 0
        self.dirty = False

    # supplied by the page
    @property
    def env(self) -> Environment | None:
        raise NotImplementedError

    release: Release | None

    def columns(self) -> list[NicColumn]:
        raise NotImplementedError

    def _draw(self) -> None:
        raise NotImplementedError

    async def _build(self) -> None:
        raise NotImplementedError

    def judge_bond(self, bond: Bond) -> Finding | None:
        """The first error Fuel's rules find in `bond` on any edited node, or None."""
        env, release = self.env, self.release
        if env is None or release is None:
            return None
        interfaces, bonds = bond_nics(self.assignment, [b for b in self.bonds if b.name != bond.name], bond)
        if any(b.name == bond.name for b in self.bonds):
            # judged with both bonds present: the core's rule names the clash
            bonds = [*self.bonds, bond]
        from fueltui.core.rules import (
            check_drop,
            check_interfaces,
        )  # loaded when first needed, as the page does

        for record in self.targets:
            before = record.node.model_copy(update={"interfaces": self.assignment, "bonds": bonds})
            after = before.model_copy(update={"interfaces": interfaces})
            for finding in check_interfaces(after, env, release):
                if finding.severity == Severity.error and finding.code.startswith(("bond-", "mtu-")):
                    return finding
            moved = check_drop(before, interfaces, env, release)
            if moved is not None:
                return moved
        return None

    def refuse(self, finding: Finding) -> None:
        self.last_refusal = finding
        self.note = f"✗ {finding.code}: {finding.message}"
        self.notify(finding.message, title=f"Refused: {finding.code}", severity="error", timeout=8)
        self._draw()

    def action_mark(self) -> None:
        columns = self.columns()
        if not columns:
            return
        column = columns[self.col]
        if isinstance(column, BondColumn) or column.nic is None:
            self.notify("Mark NICs to bond them; `u` unbonds a bond.", severity="warning")
            return
        name = column.nic_name
        self.marked = [n for n in self.marked if n != name] if name in self.marked else [*self.marked, name]
        self.note = ""
        self._draw()

    def action_bond(self) -> None:
        if not self.targets:
            return
        slaves = [c.nic_name for c in self.columns() if c.nic_name in self.marked]
        taken = [nic.name for nic in self.targets[0].node.facts.nics]
        name = next_bond_name(self.bonds, taken)
        finding = self.judge_bond(Bond(name=name, slaves=slaves))
        if finding is not None:  # refused before the dialog: its answers could not help
            self.refuse(finding)
            return

        def made(bond: Bond | None) -> None:
            if bond is None:
                return
            self.assignment, self.bonds = bond_nics(self.assignment, self.bonds, bond)
            self.marked, self.note, self.dirty = [], "", True
            self.notify(f"{bond.name} bonds {', '.join(bond.slaves)}; ctrl+s applies.")
            self.run_worker(self._rebuild_at(bond.name), exclusive=True, group="build", exit_on_error=False)

        self.app.push_screen(BondDialog(slaves, name, self.judge_bond), made)

    def action_unbond(self) -> None:
        columns = self.columns()
        column = columns[self.col] if columns else None
        if not isinstance(column, BondColumn):
            self.notify("Put the cursor on a bond to unbond it.", severity="warning")
            return
        bond = column.bond
        self.assignment, self.bonds = unbond(self.assignment, self.bonds, bond.name)
        self.note, self.dirty = "", True
        self.notify(
            f"{bond.name} unbonded; its networks are on {bond.slaves[0] if bond.slaves else 'no NIC'}."
        )
        first = bond.slaves[0] if bond.slaves else ""
        self.run_worker(self._rebuild_at(first), exclusive=True, group="build", exit_on_error=False)

    def action_mtu(self) -> None:
        """`t`: the MTU of the NIC or bond under the cursor (empty: the default, 1500)."""
        columns = self.columns()
        column = columns[self.col] if columns else None
        if column is None or column.nic is None:
            self.notify("Put the cursor on a NIC or a bond to set its MTU.", severity="warning")
            return
        name = column.nic_name
        bond_column = column if isinstance(column, BondColumn) else None
        current = bond_column.bond.mtu if bond_column is not None else self.mtu.get(name)

        def answered(text: str | None) -> None:
            if text is None:  # Esc, or nothing typed: unchanged
                return
            if not text.isdigit():
                self.refuse(Finding(code="mtu-invalid", path=name, message=f"MTU {text!r} is not a number"))
                return
            mtu = int(text)
            found = check_mtu(mtu, name, name)
            if found:
                self.refuse(found[0])
                return
            if bond_column is not None:
                changed = bond_column.bond.model_copy(update={"mtu": mtu})
                self.bonds = [changed if b.name == changed.name else b for b in self.bonds]
                bond_column.bond = changed
            else:
                self.mtu[name] = mtu
            self.note, self.dirty = "", True
            self._draw()

        question = f"MTU of {name} ({MTU_MIN}..{MTU_MAX}; 1500 is the default)"
        self.app.push_screen(PromptScreen(question, str(current or "")), answered)

    async def _rebuild_at(self, name: str) -> None:
        await self._build()
        self.col = next((c.index for c in self.columns() if c.nic_name == name), self.col)
        self.row = 0
        self._draw()

    def hidden_nics(self) -> set[str]:
        """NICs shown inside their bond's column, not as columns of their own."""
        return enslaved(self.bonds)
