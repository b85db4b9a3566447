"""Page 1 — the master's own network: admin NIC, address, DNS, hostname, NTP, DHCP pool.

Every keystroke rebuilds the boot options, runs the core's rules on them and refreshes the
findings under each field and the preview of the kernel line and of the files Apply writes.
The NICs offered are the master's own (asked over the API), never the TUI's machine's; where
Apply may write is decided by `tui.target` and shown on the page.

This is the first page: its first frame shows the form from plain values (`FIRST_VALUES`) and
the models, the rules and the previews (pydantic) are imported and run right after it
(bench/startup.py, docs/benchmarks.md "Start-up"); hence the imports inside the methods.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.master_apply import initial_options, set_live_hostname
from fueltui.tui.target import FilesTarget, files_target
from fueltui.tui.widgets.field import Field, FindingLine, finding_text

if TYPE_CHECKING:
    from fueltui.api.host import MasterHost
    from fueltui.core.masterfiles import Flavor
    from fueltui.core.model import BootOptions, Finding

# (field key, label, finding path under "master.")
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("ip", "IP", "ip"),
    ("netmask", "Netmask", "netmask"),
    ("gateway", "Gateway", "gateway"),
    ("dns", "DNS", "dns"),
    ("hostname", "Hostname", "hostname"),
    ("ntp", "NTP", "ntp"),
    ("pool_start", "Pool start", "dhcp_pool.start"),
    ("pool_end", "Pool end", "dhcp_pool.end"),
)

# The form before the master answers: `core.bootdefaults.FUEL_DEFAULTS` as the fields show it
# (tests/tui/test_master_setup.py holds the two equal), without building the model.
FIRST_VALUES: dict[str, str] = {
    "ip": "10.20.0.2",
    "netmask": "255.255.255.0",
    "gateway": "10.20.0.1",
    "dns": "",
    "hostname": "fuel.domain.tld",
    "ntp": "",
    "pool_start": "10.20.0.129",
    "pool_end": "10.20.0.254",
}
FIRST_SOURCE = "Fuel defaults — not connected to the master yet"

__all__ = ["MasterSetupScreen", "field_for_path", "initial_options", "set_live_hostname"]


def _split_list(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def field_for_path(path: str) -> str | None:
    """`master.dhcp_pool.start` → `pool_start`; `master.dns[1]` → `dns`; unknown → None."""
    rest = path.removeprefix("master.")
    for key, _, sub in FIELDS:
        if rest == sub or rest.startswith((sub + ".", sub + "[")):
            return key
    if rest == "interface" or rest.startswith("interface"):
        return "interface"
    return None


class MasterSetupScreen(BaseScreen):
    MODE = "master"
    TITLE = "Master set-up"
    HELP = (
        "Set the master's admin (PXE) network. The interfaces offered are the master's own. "
        "Every field is checked as you type; the findings appear under it. The right side "
        "previews the kernel boot line and the master's network files (netplan or "
        "systemd-networkd: ctrl+t switches). Apply stores the options on the master, which "
        "serves DHCP from them; it writes the files only under an explicit --root DIR, and "
        "rewrites this machine's own files only with --root / (or as the installed master), "
        "after a loud confirmation. With --lab no file of this machine is ever written. "
        "ctrl+r reloads what the master stores."
    )
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", priority=True),
        Binding("ctrl+t", "flavor", "Flavour", priority=True),
        Binding("ctrl+r", "reset", "Reset", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flavor: Flavor = "netplan"
        self.findings: list[Finding] = []
        self.options: BootOptions | None = None
        self.host: MasterHost | None = None
        self.stored_revision: int | None = None
        self._source = ""
        self._loaded = False
        self._baseline: BootOptions | None = None  # the form as last filled or stored
        self._checked = False  # the first check runs right after the first frame

    @property
    def target(self) -> FilesTarget:
        return files_target(self.fuel.root, self.fuel.lab, self.host)

    def compose_body(self) -> ComposeResult:
        values, self._source = FIRST_VALUES, FIRST_SOURCE
        with Vertical(id="master-body"):
            with VerticalScroll(id="master-form"):
                yield Label("Admin interface", classes="section")
                yield Static(f"({self._source})", classes="hint", id="iface-source", markup=False)
                # Blank until the master says which NICs it has: never a guess from this machine.
                yield Select([], prompt="(asking the master…)", id="in-interface", compact=True)
                yield FindingLine(id="err-interface")
                for key, label, _ in FIELDS:
                    yield Field(key, label, values[key])
                yield FindingLine(id="err-general")
            with VerticalScroll(id="master-preview"):
                yield Static("", id="target", markup=False)
                yield Label("Kernel boot line", classes="section")
                yield Static("", id="boot-line", markup=False)
                yield Label("", id="files-title", classes="section")
                yield Static("", id="files-preview", markup=False)

    @staticmethod
    def _values_of(opts: BootOptions) -> dict[str, str]:
        return {
            "ip": opts.ip,
            "netmask": opts.netmask,
            "gateway": opts.gateway or "",
            "dns": ", ".join(opts.dns),
            "hostname": opts.hostname,
            "ntp": ", ".join(opts.ntp),
            "pool_start": opts.dhcp_pool.start,
            "pool_end": opts.dhcp_pool.end,
        }

    def on_mount(self) -> None:
        # BaseScreen.on_mount runs too: Textual calls the handler of every class in the MRO.
        if self.fuel.first_frame_painted:  # opened later: check right away
            self.call_after_refresh(self._first_check)

    def after_first_frame(self) -> None:
        self._first_check()

    def _first_check(self) -> None:
        if self._checked:  # the master's answer came first and filled and checked the form
            return
        self._checked = True  # from now on every edit is checked, even if this check fails
        self._baseline = self.read_form()
        self.revalidate()

    def has_unsaved(self) -> bool:
        return self._baseline is not None and self.read_form() != self._baseline

    async def reload(self) -> None:
        """The master's interfaces, then what it stores — filled in once, and again on ctrl+r."""
        await self._load(fill=not self._loaded)

    async def _load(self, fill: bool) -> None:
        master = self.fuel.master
        if master is None:
            return
        host = await master.master_host()
        stored = await master.boot_options()
        self.host = host
        self.stored_revision = stored.revision
        if stored.options is not None:
            opts, source = stored.options, "as stored on the master"
        else:
            opts, source = initial_options(host)
        chosen = self.query_one("#in-interface", Select).value
        if fill and self.has_unsaved() and not self._loaded:
            # The operator typed before the master answered: what they typed stays.
            self._loaded = True
            self._set_choices(chosen if isinstance(chosen, str) else opts.interface)
            self.revalidate()
            self.notify("The master answered while you typed; ctrl+r loads what it stores.", timeout=5)
        elif fill:
            self._loaded, self._source = True, source
            self._set_choices(opts.interface)
            self.fill(opts)
            self._show_source()
        else:
            self._set_choices(chosen if isinstance(chosen, str) else opts.interface)
            self.revalidate()

    def _set_choices(self, current: str) -> None:
        """The master's NICs; a stored interface it does not have stays visible as such."""
        select = self.query_one("#in-interface", Select)
        nics = self.host.interfaces if self.host is not None else []
        choices = [(nic.label, nic.name) for nic in nics]
        if current and current not in {nic.name for nic in nics}:
            choices.append((f"{current}  (the master has no such NIC)", current))
        with self.prevent(Select.Changed):
            select.set_options(choices)
            if current:
                select.value = current

    def _show_source(self) -> None:
        self.query_one("#iface-source", Static).update(f"({self._source})")

    def fill(self, opts: BootOptions) -> None:
        focused = self.focused
        with self.prevent(Input.Changed):
            for key, value in self._values_of(opts).items():
                field = self.query_one(f"#in-{key}", Input)
                field.value = value
                if field is focused:  # keys typed next replace the value, as on focus
                    field.select_all()
        select = self.query_one("#in-interface", Select)
        if any(value == opts.interface for _, value in select._options):
            with self.prevent(Select.Changed):
                select.value = opts.interface
        self._baseline = self.read_form()
        self.revalidate()

    # validation -------------------------------------------------------------------

    def read_form(self) -> BootOptions:
        from fueltui.core.model import BootOptions, DhcpPool

        get = {key: self.query_one(f"#in-{key}", Input).value.strip() for key, _, _ in FIELDS}
        interface = self.query_one("#in-interface", Select).value
        return BootOptions(
            interface=str(interface) if interface is not Select.BLANK else "",
            ip=get["ip"],
            netmask=get["netmask"],
            gateway=get["gateway"] or None,
            dns=_split_list(get["dns"]),
            hostname=get["hostname"],
            ntp=_split_list(get["ntp"]),
            dhcp_pool=DhcpPool(start=get["pool_start"], end=get["pool_end"]),
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        if self._checked:  # before the first check: the fields' own initial values, checked then
            self.revalidate()

    def revalidate(self) -> None:
        from fueltui.core.model import Finding
        from fueltui.core.rules import check_boot_options

        self._checked = True
        opts = self.read_form()
        self.options = opts
        self.findings = check_boot_options(opts)
        if self.host is not None and opts.interface not in {nic.name for nic in self.host.interfaces}:
            self.findings.append(
                Finding(
                    code="interface-not-on-master",
                    path="master.interface",
                    message=f"the master has no NIC {opts.interface!r}: it could not serve DHCP there",
                )
            )
        by_field: dict[str, list[Finding]] = {}
        for finding in self.findings:
            by_field.setdefault(field_for_path(finding.path) or "general", []).append(finding)
        for line in self.query(FindingLine):
            key = (line.id or "").removeprefix("err-")
            line.show(by_field.get(key, []))
        self._refresh_preview(opts)

    def field_codes(self, key: str) -> list[str]:
        """The finding codes shown under a field (what an operator reads there)."""
        return self.query_one(f"#err-{key}", FindingLine).codes

    def _refresh_preview(self, opts: BootOptions) -> None:
        from fueltui.core import masterfiles
        from fueltui.core.kernelline import render_boot_line

        target = self.target
        self.query_one("#target", Static).update(
            Text(target.why, style="bold red" if target.is_host else "bold")
        )
        boot = self.query_one("#boot-line", Static)
        files = self.query_one("#files-preview", Static)
        where = "preview only" if target.root is None else "written on Apply"
        self.query_one("#files-title", Label).update(f"Files, {self.flavor} ({where})")
        try:
            boot.update(render_boot_line(opts))
        except ValueError as exc:
            boot.update(f"(cannot render yet: {exc})")
        try:
            rendered = masterfiles.render_master_files(opts, self.flavor)
        except ValueError as exc:
            files.update(f"(fix the fields first: {exc})")
            return
        files.update("\n".join(f"── /{path}\n{content}" for path, content in rendered.items()))

    # actions ----------------------------------------------------------------------

    def action_flavor(self) -> None:
        self.flavor = "networkd" if self.flavor == "netplan" else "netplan"
        self.revalidate()

    def action_reset(self) -> None:
        """Back to what the master stores (its first guess when it stores nothing)."""
        if self.master() is None:
            return
        self.run_worker(self._load(fill=True), exclusive=True, group="reload", exit_on_error=False)

    def action_apply(self) -> None:
        from fueltui.core import masterfiles
        from fueltui.core.kernelline import render_boot_line
        from fueltui.core.model import Severity
        from fueltui.tui.screens.confirm import ConfirmScreen

        self.revalidate()
        errors = [f for f in self.findings if f.severity == Severity.error]
        if errors or self.options is None:
            self.notify(
                finding_text(errors).plain or "The form is incomplete.", title="Fix first", severity="error"
            )
            return
        if self.master() is None:
            return
        opts = self.options
        try:
            files = masterfiles.render_master_files(opts, self.flavor)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        target = self.target

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._apply(opts, files, target), exit_on_error=False)

        if target.root is None:
            summary = f"Kernel line the nodes' DHCP is served with:\n{render_boot_line(opts)}"
            question = f"Store these options on the master? ({target.why})"
            self.app.push_screen(ConfirmScreen(question, summary, yes="Store"), answered)
            return
        diff = masterfiles.diff_against_root(files, target.root)
        if target.is_host:
            question = (
                "⚠ THIS REWRITES THE RUNNING MACHINE'S OWN NETWORK: "
                f"{len(files)} files under / and its hostname. A wrong address cuts you off."
            )
            screen = ConfirmScreen(question, diff, diff=True, yes="Rewrite this machine", danger=True)
            self.app.push_screen(screen, answered)
            return
        question = f"Write {len(files)} files under {target.root}?"
        if not diff:
            question = f"Nothing changes under {target.root}. Store the options on the master anyway?"
        self.app.push_screen(ConfirmScreen(question, diff, diff=True), answered)

    async def _apply(self, opts: BootOptions, files: dict[str, str], target: FilesTarget) -> None:
        from fueltui.core import masterfiles

        master = self.fuel.master
        if master is None:
            return
        written: list[Path] = []
        if target.root is not None:
            try:
                written = masterfiles.write_master_files(files, target.root)
            except OSError as exc:
                self.notify(f"Could not write under {target.root}: {exc}", severity="error")
                return
        if self.stored_revision is None:  # never read: a write now could overwrite unseen options
            self.notify("The master's options were not read yet; ctrl+r reloads them.", severity="warning")
            return
        live = await set_live_hostname(opts.hostname) if target.is_host else ""
        stored = await master.set_boot_options(opts, self.stored_revision)
        self.stored_revision = stored.revision
        self._baseline = opts
        done = f"Wrote {len(written)} files under {target.root}. " if target.root is not None else ""
        self.notify(f"{done}Stored on the master.{live}", title="Applied")
        self.query_one("#files-title", Label).update(Text(f"Applied ({self.flavor})"))
