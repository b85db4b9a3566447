"""Page 1: the master's boot options, checked as typed, offered on the master's own NICs.

Apply never writes a file of this machine unless the operator asked for exactly that: the
tests write under temporary roots, and a stand-in writer records what would go to `/`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from fueltui.api.host import HostInterface
from fueltui.core import masterfiles
from fueltui.core.kernelline import parse_boot_line
from fueltui.tui.app import FuelApp, run
from fueltui.tui.screens.confirm import ConfirmScreen
from fueltui.tui.screens.master_setup import MasterSetupScreen
from fueltui.tui.target import HOST_ROOT, own_netns
from tui.conftest import CMDLINE, MachineOfTheMaster
from tui.test_environments import settle

LAB_NICS = [
    HostInterface(name="br-admin", mac="02:00:00:00:00:01", addresses=["10.20.0.2/24"]),
    HostInterface(name="br-public", mac="02:00:00:00:00:02"),
]


def make_app(client, root: Path | None, lab: bool = False) -> FuelApp:
    return FuelApp(client, root=root, lab=lab, start="master")


async def loaded(pilot, app: FuelApp) -> MasterSetupScreen:
    screen = app.screen
    assert isinstance(screen, MasterSetupScreen)
    await settle(pilot, lambda: screen.host is not None and screen._loaded, "the master's answer")
    await pilot.pause()
    return screen


async def set_field(pilot, screen: MasterSetupScreen, key: str, text: str, typed: bool = False) -> None:
    """Put `text` in a field; `typed` presses every key like an operator (slower)."""
    field = screen.query_one(f"#in-{key}", Input)
    field.focus()
    field.value = "" if typed else text
    if typed:
        await pilot.press(*list(text))
    await pilot.pause()


class Recorder:
    """Stands in for the file writer: records where it was asked to write, writes nothing."""

    def __init__(self) -> None:
        self.roots: list[Path] = []

    def __call__(self, files: dict[str, str], root: Path) -> list[Path]:
        self.roots.append(root)
        return [root / rel for rel in files]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(masterfiles, "write_master_files", recorder)

    async def no_hostnamectl(hostname: str) -> str:
        return " (hostnamectl stood in)"

    monkeypatch.setattr("fueltui.tui.screens.master_setup.set_live_hostname", no_hostnamectl)
    return recorder


async def stored_pool_start(client) -> str | None:
    record = await client.boot_options()
    return record.options.dhcp_pool.start if record.options else None


async def test_invalid_gateway_shows_the_finding_at_the_field(client, tmp_path: Path) -> None:
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.field_codes("gateway") == []
        await set_field(pilot, screen, "gateway", "10.99.0.1", typed=True)
        assert "gateway-outside-subnet" in screen.field_codes("gateway")
        shown = str(screen.query_one("#err-gateway", Static).render())
        assert "gateway-outside-subnet" in shown
        await set_field(pilot, screen, "gateway", "10.20.0.1")
        assert screen.field_codes("gateway") == []


async def test_preview_follows_the_fields_and_the_flavour(client, tmp_path: Path) -> None:
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        await set_field(pilot, screen, "ip", "10.20.0.3")
        assert "10.20.0.3" in str(screen.query_one("#boot-line", Static).render())
        files = str(screen.query_one("#files-preview", Static).render())
        assert "etc/netplan/" in files and "10.20.0.3/24" in files
        await pilot.press("ctrl+t")
        files = str(screen.query_one("#files-preview", Static).render())
        assert "Address=10.20.0.3/24" in files


async def test_the_interfaces_offered_are_the_masters(client, master_machine: MachineOfTheMaster) -> None:
    """In the lab the master lives in its own namespace: its br-admin is offered, and a NIC it
    does not have (the TUI host's eth0) is a finding, not a choice that silently breaks DHCP."""
    master_machine.set(interfaces=LAB_NICS, cmdline="BOOT_IMAGE=/vmlinuz quiet", gateway=None)
    app = make_app(client, None, lab=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        select = screen.query_one("#in-interface", Select)
        assert [value for _, value in select._options if isinstance(value, str)] == ["br-admin", "br-public"]
        assert select.value == "br-admin"
        assert screen.query_one("#in-ip", Input).value == "10.20.0.2"
        assert "br-admin's current address on the master" in str(screen.query_one("#iface-source").render())
        assert screen.findings == []
    await client.set_boot_options(parse_boot_line(CMDLINE).model_copy(update={"interface": "eth0"}), 0)
    app = make_app(client, None, lab=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.query_one("#in-interface", Select).value == "eth0"
        assert "interface-not-on-master" in screen.field_codes("interface")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen  # refused: the master could not serve DHCP there


async def test_reset_reloads_what_the_master_stores(client, tmp_path: Path) -> None:
    stored = parse_boot_line(CMDLINE).model_copy(update={"hostname": "stored.example.org"})
    await client.set_boot_options(stored, 0)
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        field = screen.query_one("#in-hostname", Input)
        assert field.value == "stored.example.org"
        assert "as stored on the master" in str(screen.query_one("#iface-source").render())
        await set_field(pilot, screen, "hostname", "typed.example.org")
        await client.set_boot_options(stored.model_copy(update={"hostname": "newer.example.org"}), 1)
        await pilot.press("ctrl+r")
        await settle(pilot, lambda: field.value == "newer.example.org", "the stored hostname back")
        assert not screen.has_unsaved()


async def test_apply_with_a_staged_root_shows_the_diff_then_writes_there_only(client, tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "hostname").write_text("old\n")
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        await set_field(pilot, screen, "hostname", "master.lab.example")
        await set_field(pilot, screen, "pool_start", "10.20.0.150")
        await pilot.press("ctrl+s")
        await pilot.pause()
        detail = str(app.screen.query_one("#confirm-detail", Static).render())
        assert "-old" in detail and "+master" in detail
        await pilot.press("y")
        await settle(pilot, lambda: not screen.has_unsaved(), "the apply")
    assert (tmp_path / "etc" / "hostname").read_text() == "master\n"
    assert "10.20.0.2/24" in (tmp_path / "etc/netplan/01-fueltui-admin.yaml").read_text()
    assert "nameserver 10.20.0.1" in (tmp_path / "etc/resolv.conf").read_text()
    assert await stored_pool_start(client) == "10.20.0.150"


async def test_apply_is_refused_while_a_field_is_wrong(client, tmp_path: Path) -> None:
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        await set_field(pilot, screen, "gateway", "10.99.0.1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("lab", [True, False], ids=["lab", "default"])
async def test_the_lab_and_the_default_tui_never_write_a_file(client, recorder: Recorder, lab: bool) -> None:
    """Item 1: `fueltui --lab` (and `fueltui` without --root, not the installed master) only
    stores the options on the master; no file of any root is written."""
    app = make_app(client, None, lab=lab)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.target.root is None
        assert "preview only" in str(screen.query_one("#files-title").render())
        await set_field(pilot, screen, "pool_start", "10.20.0.160")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, lambda: not screen.has_unsaved(), "the options stored")
        # closing the dialog is not coming back to the page: no "unsaved changes kept" notice
        assert not any("unsaved" in n.message for n in app._notifications)
    assert recorder.roots == []
    assert await stored_pool_start(client) == "10.20.0.160"


async def test_a_lab_master_is_never_written_to_the_host(
    client, recorder: Recorder, master_machine: MachineOfTheMaster
) -> None:
    """Even given `--root /`, a master that says it is the lab's gets its options stored only."""
    master_machine.set(lab=True, service=True, netns=own_netns())
    app = make_app(client, HOST_ROOT)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.target.root is None
        await pilot.press("ctrl+s", "y")
        await settle(pilot, lambda: bool(app._notifications) and app.screen is screen, "the answer")
    assert recorder.roots == []


def test_lab_with_root_slash_is_refused_before_the_tui_opens(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(argparse.Namespace(lab=True, root="/")) == 2
    assert "--lab with --root /" in capsys.readouterr().err


@pytest.mark.parametrize("how", ["--root /", "installed service"])
async def test_writing_the_running_machine_asks_loudly(
    client, recorder: Recorder, master_machine: MachineOfTheMaster, how: str
) -> None:
    """`--root /`, or the installed master in this namespace: a red question, Cancel focused,
    no one-key yes; only moving to the red button and pressing Enter writes."""
    if how == "installed service":
        master_machine.set(service=True, netns=own_netns())
    app = make_app(client, HOST_ROOT if how == "--root /" else None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.target.is_host
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.danger
        assert "REWRITES THE RUNNING MACHINE" in str(dialog.query_one(".question").render())
        await pilot.press("y", "enter")  # y does nothing; Enter on the focused Cancel cancels
        await pilot.pause()
        assert app.screen is screen and recorder.roots == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("tab", "enter")
        await settle(pilot, lambda: recorder.roots == [HOST_ROOT], "the write to /")


async def test_a_service_master_elsewhere_is_not_this_machine(
    client, recorder: Recorder, master_machine: MachineOfTheMaster
) -> None:
    master_machine.set(service=True, netns="net:[1]")  # another namespace: not our /etc
    app = make_app(client, None)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.target.root is None


async def test_prefill_falls_back_to_the_masters_nic_state(
    client, master_machine: MachineOfTheMaster, tmp_path: Path
) -> None:
    fresh = [
        HostInterface(name="eth0", mac="52:54:00:00:00:01", addresses=["192.0.2.2/24"]),
        HostInterface(name="eth1"),
    ]
    master_machine.set(
        interfaces=fresh, cmdline="BOOT_IMAGE=/vmlinuz root=/dev/sda1 quiet", gateway="192.0.2.1"
    )
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
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
        # a default route off the NIC's subnet is not offered as its gateway
        master_machine.set(gateway="10.0.0.1")
        await pilot.press("ctrl+r")
        await settle(pilot, lambda: screen.query_one("#in-gateway", Input).value == "", "no gateway")
        assert screen.query_one("#in-pool_start", Input).value == "192.0.2.129"
        assert [f.code for f in screen.findings if f.severity == "error"] == []


async def test_the_masters_kernel_line_wins_over_its_nic_state(
    client, master_machine: MachineOfTheMaster, tmp_path: Path
) -> None:
    master_machine.set(gateway="10.20.0.99")
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        assert screen.query_one("#in-gateway", Input).value == "10.20.0.1"
        assert "(from the master's /proc/cmdline)" in str(screen.query_one("#iface-source").render())


async def test_hostnamectl_runs_without_blocking_the_screen(client, tmp_path: Path, monkeypatch) -> None:
    """A stand-in hostnamectl first in PATH waits for the test's go-ahead: if the call blocked
    the event loop, the key press below could not be handled and the test would time out."""
    from fueltui.tui.screens.master_apply import set_live_hostname

    bindir, go, out = tmp_path / "bin", tmp_path / "go", tmp_path / "args"
    bindir.mkdir()
    tool = bindir / "hostnamectl"
    tool.write_text(
        f'#!/bin/sh\nfor i in $(seq 200); do [ -e "{go}" ] && break; sleep 0.05; done\necho "$@" > "{out}"\n'
    )
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    app = make_app(client, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot, app)
        worker = screen.run_worker(set_live_hostname("master"), exit_on_error=False)
        await pilot.press("ctrl+t")  # handled while hostnamectl still runs
        assert screen.flavor == "networkd" and not out.exists()
        go.touch()
        await worker.wait()
        assert worker.result == " hostname applied."
    assert out.read_text().split() == ["set-hostname", "master"]


class SlowMaster:
    """The real client, except that the master's machine is told only when the test says so:
    the master's first answer lands exactly between two keys."""

    def __init__(self, client) -> None:
        self._client = client
        self.answer = asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    async def master_host(self):
        await self.answer.wait()
        return await self._client.master_host()


@pytest.mark.parametrize("typed_first", [False, True], ids=["focused", "typing"])
async def test_keys_typed_while_the_master_answers_arrive_whole(
    client, tmp_path: Path, typed_first: bool
) -> None:
    """Item 18: keys are neither lost nor reordered by Textual (the burst after the load shows
    that); what garbled fields was the page filling them from the master mid-typing — the
    typed text ended up in front of the filled value ("10.20.0.310.20.0.2")."""
    slow = SlowMaster(client)
    app = FuelApp(slow, root=tmp_path, start="master")  # type: ignore[arg-type]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MasterSetupScreen)
        ip = screen.query_one("#in-ip", Input)
        ip.focus()
        await pilot.pause()
        if typed_first:
            await pilot.press(*"10.2")
        slow.answer.set()
        await settle(pilot, lambda: screen._loaded, "the master's answer")
        await pilot.press(*("0.0.3" if typed_first else "10.20.0.3"))
        await pilot.press("tab", *"255.255.255.0", "tab", *"10.20.0.1", "tab", *"8.8.8.8, 8.8.4.4")
        await pilot.pause()
        values = {
            key: screen.query_one(f"#in-{key}", Input).value for key in ("ip", "netmask", "gateway", "dns")
        }
        assert values == {
            "ip": "10.20.0.3",
            "netmask": "255.255.255.0",
            "gateway": "10.20.0.1",
            "dns": "8.8.8.8, 8.8.4.4",
        }
