"""The bond dialog (`b` on the drag-map): name, mode, the LACP options, MTU.

The LACP options are offered only for 802.3ad (Fuel's rule: options valid for the mode). The
dialog asks `judge` about the bond before closing, so a refused bond shows its finding here
and nothing the operator typed is lost."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from fueltui.core.bonds import HASH_POLICIES, LACP_RATES, MTU_MAX, MTU_MIN
from fueltui.core.model import Bond, BondMode, Finding

MODES = [
    ("active-backup", BondMode.active_backup),
    ("balance-slb", BondMode.balance_slb),
    ("LACP (802.3ad)", BondMode.lacp),
]


class BondDialog(ModalScreen[Bond | None]):
    DEFAULT_CSS = """
    BondDialog { align: center middle; }
    #bond-box { width: 64; height: auto; border: thick $primary; background: $surface; padding: 0 1; }
    #bond-box Horizontal { height: auto; }
    #bond-box .field { width: 18; padding: 1 0 0 0; }
    #bond-box Input, #bond-box Select { width: 1fr; }
    #bond-error { color: $error; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Bond", priority=True),
    ]

    def __init__(self, slaves: list[str], name: str, judge: Callable[[Bond], Finding | None]) -> None:
        super().__init__()
        self.slaves = slaves
        self.default_name = name
        self.judge = judge
        self.refusal: Finding | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="bond-box"):
            yield Label(f"Bond {' + '.join(self.slaves)}")
            with Horizontal():
                yield Label("Name", classes="field")
                yield Input(self.default_name, id="bond-name")
            with Horizontal():
                yield Label("Mode", classes="field")
                yield Select(MODES, value=BondMode.active_backup, allow_blank=False, id="bond-mode")
            with Horizontal():
                yield Label("LACP rate", classes="field")
                yield Select([(r, r) for r in LACP_RATES], value="slow", allow_blank=False, id="bond-rate")
            with Horizontal():
                yield Label("Hash policy", classes="field")
                yield Select(
                    [(p, p) for p in HASH_POLICIES], value="layer2", allow_blank=False, id="bond-hash"
                )
            with Horizontal():
                yield Label("MTU", classes="field")
                yield Input("", placeholder="1500 (default)", id="bond-mtu")
            yield Label("", id="bond-error", markup=False)
            yield Label("Tab moves; Enter or ctrl+s bonds; Esc cancels.", classes="hint")

    def on_mount(self) -> None:
        self._lacp_options()

    @on(Select.Changed, "#bond-mode")
    def _lacp_options(self) -> None:
        lacp = self.query_one("#bond-mode", Select).value == BondMode.lacp
        self.query_one("#bond-rate", Select).disabled = not lacp
        self.query_one("#bond-hash", Select).disabled = not lacp

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    def bond(self) -> Bond | str:
        """The bond as filled in, or what is wrong with the form."""
        name = self.query_one("#bond-name", Input).value.strip()
        mode = BondMode(str(self.query_one("#bond-mode", Select).value))
        text = self.query_one("#bond-mtu", Input).value.strip()
        if not name:
            return "give the bond a name, e.g. bond0"
        mtu: int | None = None
        if text:
            if not text.isdigit():
                return f"MTU {text!r} is not a number; use {MTU_MIN}..{MTU_MAX} or leave it empty"
            mtu = int(text)
        lacp = mode == BondMode.lacp
        rate = str(self.query_one("#bond-rate", Select).value) if lacp else None
        policy = str(self.query_one("#bond-hash", Select).value) if lacp else None
        return Bond.model_validate(
            {
                "name": name,
                "mode": mode,
                "slaves": list(self.slaves),
                "lacp_rate": rate,
                "xmit_hash_policy": policy,
                "mtu": mtu,
            }
        )

    def action_submit(self) -> None:
        bond = self.bond()
        error = self.query_one("#bond-error", Label)
        if isinstance(bond, str):
            error.update(bond)
            return
        self.refusal = self.judge(bond)
        if self.refusal is not None:
            error.update(f"{self.refusal.code}: {self.refusal.message}")
            return
        self.dismiss(bond)

    def action_cancel(self) -> None:
        self.dismiss(None)
