"""The Settings page at 80×24: grouped fields from the release, a change saved with ctrl+s,
bad input named under its field with nothing sent, locked and unavailable fields, and the
admin password only after a confirm."""

from __future__ import annotations

from textual.widgets import Checkbox, Input

from fueltui.core.model import EnvStatus
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.settings import SettingsScreen, widget_id
from fueltui.tui.widgets.field import FindingLine
from tui.test_environments import settle


def row_text(screen: SettingsScreen, key: str) -> str:
    row = screen.rows[key]
    return " ".join(str(w.render()) for w in row.query("Label, .marker"))


async def loaded(pilot, app) -> SettingsScreen:
    screen = app.screen
    assert isinstance(screen, SettingsScreen)
    await settle(pilot, lambda: screen.record is not None and screen.rows, "the settings")
    return screen


async def test_settings_page_edits_and_saves(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="environments", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("0")
        screen = await loaded(pilot, app)
        assert "[0 Settings]" in str(screen.query_one("#navbar").render())
        assert "Settings of prod — not deployed" in str(screen.query_one("#settings-status").render())
        labels = [str(w.render()) for w in screen.query(".section")]
        assert labels == ["Access", "Storage", "Additional components", "Common"]
        ceph = screen.query_one(f"#{widget_id('storage.volumes_ceph')}", Checkbox)
        assert ceph.disabled and "n/a" in row_text(screen, "storage.volumes_ceph")

        debug = screen.query_one(f"#{widget_id('common.debug')}", Checkbox)
        debug.focus()
        await pilot.pause()
        assert "common.debug" in str(screen.query_one("#settings-about").render())
        await pilot.press("space")
        syslog = screen.query_one(f"#{widget_id('common.syslog')}", Input)
        syslog.focus()
        await pilot.press(*"10.20.0.9:514")
        assert screen.has_unsaved()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: screen.record is not None and screen.record.revision == 2, "saved")
    settings = (await client.environment("prod")).environment.settings
    assert settings.common.debug and settings.common.syslog == "10.20.0.9:514"


async def test_bad_input_is_named_and_nothing_is_sent(client, make_app) -> None:
    await client.create_environment("prod")
    app = make_app(client, start="settings", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        size = screen.query_one(f"#{widget_id('common.syslog')}", Input)
        size.focus()
        await pilot.press(*"logs:99999", "enter")  # Enter saves too
        line = screen.rows["common.syslog"].query_one(FindingLine)
        await settle(pilot, lambda: "syslog-invalid" in line.codes, "the master's finding under the field")
        assert "1–65535" in str(line.render())
        assert any("Not saved" in (n.title or "") for n in app._notifications)
        email = screen.query_one(f"#{widget_id('access.email')}", Input)
        email.value = "ops"
        await pilot.press("ctrl+s")
        mail_line = screen.rows["access.email"].query_one(FindingLine)
        await settle(pilot, lambda: "email-invalid" in mail_line.codes, "the e-mail refused")
        assert app.is_running
    record = await client.environment("prod")
    assert record.revision == 1 and record.environment.settings.common.syslog == ""


async def test_locked_fields_and_the_password_on_request(master, client, make_app) -> None:
    await client.create_environment("prod")
    master.state.store.set_environment_status("prod", EnvStatus.operational.value)
    password = (await client.admin_password("prod")).password
    app = make_app(client, start="settings", env_name="prod")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        user = screen.query_one(f"#{widget_id('access.user')}", Input)
        assert user.disabled and "locked" in row_text(screen, "access.user")
        assert not screen.query_one(f"#{widget_id('common.debug')}", Checkbox).disabled
        assert password not in app.export_screenshot()
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirm")
        assert password not in app.export_screenshot()
        await pilot.press("n")  # cancelled: nothing shown
        await settle(pilot, lambda: app.screen is screen, "back on the page")
        assert password not in app.export_screenshot()
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirm again")
        await pilot.press("y")
        await settle(pilot, lambda: password in app.export_screenshot(), "the password shown")
        await pilot.press("escape")
        await settle(pilot, lambda: app.screen is screen, "closed")
        assert password not in app.export_screenshot()
