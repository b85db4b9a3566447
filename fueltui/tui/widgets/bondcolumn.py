"""A bond on the drag-map: a column like a NIC's, its header naming the bond, its mode and
its slaves (whose own columns are hidden while they are enslaved: they carry nothing)."""

from __future__ import annotations

from rich.text import Text

from fueltui.core.model import Bond, BondMode, Nic
from fueltui.tui.widgets.niccolumn import NicColumn

MODE_LABELS = {BondMode.active_backup: "act-backup", BondMode.balance_slb: "bal-slb", BondMode.lacp: "LACP"}


class BondColumn(NicColumn):
    DEFAULT_CSS = """
    BondColumn { border: round $secondary; }
    BondColumn.-target { border: double $accent; }
    """

    def __init__(self, bond: Bond, slaves: list[Nic], index: int) -> None:
        # A stand-in NIC keeps NicColumn's machinery (nic_name, chips, drops) working on the bond.
        mac = slaves[0].mac if slaves else "00:00:00:00:00:00"
        super().__init__(Nic(name=bond.name, mac=mac), index)
        self.add_class("-bond")
        self.bond = bond
        self.slaves = slaves

    def render_header(self, text: Text, roomy: bool) -> None:
        bond = self.bond
        text.append(f"{bond.name} {MODE_LABELS[bond.mode]}\n", style="bold")
        text.append("+".join(bond.slaves) + "\n")
        extra: list[str] = []
        if bond.mode == BondMode.lacp:
            extra += [bond.lacp_rate or "slow", bond.xmit_hash_policy or "layer2"]
        if bond.mtu:
            extra.append(f"mtu {bond.mtu}")
        text.append((" ".join(e for e in extra if e) or "bond") + "\n")
