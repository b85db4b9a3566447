"""Page 0 — Settings (Fuel's Settings tab): the release's settings of the working environment,
by group, one row per field. Tab moves between fields, Space toggles, ctrl+s saves.

A field the release or other settings make unavailable is shown with its reason and cannot be
edited; a field locked after a deploy says "locked". Values are parsed by the core (the CLI's
`--set` rules): a bad one is named under its field and nothing is sent."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from fueltui.api.events import BaseEvent, EnvChanged
from fueltui.api.settings import SettingsRecord, SettingView
from fueltui.client.errors import ApiError
from fueltui.core.model import Finding, SettingField
from fueltui.core.settings import SettingError, parse_value
from fueltui.tui.backend import describe_error
from fueltui.tui.messages import MasterEvent
from fueltui.tui.screens.base import BaseScreen
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.widgets.field import FindingLine

PATH_PREFIX = "environment.settings."
Value = bool | int | str


def on_off(value: bool) -> str:
    """A box's state in words: the console's colours alone do not tell a ticked box."""
    return "yes" if value else "no"


def widget_id(key: str) -> str:
    return "set-" + key.replace(".", "-").replace("_", "-")


class SettingRow(Vertical):
    """`label [editor] marker`, then what is wrong with the value (hidden when nothing)."""

    DEFAULT_CSS = """
    SettingRow { height: auto; }
    SettingRow > Horizontal { height: 1; }
    SettingRow .label { width: 38; }
    SettingRow Input, SettingRow Select { width: 1fr; }
    SettingRow Checkbox { width: 1fr; border: none; padding: 0; height: 1; }
    SettingRow .marker { width: 13; padding-left: 1; color: $text-muted; }
    SettingRow FindingLine { padding-left: 2; }
    """

    def __init__(self, field: SettingView) -> None:
        super().__init__(id=f"row-{widget_id(field.key)}")
        self.field = field

    def compose(self) -> ComposeResult:
        field = self.field
        with Horizontal():
            yield Label(field.label, classes="label")
            yield self._editor()
            yield Static("", classes="marker")
        yield FindingLine()

    def _editor(self) -> Widget:
        field, ident = self.field, widget_id(self.field.key)
        if field.type == "bool":
            return Checkbox(on_off(bool(field.value)), bool(field.value), id=ident, compact=True)
        if field.type == "select":
            options = [(choice, choice) for choice in field.choices]
            return Select(options, value=str(field.value), allow_blank=False, id=ident, compact=True)
        return Input(str(field.value), id=ident, compact=True)

    @property
    def editor(self) -> Widget:
        return self.query_one(f"#{widget_id(self.field.key)}")

    def show(self, field: SettingView) -> None:
        """The master's view of the field: value, lock, restriction."""
        self.field = field
        editor = self.editor
        if isinstance(editor, Checkbox):
            editor.value = bool(field.value)
            editor.label = on_off(editor.value)
        elif isinstance(editor, Select | Input):
            editor.value = str(field.value)
        editor.disabled = field.locked or field.restricted is not None
        marker = "🔒 locked" if field.locked else ("n/a" if field.restricted else "")
        self.query_one(".marker", Static).update(marker)
        self.problems([])

    @on(Checkbox.Changed)
    def _toggled(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = on_off(event.value)

    def typed(self) -> Value:
        """What the operator typed or chose, parsed by the core (SettingError when it is not)."""
        editor = self.editor
        if isinstance(editor, Checkbox):
            return editor.value
        if isinstance(editor, Select):
            return parse_value(self._meta(), str(editor.value))
        assert isinstance(editor, Input)
        return parse_value(self._meta(), editor.value)

    def _meta(self) -> SettingField:
        f = self.field
        return SettingField(key=f.key, type=f.type, label=f.label, default=f.default, choices=f.choices)

    def changed(self) -> bool:
        try:
            return self.typed() != self.field.value
        except SettingError:
            return True
        except NoMatches:  # not composed yet: nothing typed
            return False

    def problems(self, findings: list[Finding]) -> None:
        self.query_one(FindingLine).show(findings)


class SettingsScreen(BaseScreen):
    MODE = "settings"
    TITLE = "Settings"
    HELP = (
        "The working environment's settings, as its release declares them: Access (the cloud's "
        "administrator; the password is generated by the master, never a default, and shown only "
        "with ctrl+o), Storage, Additional components and Common. Tab moves between fields, Space "
        "toggles a box, Enter or ctrl+s saves, ctrl+r reverts. Fields marked n/a cannot leave their "
        "default (the reason shows under the form when the field has the focus); fields marked "
        "locked cannot change once the environment was deployed. Common settings are applied by the "
        "next deploy: debug logging in every service, the syslog target on every node, kernel "
        "parameters on provisioned nodes' boot menu, Horizon's public TLS on the public VIP."
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+r", "revert", "Revert", priority=True),
        Binding("ctrl+o", "password", "Password", priority=True),
    ]
    DEFAULT_CSS = """
    #settings-status { height: 1; padding: 0 1; }
    #settings-form { height: 1fr; padding: 0 1; }
    #settings-form .section { margin-top: 0; }
    #settings-about { height: 3; border-top: solid $primary; padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.record: SettingsRecord | None = None
        self.rows: dict[str, SettingRow] = {}

    def compose_body(self) -> ComposeResult:
        yield Static("", id="settings-status", markup=False)
        yield VerticalScroll(id="settings-form")
        yield Static("", id="settings-about", markup=False)

    # loading --------------------------------------------------------------------------

    async def reload(self) -> None:
        master = self.fuel.master
        name = self.fuel.env_name
        status = self.query_one("#settings-status", Static)
        if master is None:
            return
        if name is None:
            status.update("Pick an environment first (page 2).")
            return
        record = await master.settings(name)
        if record is None:
            return
        if self.record is None or self.record.environment != record.environment:
            await self._build(record)
        self._show(record)

    async def _build(self, record: SettingsRecord) -> None:
        form = self.query_one("#settings-form", VerticalScroll)
        self.rows = {}  # a reload cancelled mid-way must not leave rows that are not mounted
        await form.remove_children()
        rows: dict[str, SettingRow] = {}
        widgets: list[Widget] = []
        for group in record.groups:
            widgets.append(Label(group.label, classes="section"))
            for field in group.fields:
                rows[field.key] = SettingRow(field)
                widgets.append(rows[field.key])
        await form.mount_all(widgets)
        self.rows = rows

    def _show(self, record: SettingsRecord) -> None:
        self.record = record
        state = "deployed: locked fields cannot change" if record.deployed else "not deployed"
        self.query_one("#settings-status", Static).update(f"Settings of {record.environment} — {state}.")
        for group in record.groups:
            for field in group.fields:
                if field.key in self.rows:
                    self.rows[field.key].show(field)
        self._problems(record.findings)

    def _problems(self, findings: list[Finding]) -> None:
        by_key: dict[str, list[Finding]] = {}
        for finding in findings:
            key = finding.path.removeprefix(PATH_PREFIX)
            by_key.setdefault(key, []).append(finding)
        for key, row in self.rows.items():
            row.problems(by_key.get(key, []))

    def has_unsaved(self) -> bool:
        return any(row.changed() for row in self.rows.values())

    def on_master_event(self, message: MasterEvent[BaseEvent]) -> None:
        super().on_master_event(message)
        event = message.event
        ours = (
            isinstance(event, EnvChanged)
            and self.record is not None
            and event.name == self.record.environment
        )
        if ours and not self.has_unsaved():
            self.schedule_reload()

    # the field with the focus ---------------------------------------------------------

    def on_descendant_focus(self, event: object) -> None:
        about = self.query_one("#settings-about", Static)
        widget = self.focused
        row = next(
            (r for r in self.rows.values() if widget is not None and widget in r.walk_children()), None
        )
        if row is None:
            about.update("")
            return
        field = row.field
        text = Text()
        text.append(f"{field.key}", style="bold")
        text.append(f" — {field.description or field.label}")
        if field.restricted:
            text.append(f"\nUnavailable: {field.restricted}", style="yellow")
        elif field.locked:
            text.append("\nLocked: the environment was deployed (reset it to change this).", style="yellow")
        about.update(text)

    # actions --------------------------------------------------------------------------

    def action_revert(self) -> None:
        if self.record is not None:
            self._show(self.record)
        self.schedule_reload()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        self.save()

    @work(exclusive=True, group="save", exit_on_error=False)
    async def save(self) -> None:
        master = self.master()
        record = self.record
        if master is None or record is None:
            return
        changes: dict[str, Value] = {}
        bad = False
        for key, row in self.rows.items():
            try:
                value = row.typed()
            except SettingError as exc:
                row.problems([Finding(code=exc.code, path=PATH_PREFIX + key, message=exc.message)])
                bad = True
                continue
            row.problems([])
            if value != row.field.value:
                changes[key] = value
        if bad:
            self.notify("Not saved: a value is not of its field's type (see the form).", severity="error")
            return
        if not changes:
            self.notify("Nothing to save.", timeout=2)
            return
        try:
            stored = await master.update_settings(record.environment, changes, record.revision)
        except ApiError as exc:
            if exc.findings:
                self._problems(list(exc.findings))
            self.notify(describe_error(exc), title="Not saved", severity="error", timeout=8)
            return
        self._show(stored)
        self.notify(f"Saved {len(changes)} setting(s) of {stored.environment}.", timeout=3)

    def action_password(self) -> None:
        name = self.env_required()
        if name is None:
            return

        def answered(ok: bool | None) -> None:
            if ok:
                self.reveal_password(name)

        self.app.push_screen(
            ConfirmScreen(
                f"Show the admin password of {name} on screen?",
                "It is the cloud administrator's generated password. Anyone who can see this "
                "screen will see it; Esc hides it again.",
                yes="Show",
            ),
            answered,
        )

    @work(exclusive=True, group="password", exit_on_error=False)
    async def reveal_password(self, name: str) -> None:
        master = self.master()
        if master is None:
            return
        secret = await master.admin_password(name)
        if secret is None:
            return
        detail = f"User:     {secret.user}\nPassword: {secret.password}"
        self.app.push_screen(ConfirmScreen(f"Admin password of {name}", detail, yes=None, no="Close"))
