"""Page 1 — the master's own network: admin NIC, address, DNS, hostname, NTP, DHCP pool.

Every keystroke rebuilds the boot options, runs the core's rules on them and refreshes the
findings under each field and the preview of the kernel line and of the files Apply writes.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Label, Select, Static

from fueltui.core import masterfiles
from fueltui.core.bootdefaults import FUEL_DEFAULTS, default_boot_options_for
from fueltui.core.model import BootOptions, DhcpPool, Finding, Severity
from fueltui.tui.hostinfo import HostNic
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.widgets.field import Field, FindingLine, finding_text

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


def _split_list(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def check_boot_options(opts: BootOptions) -> list[Finding]:
    from fueltui.core.rules import check_boot_options as check

    return check(opts)


def render_boot_line(opts: BootOptions) -> str:
    from fueltui.core.kernelline import render_boot_line as render

    return render(opts)


def parse_boot_line(text: str) -> BootOptions:
    from fueltui.core.kernelline import parse_boot_line as parse

    return parse(text)


def field_for_path(path: str) -> str | None:
    """`master.dhcp_pool.start` → `pool_start`; `master.dns[1]` → `dns`; unknown → None."""
    rest = path.removeprefix("master.")
    for key, _, sub in FIELDS:
        if rest == sub or rest.startswith((sub + ".", sub + "[")):
            return key
    if rest == "interface" or rest.startswith("interface"):
        return "interface"
    return None


def initial_options(cmdline: str, nics: list[HostNic], gateway: str | None = None) -> tuple[BootOptions, str]:
    """Boot options from the kernel line when it carries them, else derived from the first
    configured NIC's address (and the host's default route, when it is on that subnet)."""
    try:
        return parse_boot_line(cmdline), "from /proc/cmdline"
    except (ValueError, ImportError):
        pass
    configured = next((nic for nic in nics if nic.addresses), None)
    if configured is None:
        first = nics[0].name if nics else FUEL_DEFAULTS.interface
        return FUEL_DEFAULTS.model_copy(update={"interface": first}), "Fuel defaults"
    ip, _, prefix = configured.addresses[0].partition("/")
    opts = default_boot_options_for(ip, prefix or "24", gateway, interface=configured.name)
    return opts, f"from {configured.name}'s current address"


async def set_live_hostname(hostname: str) -> str:
    """`hostnamectl set-hostname`, awaited without blocking the screen; what to tell the operator."""
    tool = shutil.which("hostnamectl")
    if tool is None:
        return ""
    try:
        proc = await asyncio.create_subprocess_exec(
            tool,
            "set-hostname",
            hostname,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
    except OSError as exc:
        return f" hostnamectl: {exc}"
    if proc.returncode == 0:
        return " hostname applied."
    return f" hostnamectl: {err.decode(errors='replace').strip()}"


class MasterSetupScreen(BaseScreen):
    MODE = "master"
    TITLE = "Master set-up"
    HELP = (
        "Set the master's admin (PXE) network. Every field is checked as you type; the "
        "findings appear under it. The right side previews the kernel boot line and the files "
        "Apply will write under the target root (netplan or systemd-networkd: ctrl+t switches). "
        "Apply shows the diff and asks before writing anything."
    )
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", priority=True),
        Binding("ctrl+t", "flavor", "Flavour", priority=True),
        Binding("ctrl+r", "reset", "Reset", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.flavor: masterfiles.Flavor = "netplan"
        self.findings: list[Finding] = []
        self.options: BootOptions | None = None
        self._nics: list[HostNic] = []
        self._source = ""

    def compose_body(self) -> ComposeResult:
        self._nics = self.fuel.host_nics()
        opts, self._source = self._initial()
        names = [nic.name for nic in self._nics]
        choices = [(nic.label, nic.name) for nic in self._nics]
        if opts.interface not in names:
            choices.append((f"{opts.interface}  (not present on this host)", opts.interface))
        values = self._values_of(opts)
        with Vertical(id="master-body"):
            with VerticalScroll(id="master-form"):
                yield Label("Admin interface", classes="section")
                yield Static(f"({self._source})", classes="hint", id="iface-source", markup=False)
                yield Select(
                    choices, value=opts.interface, allow_blank=False, id="in-interface", compact=True
                )
                yield FindingLine(id="err-interface")
                for key, label, _ in FIELDS:
                    yield Field(key, label, values[key])
                yield FindingLine(id="err-general")
            with VerticalScroll(id="master-preview"):
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
        self.revalidate()

    async def reload(self) -> None:
        """Options the master already stores win over the host's guess, once."""
        master = self.fuel.master
        if master is None or getattr(self, "_loaded_from_master", False):
            return
        self._loaded_from_master = True
        stored = await self.call(master.boot_options())
        if stored is not None and stored.options is not None:
            self.fill(stored.options)
            self._source = "as stored on the master"
            self._show_source()

    def _initial(self) -> tuple[BootOptions, str]:
        return initial_options(self.fuel.cmdline(), self._nics, self.fuel.host_gateway())

    def _show_source(self) -> None:
        self.query_one("#iface-source", Static).update(f"({self._source})")

    def fill(self, opts: BootOptions) -> None:
        for key, value in self._values_of(opts).items():
            self.query_one(f"#in-{key}", Input).value = value
        select = self.query_one("#in-interface", Select)
        if any(value == opts.interface for _, value in select._options):
            select.value = opts.interface
        self.revalidate()

    # validation -------------------------------------------------------------------

    def read_form(self) -> BootOptions:
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
        self.revalidate()

    def revalidate(self) -> None:
        opts = self.read_form()
        self.options = opts
        try:
            self.findings = check_boot_options(opts)
        except ImportError:
            self.findings = []
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
        boot = self.query_one("#boot-line", Static)
        files = self.query_one("#files-preview", Static)
        self.query_one("#files-title", Label).update(
            f"Files under {self.fuel.root} — {self.flavor} (ctrl+t switches)"
        )
        try:
            boot.update(render_boot_line(opts))
        except (ValueError, ImportError) as exc:
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
        opts, self._source = self._initial()
        self.fill(opts)
        self._show_source()

    def action_apply(self) -> None:
        self.revalidate()
        errors = [f for f in self.findings if f.severity == Severity.error]
        if errors or self.options is None:
            self.notify(
                finding_text(errors).plain or "The form is incomplete.", title="Fix first", severity="error"
            )
            return
        opts = self.options
        try:
            files = masterfiles.render_master_files(opts, self.flavor)
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        root: Path = self.fuel.root
        diff = masterfiles.diff_against_root(files, root)
        question = f"Write {len(files)} files under {root}?"
        if not diff:
            question = f"Nothing changes under {root}. Store the options on the master anyway?"

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._apply(opts, files, root), exit_on_error=False)

        self.app.push_screen(ConfirmScreen(question, diff, diff=True), answered)

    async def _apply(self, opts: BootOptions, files: dict[str, str], root: Path) -> None:
        try:
            written = masterfiles.write_master_files(files, root)
        except OSError as exc:
            self.notify(f"Could not write under {root}: {exc}", severity="error")
            return
        # Only on the real root: a test or a staged root must never touch the host.
        live = await set_live_hostname(opts.hostname) if root == Path("/") else ""
        master = self.fuel.master
        if master is not None:
            await self.call(master.set_boot_options(opts))
        self.notify(f"Wrote {len(written)} files under {root}.{live}", title="Applied")
        self.query_one("#files-title", Label).update(Text(f"Applied under {root} — {self.flavor}"))
