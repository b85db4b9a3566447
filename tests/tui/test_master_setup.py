"""Page 1: the master's boot options, checked as typed, written under a temporary root only."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from fueltui.core.kernelline import parse_boot_line
from fueltui.tui.app import FuelApp
from fueltui.tui.hostinfo import HostNic
from fueltui.tui.screens.master_setup import MasterSetupScreen
from polling import async_wait_until

NICS = [HostNic("eth0", "52:54:00:00:00:01", ["10.20.0.2/24"]), HostNic("eth1", "52:54:00:00:00:02", [])]
CMDLINE = (
    "BOOT_IMAGE=/vmlinuz ip=10.20.0.2 gw=10.20.0.1 dns1=10.20.0.1 netmask=255.255.255.0"
    " hostname=fuel.domain.tld"
)


def make_app(root: Path, cmdline: str = CMDLINE) -> FuelApp:
    return FuelApp(root=root, nics=lambda: NICS, cmdline=lambda: cmdline, start="master")


async def set_field(pilot, screen: MasterSetupScreen, key: str, text: str, typed: bool = False) -> None:
    """Put `text` in a field; `typed` presses every key like an operator (slower)."""
    field = screen.query_one(f"#in-{key}", Input)
    field.focus()
    field.value = "" if typed else text
    if typed:
        await pilot.press(*list(text))
    await pilot.pause()


async def test_invalid_gateway_shows_the_finding_at_the_field(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        assert screen.field_codes("gateway") == []
        await set_field(pilot, screen, "gateway", "10.99.0.1", typed=True)
        assert "gateway-outside-subnet" in screen.field_codes("gateway")
        shown = str(screen.query_one("#err-gateway", Static).render())
        assert "gateway-outside-subnet" in shown
        await set_field(pilot, screen, "gateway", "10.20.0.1")
        assert screen.field_codes("gateway") == []


async def test_preview_follows_the_fields_and_the_flavour(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await set_field(pilot, screen, "ip", "10.20.0.3")
        assert "10.20.0.3" in str(screen.query_one("#boot-line", Static).render())
        files = str(screen.query_one("#files-preview", Static).render())
        assert "etc/netplan/" in files and "10.20.0.3/24" in files
        await pilot.press("ctrl+t")
        files = str(screen.query_one("#files-preview", Static).render())
        assert "Address=10.20.0.3/24" in files


async def test_apply_shows_the_diff_then_writes_under_the_root_only(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("old\n")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await set_field(pilot, screen, "hostname", "master.lab.example")
        await pilot.press("ctrl+s")
        await pilot.pause()
        detail = str(app.screen.query_one("#confirm-detail", Static).render())
        assert "-old" in detail and "+master" in detail
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert (tmp_path / "etc" / "hostname").read_text() == "master\n"
    assert "10.20.0.2/24" in (tmp_path / "etc/netplan/01-fueltui-admin.yaml").read_text()
    assert "nameserver 10.20.0.1" in (tmp_path / "etc/resolv.conf").read_text()


async def test_apply_is_refused_while_a_field_is_wrong(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await set_field(pilot, screen, "gateway", "10.99.0.1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
    assert not (tmp_path / "etc").exists()


async def test_apply_stores_the_options_on_the_master(tmp_path: Path, client) -> None:
    app = FuelApp(client, root=tmp_path, nics=lambda: NICS, cmdline=lambda: CMDLINE, start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await set_field(pilot, screen, "pool_start", "10.20.0.150")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")

        async def stored() -> bool:
            await pilot.pause()
            record = await client.boot_options()
            return record.options is not None and record.options.dhcp_pool.start == "10.20.0.150"

        await async_wait_until(stored, what="the boot options on the master")
    assert (tmp_path / "etc/hostname").read_text() == "fuel\n"


async def test_options_stored_on_the_master_prefill_the_form(tmp_path: Path, client) -> None:
    stored = parse_boot_line(CMDLINE).model_copy(update={"hostname": "stored.example.org"})
    await client.set_boot_options(stored)
    app = FuelApp(client, root=tmp_path, nics=lambda: NICS, cmdline=lambda: CMDLINE, start="master")
    async with app.run_test(size=(80, 24)) as pilot:
        field = app.screen.query_one("#in-hostname", Input)

        async def filled() -> bool:
            await pilot.pause()
            return field.value == "stored.example.org"

        await async_wait_until(filled, what="the stored hostname in the form")


async def test_prefill_falls_back_to_the_nic_state(tmp_path: Path) -> None:
    app = make_app(tmp_path, cmdline="BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet")
    async with app.run_test(size=(80, 24)):
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        assert screen.query_one("#in-ip", Input).value == "10.20.0.2"
        assert screen.options is not None and screen.options.interface == "eth0"


def visible_text(widget) -> str:
    from textual.geometry import Region

    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return " ".join(strip.text.strip() for strip in strips)


async def test_a_fresh_machine_gets_a_consistent_prefill(tmp_path: Path) -> None:
    fresh = [HostNic("eth0", "52:54:00:00:00:01", ["192.0.2.2/24"]), HostNic("eth1", None, [])]
    app = FuelApp(
        root=tmp_path,
        nics=lambda: fresh,
        cmdline=lambda: "BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet",
        gateway=lambda: "192.0.2.1",
        start="master",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        await pilot.pause()
        values = {
            key: screen.query_one(f"#in-{key}", Input).value
            for key in ("ip", "gateway", "pool_start", "pool_end")
        }
        assert values == {
            "ip": "192.0.2.2",
            "gateway": "192.0.2.1",
            "pool_start": "192.0.2.129",
            "pool_end": "192.0.2.254",
        }
        assert screen.findings == []  # the operator's first screen shows no finding
        assert "(from eth0's current address)" in visible_text(screen.query_one("#iface-source"))
        # a default route off the NIC's subnet is not offered as its gateway
        app.host_gateway = lambda: "10.0.0.1"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.query_one("#in-gateway", Input).value == ""
        assert screen.query_one("#in-pool_start", Input).value == "192.0.2.129"
        assert [f.code for f in screen.findings if f.severity == "error"] == []


async def test_the_kernel_line_wins_over_the_nic_state(tmp_path: Path) -> None:
    app = FuelApp(
        root=tmp_path,
        nics=lambda: NICS,
        cmdline=lambda: CMDLINE,
        gateway=lambda: "10.20.0.99",
        start="master",
    )
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await pilot.pause()
        assert screen.query_one("#in-gateway", Input).value == "10.20.0.1"
        assert "(from /proc/cmdline)" in visible_text(screen.query_one("#iface-source"))


async def test_hostnamectl_runs_without_blocking_the_screen(tmp_path: Path, monkeypatch) -> None:
    """A stand-in hostnamectl first in PATH waits for the test's go-ahead: if the call blocked
    the event loop, the key press below could not be handled and the test would time out."""
    from fueltui.tui.screens.master_setup import set_live_hostname

    bindir, go, out = tmp_path / "bin", tmp_path / "go", tmp_path / "args"
    bindir.mkdir()
    tool = bindir / "hostnamectl"
    tool.write_text(
        f'#!/bin/sh\nfor i in $(seq 200); do [ -e "{go}" ] && break; sleep 0.05; done\necho "$@" > "{out}"\n'
    )
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        worker = screen.run_worker(set_live_hostname("master"), exit_on_error=False)
        await pilot.press("ctrl+t")  # handled while hostnamectl still runs
        assert screen.flavor == "networkd" and not out.exists()
        go.touch()
        await worker.wait()
        assert worker.result == " hostname applied."
    assert out.read_text().split() == ["set-hostname", "master"]
