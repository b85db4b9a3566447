"""Page 3 — network settings: a form per network and the Neutron / nova-network parameters.

Every keystroke rebuilds the environment and runs the core's network rules locally, so the
findings appear at the field as you type; Save stores it on the master, which answers with the
whole environment's findings (roles and interfaces included)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Input, Label, Static

from fueltui.api.events import BaseEvent, EnvChanged
from fueltui.api.schema import EnvironmentRecord
from fueltui.core.environment import ADMIN, effective_network, network_names
from fueltui.core.model import Environment, Finding, NetworkConfig, Release, Severity
from fueltui.core.releases import get_release
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.widgets.field import Field, FindingLine, finding_text
from fueltui.tui.widgets.formparse import (
    ShapeError,
    format_ranges,
    parse_int,
    parse_int_range,
    parse_ranges,
    split_list,
)


def check_networks(env: Environment, release: Release) -> list[Finding]:
    from fueltui.core.rules import check_networks as check

    return check(env, release)


def _key(path: str) -> str:
    return path.removeprefix("environment.").replace(".", "-").replace("_", "-")


class NetworksScreen(BaseScreen):
    MODE = "networks"
    TITLE = "Network settings"
    HELP = (
        "The logical networks of the working environment and the Neutron or nova-network "
        "parameters. Ranges are written first-last, several separated by commas; an empty VLAN "
        "means untagged. Findings appear under the field as you type. Save stores the settings "
        "on the master; Verify runs the network check between the nodes."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+v", "verify", "Verify", priority=True),
        Binding("ctrl+r", "revert", "Revert", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.record: EnvironmentRecord | None = None
        self.release: Release | None = None
        self.findings: list[Finding] = []
        self.paths: dict[str, str] = {}  # finding path → field key

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="net-form"):
            yield Static("Choose an environment on page 2 first.", id="net-empty")

    async def reload(self) -> None:
        master = self.fuel.master
        name = self.fuel.env_name
        if master is None or name is None:
            return
        record = await master.environment(name)
        release = get_release(record.environment.release)
        if release is None:
            releases = await master.releases()
            release = next((r for r in releases if r.id == record.environment.release), None)
        if release is None:
            self.notify(f"Unknown release {record.environment.release}", severity="error")
            return
        self.record, self.release = record, release
        await self._build()
        master_findings = await master.findings(name)
        self._show(master_findings)

    async def _build(self) -> None:
        assert self.record is not None and self.release is not None
        env, release = self.record.environment, self.release
        form = self.query_one("#net-form", VerticalScroll)
        await form.remove_children()
        self.paths = {}
        widgets: list[Label | Field | Static | FindingLine] = [
            Label(f"{env.name} — {env.mode.value}", classes="section"),
            FindingLine(id="err-general"),
        ]
        for name in network_names(env, release):
            meta = effective_network(env, release, name)
            if name == ADMIN or not meta.configurable:
                how = "from the master's boot options" if name == ADMIN else "not configurable in this mode"
                widgets.append(Static(f"{name}: {meta.cidr or '—'} ({how})", classes="readonly"))
                continue
            widgets.append(Label(name, classes="section"))
            base = f"environment.networks.{name}"
            widgets.append(self._field(f"{base}.cidr", "CIDR", meta.cidr or ""))
            if meta.use_gateway or meta.gateway:
                widgets.append(self._field(f"{base}.gateway", "Gateway", meta.gateway or ""))
            if meta.notation == "ip_ranges" or meta.ip_ranges:
                widgets.append(
                    self._field(f"{base}.ip_ranges", "IP ranges", format_ranges(list(meta.ip_ranges)))
                )
            vlan = "" if meta.vlan is None else str(meta.vlan)
            widgets.append(self._field(f"{base}.vlan", "VLAN", vlan, "empty = untagged"))
        if env.neutron is not None:
            n = env.neutron
            widgets.append(Label("Neutron", classes="section"))
            widgets.append(
                self._field(
                    "environment.neutron.floating_ranges", "Floating", format_ranges(n.floating_ranges)
                )
            )
            if n.vlan_range is not None:
                widgets.append(
                    self._field("environment.neutron.vlan_range", "VLAN range", "{}-{}".format(*n.vlan_range))
                )
            if n.gre_id_range is not None:
                widgets.append(
                    self._field(
                        "environment.neutron.gre_id_range", "GRE ids", "{}-{}".format(*n.gre_id_range)
                    )
                )
            widgets.append(
                self._field("environment.neutron.internal_cidr", "Tenant CIDR", n.internal_cidr or "")
            )
            widgets.append(
                self._field("environment.neutron.internal_gateway", "Tenant gw", n.internal_gateway or "")
            )
            widgets.append(
                self._field("environment.neutron.dns_nameservers", "DNS", ", ".join(n.dns_nameservers))
            )
        if env.nova_network is not None:
            v = env.nova_network
            p = "environment.nova_network"
            widgets.append(Label("nova-network", classes="section"))
            widgets.append(
                self._field(f"{p}.net_manager", "Manager", v.net_manager, "FlatDHCPManager | VlanManager")
            )
            widgets.append(self._field(f"{p}.fixed_networks_cidr", "Fixed CIDR", v.fixed_networks_cidr or ""))
            start = "" if v.fixed_networks_vlan_start is None else str(v.fixed_networks_vlan_start)
            widgets.append(self._field(f"{p}.fixed_networks_vlan_start", "VLAN start", start))
            widgets.append(self._field(f"{p}.fixed_network_size", "Net size", str(v.fixed_network_size)))
            widgets.append(self._field(f"{p}.fixed_networks_amount", "Nets", str(v.fixed_networks_amount)))
            widgets.append(self._field(f"{p}.floating_ranges", "Floating", format_ranges(v.floating_ranges)))
            widgets.append(self._field(f"{p}.dns_nameservers", "DNS", ", ".join(v.dns_nameservers)))
        await form.mount_all(widgets)

    def _field(self, path: str, label: str, value: str, placeholder: str = "") -> Field:
        key = _key(path)
        self.paths[path] = key
        return Field(key, label, value, placeholder)

    def _value(self, path: str) -> str | None:
        key = self.paths.get(path)
        if key is None:
            return None
        return self.query_one(f"#in-{key}", Input).value

    # reading the form -------------------------------------------------------------------

    def read_form(self) -> tuple[Environment | None, list[Finding]]:
        """The environment as typed, or the shape mistakes that stop it being built."""
        assert self.record is not None and self.release is not None
        env = self.record.environment.model_copy(deep=True)
        shapes: list[Finding] = []

        def get(path: str, parse, default):  # type: ignore[no-untyped-def]
            text = self._value(path)
            if text is None:
                return default
            try:
                return parse(text, path)
            except ShapeError as exc:
                shapes.append(exc.finding)
                return default

        for name in list(env.networks):
            base = f"environment.networks.{name}"
            if f"{base}.cidr" not in self.paths:
                continue
            old = effective_network(env, self.release, name)
            env.networks[name] = NetworkConfig(
                cidr=get(f"{base}.cidr", lambda t, p: t.strip() or None, old.cidr),
                gateway=get(f"{base}.gateway", lambda t, p: t.strip() or None, old.gateway),
                ip_ranges=get(f"{base}.ip_ranges", parse_ranges, list(old.ip_ranges)),
                vlan=get(f"{base}.vlan", parse_int, old.vlan),
            )
        text = lambda t, p: t.strip() or None  # noqa: E731
        listed = lambda t, p: split_list(t)  # noqa: E731
        if env.neutron is not None:
            n, p = env.neutron, "environment.neutron"
            n.floating_ranges = get(f"{p}.floating_ranges", parse_ranges, n.floating_ranges)
            n.vlan_range = get(f"{p}.vlan_range", parse_int_range, n.vlan_range)
            n.gre_id_range = get(f"{p}.gre_id_range", parse_int_range, n.gre_id_range)
            n.internal_cidr = get(f"{p}.internal_cidr", text, n.internal_cidr)
            n.internal_gateway = get(f"{p}.internal_gateway", text, n.internal_gateway)
            n.dns_nameservers = get(f"{p}.dns_nameservers", listed, n.dns_nameservers)
        if env.nova_network is not None:
            v, p = env.nova_network, "environment.nova_network"
            manager = get(f"{p}.net_manager", lambda t, _: t.strip(), v.net_manager)
            if manager not in ("FlatDHCPManager", "VlanManager"):
                shapes.append(
                    Finding(
                        code="value-invalid",
                        path=f"{p}.net_manager",
                        message="FlatDHCPManager or VlanManager",
                    )
                )
            else:
                v.net_manager = manager
            v.fixed_networks_cidr = get(f"{p}.fixed_networks_cidr", text, v.fixed_networks_cidr)
            v.fixed_networks_vlan_start = get(
                f"{p}.fixed_networks_vlan_start", parse_int, v.fixed_networks_vlan_start
            )
            v.fixed_network_size = get(f"{p}.fixed_network_size", parse_int, v.fixed_network_size) or 0
            v.fixed_networks_amount = (
                get(f"{p}.fixed_networks_amount", parse_int, v.fixed_networks_amount) or 0
            )
            v.floating_ranges = get(f"{p}.floating_ranges", parse_ranges, v.floating_ranges)
            v.dns_nameservers = get(f"{p}.dns_nameservers", listed, v.dns_nameservers)
        try:
            env = Environment.model_validate(env.model_dump())
        except ValueError as exc:
            shapes.append(Finding(code="value-invalid", path="environment", message=str(exc).splitlines()[0]))
            return None, shapes
        return env, shapes

    def field_for(self, path: str) -> str:
        """The field whose path is the longest prefix of a finding's path."""
        best = ""
        for candidate in self.paths:
            if (path == candidate or path.startswith((candidate + ".", candidate + "["))) and len(
                candidate
            ) > len(best):
                best = candidate
        return self.paths[best] if best else "general"

    def _show(self, extra: list[Finding] | None = None) -> None:
        if self.record is None or self.release is None:
            return
        env, shapes = self.read_form()
        local: list[Finding] = []
        if env is not None:
            local = check_networks(env, self.release)
        seen = {(f.code, f.path) for f in local + shapes}
        others = [
            f for f in extra or [] if (f.code, f.path) not in seen and f.path.startswith("environment.n")
        ]
        self.findings = shapes + local + others
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(self.field_for(finding.path), []).append(finding)
        for line in self.query(FindingLine):
            line.show(grouped.get((line.id or "").removeprefix("err-"), []))

    def field_codes(self, path: str) -> list[str]:
        return self.query_one(f"#err-{self.paths.get(path, 'general')}", FindingLine).codes

    @on(Input.Changed)
    def _changed(self) -> None:
        self._show()

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        event = message.event
        if isinstance(event, EnvChanged) and event.name == self.fuel.env_name:
            if self.record is not None and event.revision == self.record.revision:
                return
            self.notify("The environment changed on the master; ctrl+r reloads it.", timeout=4)

    # actions ----------------------------------------------------------------------------

    def has_unsaved(self) -> bool:
        if self.record is None or self.release is None or not self.paths:
            return False
        if self.record.environment.name != self.fuel.env_name:
            return False  # another environment was chosen meanwhile
        env, shapes = self.read_form()
        return bool(shapes) or env != self.record.environment

    def action_revert(self) -> None:
        self.schedule_reload()

    def action_save(self) -> None:
        self.save()

    @work(exclusive=True, group="save", exit_on_error=False)
    async def save(self) -> None:
        master = self.master()
        if master is None or self.record is None or self.release is None:
            return
        env, shapes = self.read_form()
        if env is None or shapes:
            self._show()
            self.notify("Fix the marked fields first.", severity="error")
            return
        # As Fuel did: network settings with a blocking finding are not saved at all.
        blocking = [f for f in check_networks(env, self.release) if f.severity == Severity.error]
        if blocking:
            self._show()
            self.notify(
                f"Not saved: {len(blocking)} blocking finding(s), marked ✗ at their fields.\n"
                + finding_text(blocking[:3]).plain,
                title="Fix first",
                severity="error",
            )
            return
        saved = await master.update_environment(
            EnvironmentRecord(environment=env, revision=self.record.revision)
        )
        self.record = saved
        findings = await master.findings(env.name)
        self._show(findings)
        errors = [f for f in findings if f.severity == "error"]
        self.notify(f"Saved. {len(errors)} blocking finding(s) in the environment." if errors else "Saved.")

    def action_verify(self) -> None:
        self._verify()

    @work(exclusive=True, group="verify", exit_on_error=False)
    async def _verify(self) -> None:
        task = await self.start_verify()
        if task is not None:
            self.fuel.last_verify = task.id
            await self.fuel.action_goto("verify")
