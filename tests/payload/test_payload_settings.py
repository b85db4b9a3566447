"""The Settings page's debug logging reaches every OpenStack service's config; off, the
configs are as they were (no `debug` key at all)."""

from __future__ import annotations

from test_payload_render import configs, ini_of

from fueltui.core.nodeconfig import render
from fueltui.core.payload.nodeview import NodeView
from fueltui.core.payload.services import neutron_conf, nova_conf


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
