"""One node's view of the cloud for the payload scripts: its addresses, devices and roles."""

from __future__ import annotations

from dataclasses import dataclass

from fueltui.core.environment import PUBLIC
from fueltui.core.model import Mode
from fueltui.core.nodeconfig import NetworkScheme, NodeConfig
from fueltui.core.payload.data import MANAGEMENT, PRIVATE, PayloadData

CONTROLLER_ROLES = frozenset({"controller", "primary-controller"})


class PayloadUnavailable(ValueError):
    """The node's config has no payload data, or lacks an address a script needs."""


@dataclass(frozen=True)
class NodeView:
    cfg: NodeConfig
    data: PayloadData

    @classmethod
    def of(cls, cfg: NodeConfig) -> NodeView:
        if cfg.payload is None:
            raise PayloadUnavailable(f"{cfg.name}: no OpenStack payload for this environment")
        return cls(cfg, cfg.payload)

    @property
    def name(self) -> str:
        return self.cfg.name

    @property
    def controller(self) -> bool:
        return bool(CONTROLLER_ROLES & set(self.cfg.roles))

    @property
    def primary(self) -> bool:
        return "primary-controller" in self.cfg.roles

    @property
    def compute(self) -> bool:
        return "compute" in self.cfg.roles

    @property
    def gre(self) -> bool:
        return self.data.mode == Mode.neutron_gre

    def _scheme(self, network: str) -> NetworkScheme:
        scheme = self.cfg.scheme(network)
        if scheme is None:
            raise PayloadUnavailable(f"{self.name}: the {network} network is on none of its NICs")
        return scheme

    def ip(self, network: str) -> str:
        scheme = self._scheme(network)
        if not scheme.ip:
            raise PayloadUnavailable(f"{self.name}: no address on the {network} network")
        return scheme.ip

    def address(self, network: str) -> str:
        scheme = self._scheme(network)
        if not scheme.address:
            raise PayloadUnavailable(f"{self.name}: no address on the {network} network")
        return scheme.address

    def device(self, network: str) -> str:
        return self._scheme(network).device(self.cfg.apply_vlans)

    def has(self, network: str) -> bool:
        return self.cfg.scheme(network) is not None

    @property
    def management_ip(self) -> str:
        return self.ip(MANAGEMENT)

    @property
    def private_device(self) -> str:
        return self.device(PRIVATE)

    @property
    def public_device(self) -> str:
        return self.device(PUBLIC)
