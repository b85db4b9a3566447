"""Public TLS through a real master: an operator's certificate and key that cannot serve Horizon
refuse the deploy with a finding saying why, before any task exists or a node is reached; a
renamed environment keeps its pair."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_payload_tls import DNS, operator_pair

from fueltui.client.api import MasterClient
from fueltui.client.errors import ApiError
from fueltui.core.model import CommonSettings, Nic, NodeFacts
from fueltui.master.deploy import task as deploy_task
from fueltui.master.deploy.publictls import ensure_tls, tls_files
from masterfixtures import RunningMaster

MACS = ["52:54:00:d0:00:01", "52:54:00:d0:00:02"]


class NoNetwork:
    """These nodes do not exist: a deploy that got past the checks fails here, sending nothing."""

    async def run(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("a refused deployment tried to reach a node")

    put_file = run


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(deploy_task, "fanout_factory", lambda _state_dir: NoNetwork())
    yield


async def refused(client: MasterClient) -> str:
    before = await client.tasks("prod")
    with pytest.raises(ApiError) as caught:
        await client.deploy("prod", skip_verify=True)
    assert caught.value.status == 422 and caught.value.code == "deploy-refused"
    assert await client.tasks("prod") == before
    return "\n".join(f"{f.code} {f.path}: {f.message}" for f in caught.value.findings)


async def test_a_bad_operator_pair_refuses_the_deploy_with_a_clear_finding(
    master: RunningMaster, client: MasterClient, tmp_path: Path
) -> None:
    for index, mac in enumerate(MACS):
        nics = [
            Nic(name=f"eth{i}", mac=f"52:54:00:d{i}:00:0{index + 1}", pxe=i == 0, state="up")
            for i in range(3)
        ]
        nics[0] = Nic(name="eth0", mac=mac, pxe=True, state="up")
        master.state.store.upsert_discovered(mac, f"10.20.0.{index + 131}", NodeFacts(nics=nics))
    await client.create_environment("prod", mode="neutron-vlan")
    for mac, roles in zip(MACS, [["controller"], ["compute"]], strict=True):
        record = await client.node(mac)
        interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["management", "storage", "private"]}
        if "controller" in roles:
            interfaces["eth2"] = ["public"]
        await client.update_node(mac, record.revision, environment="prod", roles=roles, interfaces=interfaces)
    common = operator_pair(tmp_path, names=DNS, other_key=True)
    settings = await client.settings("prod")
    changes = {
        "common.horizon_tls": "operator",
        "common.tls_cert": common.tls_cert,
        "common.tls_key": common.tls_key,
    }
    await client.update_settings("prod", changes, settings.revision)
    found = await refused(client)
    assert (
        f"tls-key-mismatch environment.settings.common.tls_key: {common.tls_key} is not the key of the "
        f"certificate {common.tls_cert}" in found
    )
    Path(common.tls_cert).unlink()
    assert (
        f"tls-unreadable environment.settings.common.tls_cert: cannot read the certificate {common.tls_cert}"
        in (await refused(client))
    )


async def test_a_renamed_environment_keeps_its_horizon_certificate(
    master: RunningMaster, client: MasterClient
) -> None:
    created = await client.create_environment("prod", mode="neutron-vlan")
    tls = ensure_tls(master.base, "prod", CommonSettings(horizon_tls="self-signed"), "172.16.0.3")
    assert tls is not None
    await client.rename_environment("prod", "staging", created.revision)
    cert, key = tls_files(master.base, "staging")
    assert cert.read_text() == tls.cert and key.read_text() == tls.key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not any(path.exists() for path in tls_files(master.base, "prod"))
    again = ensure_tls(master.base, "staging", CommonSettings(horizon_tls="self-signed"), "172.16.0.3")
    assert again == tls  # the next deploy serves the same pair: no new certificate to trust
