"""One NIC of the drag-map: its header, then the networks it carries as chips, one per line.

The column draws its chips itself (no child widget per chip), so a mouse position maps to a
chip by its line number and redrawing after a move costs one render."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from fueltui.core.model import Nic

HEADER_LINES = 4  # name, MAC, speed + link, rule
UNASSIGNED = ""
NIC_MIN_WIDTH = 14
UNASSIGNED_WIDTH = 15
ROOMY = 17  # content width that holds a full MAC; narrower columns show its last three octets


SHORT_NAMES = {"fuelweb_admin": "admin"}  # Fuel's UI said "Admin (PXE)"; the full name cut at 80×24


def chip_label(network: str, tag: str | None) -> str:
    """`management 101`: the network and its VLAN (none: untagged)."""
    name = SHORT_NAMES.get(network, network)
    return f"{name} {tag}" if tag else name


class NicColumn(Widget):
    DEFAULT_CSS = f"""
    NicColumn {{
        width: 1fr; min-width: {NIC_MIN_WIDTH}; height: 1fr; border: round $primary; padding: 0;
        text-wrap: nowrap; text-overflow: ellipsis;
    }}
    NicColumn.-unassigned {{ width: {UNASSIGNED_WIDTH}; min-width: {UNASSIGNED_WIDTH}; }}
    NicColumn.-target {{ border: double $accent; }}
    """

    def __init__(self, nic: Nic | None, index: int) -> None:
        super().__init__(classes=f"nic-{index}" + (" -unassigned" if nic is None else ""))
        self.nic = nic
        self.index = index
        self.networks: list[str] = []
        self.cursor: int | None = None
        self.picked: str | None = None
        self.incoming: str | None = None  # a picked chip hovering over this column
        self.tags: dict[str, str] = {}  # network → its VLAN id(s), shown on the chip
        self.marked = False  # marked to be bonded
        self.mtu: int | None = None  # set by the operator (None: the default)

    @property
    def nic_name(self) -> str:
        return self.nic.name if self.nic else UNASSIGNED

    def show(
        self,
        networks: list[str],
        cursor: int | None,
        picked: str | None,
        incoming: str | None,
        tags: dict[str, str] | None = None,
    ) -> None:
        self.networks, self.cursor, self.picked, self.incoming = list(networks), cursor, picked, incoming
        self.tags = dict(tags or {})
        self.set_class(incoming is not None, "-target")
        self.refresh()

    def render_header(self, text: Text, roomy: bool) -> None:
        """The HEADER_LINES - 1 lines above the rule (a bond column draws its own)."""
        if self.nic is None:
            text.append("not assigned\n", style="bold")
            text.append("drop here to\nunassign\n")
            return
        nic = self.nic
        mark = "✓" if self.marked else ""  # marked for a bond (`b`)
        text.append(mark + nic.name + (" PXE" if nic.pxe else "") + "\n", style="bold")
        text.append((nic.mac if roomy else "…" + nic.mac[-8:]) + "\n")
        mbps = nic.speed_mbps
        speed = "?" if not mbps else f"{mbps // 1000}G" if mbps >= 1000 else f"{mbps}M"
        mtu = f" mtu {self.mtu}" if self.mtu else ""
        text.append(f"{speed} {'link ' if not mtu else ''}{nic.state}{mtu}\n")

    def chip_at(self, y: int) -> int | None:
        """The chip on line `y` of the content area, if any."""
        row = y - HEADER_LINES
        return row if 0 <= row < len(self.networks) else None

    def render(self) -> Text:
        width = self.content_size.width or ROOMY
        roomy = width >= ROOMY
        gap = " " if roomy else ""  # narrow: the marker sits against the name, keeping it whole
        text = Text(no_wrap=True, overflow="ellipsis")
        self.render_header(text, roomy)
        text.append("─" * width + "\n", style="dim")
        for row, net in enumerate(self.networks):
            label = chip_label(net, self.tags.get(net))
            if net == self.picked:
                text.append(f"◇{gap}{label}\n", style="dim italic")
            elif row == self.cursor:
                text.append(f"▶{gap}{label}\n", style="bold reverse")
            else:
                text.append(f" {gap}{label}\n")
        if self.incoming is not None:
            label = chip_label(self.incoming, self.tags.get(self.incoming))
            text.append(f"◆{gap}{label}{' ←' if roomy else ''}\n", style="bold reverse")
        return text
