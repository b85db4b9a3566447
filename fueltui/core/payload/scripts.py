"""Every payload script by name, and the one entry point that renders them."""

from __future__ import annotations

from collections.abc import Callable

from fueltui.core.nodeconfig import NodeConfig
from fueltui.core.payload.agents import render_neutron_agents, render_nova_compute
from fueltui.core.payload.cloud import render_cloud_ready
from fueltui.core.payload.infra import render_memcached, render_mysql, render_rabbitmq
from fueltui.core.payload.nodesettings import render_kernel_params, render_syslog
from fueltui.core.payload.nodeview import NodeView, PayloadUnavailable
from fueltui.core.payload.services import (
    render_glance,
    render_horizon,
    render_keystone,
    render_neutron_server,
    render_nova_controller,
    render_placement,
)
from fueltui.core.payload.shell import script
from fueltui.core.payload.system import render_apt, render_openvswitch, render_packages, render_vips

__all__ = ["PREFIX", "SCRIPTS", "PayloadUnavailable", "render_script"]

PREFIX = "payload:"

SCRIPTS: dict[str, Callable[[NodeView], str]] = {
    "apt": render_apt,
    "packages": render_packages,
    "openvswitch": render_openvswitch,
    "vips": render_vips,
    "mysql": render_mysql,
    "rabbitmq": render_rabbitmq,
    "memcached": render_memcached,
    "keystone": render_keystone,
    "glance": render_glance,
    "placement": render_placement,
    "nova_controller": render_nova_controller,
    "neutron_server": render_neutron_server,
    "neutron_agents": render_neutron_agents,
    "horizon": render_horizon,
    "nova_compute": render_nova_compute,
    "cloud_ready": render_cloud_ready,
    "syslog": render_syslog,
    "kernel_params": render_kernel_params,
}


def render_script(source: str, cfg: NodeConfig) -> str:
    """The script for `payload:<name>` on this node; `PayloadUnavailable` says why not."""
    name = source.removeprefix(PREFIX)
    if name not in SCRIPTS:
        raise PayloadUnavailable(f"no payload script {name!r}")
    if cfg.payload is None:
        return script(name, [NO_PAYLOAD])
    return SCRIPTS[name](NodeView.of(cfg))


# A node without the payload (it does not run the release's OS yet, or the mirror was not
# synced when the deploy started) deploys the base system: its payload tasks say so and pass.
NO_PAYLOAD = (
    "say 'no OpenStack payload on this node: it does not run the release OS "
    "(provisioning installs it); base system only'"
)
