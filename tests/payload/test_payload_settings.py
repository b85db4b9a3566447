"""The Settings page reaches the nodes: debug logging every OpenStack service's config (off,
the configs are as they were: no `debug` key at all), the remote syslog as an rsyslog drop-in
on every node, kernel parameters on the provisioned nodes' GRUB menu."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from test_payload_render import RELEASE, configs, ini_of

from fueltui.core.environment import new_environment
from fueltui.core.nodeconfig import NodeConfig, render
from fueltui.core.payload import nodesettings
from fueltui.core.payload.data import PayloadSecrets, build_payload
from fueltui.core.payload.nodesettings import (
    BASE_KERNEL_ARGS,
    GRUB_CFG,
    GRUB_DROPIN,
    SYSLOG_DROPIN,
    syslog_target,
)
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.services import neutron_conf, nova_conf
from fueltui.core.settings import with_value
from fueltui.master.pxe.osfiles import grub_cfg


def test_debug_setting_turns_on_debug_in_every_service() -> None:
    cfgs, data, _ = configs()
    assert data.debug is False
    view = NodeView.of(cfgs["ctrl-1"])
    assert "debug" not in ini_of(nova_conf(view))["DEFAULT"]
    debug = {name: cfg.model_copy(update={"payload": data.model_copy(update={"debug": True})})
             for name, cfg in cfgs.items()}  # fmt: skip
    view = NodeView.of(debug["ctrl-1"])
    assert ini_of(nova_conf(view))["DEFAULT"]["debug"] == "true"
    assert ini_of(neutron_conf(view))["DEFAULT"]["debug"] == "true"
    for step in ("payload:keystone", "payload:glance", "payload:placement"):
        assert "debug = true" in render(step, debug["ctrl-1"]), step
        assert "debug = true" not in render(step, cfgs["ctrl-1"]), step


def _with(cfgs: dict[str, NodeConfig], **update: object) -> dict[str, NodeConfig]:
    """Every node's config with payload data changed as the Settings page would."""
    return {
        name: cfg.model_copy(update={"payload": cfg.payload.model_copy(update=update)})  # type: ignore[union-attr]
        for name, cfg in cfgs.items()
    }


def body(step: str, cfg: NodeConfig) -> str:
    """A payload script without the shell functions every script starts with."""
    return render(step, cfg).split("# fueltui payload: ", 1)[1]


def test_syslog_target_reaches_every_node_as_an_rsyslog_dropin() -> None:
    cfgs, _, _ = configs()
    on = _with(cfgs, syslog="10.20.0.3:5514")
    for name in ("ctrl-1", "comp-1"):
        text = render("payload:syslog", on[name])
        assert f"put_file {SYSLOG_DROPIN} 0644 root:root" in text
        assert 'target="10.20.0.3" port="5514" protocol="udp"' in text
        assert "apt-get -q -y install $missing" in text and "for p in rsyslog; do" in text
        assert "rsyslog_restart" in text and "rsyslogd -N1" in text
    off = body("payload:syslog", cfgs["comp-1"])
    assert f"rm -f {SYSLOG_DROPIN}" in off and "apt-get" not in off and "put_file" not in off


def test_syslog_target_is_taken_from_the_environment_settings() -> None:
    env = new_environment("demo", RELEASE, "neutron-gre")
    env = env.model_copy(update={"settings": with_value(env.settings, "common.syslog", " logs.example:514 ")})
    cfgs, _, vips = configs()
    data = build_payload(env, RELEASE, vips, ["ctrl-1"], "10.20.0.2", "KEY", PayloadSecrets.generate())
    assert data is not None and data.syslog == "logs.example:514"
    cfg = cfgs["ctrl-1"].model_copy(update={"payload": data})
    assert 'target="logs.example" port="514"' in render("payload:syslog", cfg)


def test_a_syslog_value_the_rules_refuse_never_reaches_a_node() -> None:
    cfgs, _, _ = configs()
    for bad in ('x";rm -rf /', "10.20.0.3:99999", "host:514 $(reboot)", "no-port"):
        text = body("payload:syslog", _with(cfgs, syslog=bad)["ctrl-1"])
        assert "put_file" not in text and "reboot" not in text and "rm -rf" not in text, bad
        assert syslog_target(bad) is None


def test_kernel_params_script_ships_the_params_quoted_and_says_when_they_do_not_apply() -> None:
    cfgs, _, _ = configs()
    on = render("payload:kernel_params", _with(cfgs, kernel_params="quiet  hugepages=16 iommu=pt")["comp-1"])
    assert f"kernel_cmdline.py {GRUB_CFG} {shlex.quote(BASE_KERNEL_ARGS)} 'quiet hugepages=16 iommu=pt'" in on
    assert 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX quiet hugepages=16 iommu=pt"' in on
    assert "update-grub" in on and "not applicable here" in on
    off = render("payload:kernel_params", cfgs["comp-1"])
    assert f"kernel_cmdline.py {GRUB_CFG} {shlex.quote(BASE_KERNEL_ARGS)} ''" in off
    assert f"rm -f {GRUB_DROPIN}" in off
    # What the rules refuse is dropped, not shipped to a shell or a boot line.
    bad = render("payload:kernel_params", _with(cfgs, kernel_params="quiet $(reboot) a;b")["comp-1"])
    assert "reboot" not in bad and "a;b" not in bad


def _run_cmdline(path: Path, params: str) -> str:
    program = Path(nodesettings.__file__).parent / "remote" / "kernel_cmdline.py.txt"
    done = subprocess.run(
        [sys.executable, str(program), str(path), BASE_KERNEL_ARGS, params],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_kernel_params_go_on_the_provisioned_grub_menu_and_come_off_again(tmp_path: Path) -> None:
    cfg = tmp_path / "grub.cfg"
    original = grub_cfg("vmlinuz-6.12", "initrd.img-6.12", "1234")
    cfg.write_text(original)
    out = _run_cmdline(cfg, "quiet hugepages=16")
    assert f"changed {cfg}" in out and "from the next boot" in out
    assert f"ro {BASE_KERNEL_ARGS} quiet hugepages=16\n" in cfg.read_text()
    # provisioning with the same parameters writes the same menu: the task changes nothing then
    assert cfg.read_text() == grub_cfg("vmlinuz-6.12", "initrd.img-6.12", "1234", "quiet hugepages=16")
    inode = cfg.stat().st_ino
    again = _run_cmdline(cfg, "quiet hugepages=16")
    assert "already on the boot menu" in again and "changed" not in again
    assert cfg.stat().st_ino == inode  # not rewritten
    _run_cmdline(cfg, "iommu=pt")  # replaced, not appended
    assert f"ro {BASE_KERNEL_ARGS} iommu=pt\n" in cfg.read_text() and "quiet" not in cfg.read_text()
    _run_cmdline(cfg, "")
    assert cfg.read_text() == original


def test_a_grub_menu_fueltui_did_not_write_is_left_alone(tmp_path: Path) -> None:
    cfg = tmp_path / "grub.cfg"
    foreign = "menuentry 'x' {\n  linux /boot/vmlinuz root=/dev/sda1 ro quiet\n}\n"
    cfg.write_text(foreign)
    out = _run_cmdline(cfg, "iommu=pt")
    assert "left as it is" in out and cfg.read_text() == foreign
