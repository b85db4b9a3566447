"""A node that cannot make bonds: discovery sees it (`can_bond`), and a node with bonds is
refused before the deployment starts, with the finding — not half-way through its network."""

from __future__ import annotations

import json
import subprocess

import pytest
from test_predeploy import MACS, NoNetwork, refused_message, setup

from fueltui.client.api import MasterClient
from fueltui.core.model import Bond, BondMode
from fueltui.master.deploy import checks
from fueltui.master.deploy import task as deploy_task
from fueltui.master.discovery.facts import parse_facts
from fueltui.master.discovery.facts_script import FACTS_SCRIPT
from masterfixtures import RunningMaster

B = "fueltui-0123456789abcdef"


def facts_with_bond(answer: str | None) -> str:
    bond = "" if answer is None else f"{B} bond\n{answer}\n"
    return f"\n{B} hostname\nnode-1\n{B} links\n[]\n{bond}{B} end\n"


@pytest.mark.parametrize(
    ("answer", "expected"), [("loaded", True), ("module", True), ("none", False), (None, None)]
)
def test_can_bond_fact_is_read_from_the_facts_script(answer: str | None, expected: bool | None) -> None:
    assert parse_facts(facts_with_bond(answer), B).can_bond is expected


def test_the_facts_script_on_this_kernel_says_no_bonding() -> None:
    # The lab's kernel (this machine's) has no bonding driver and no module to load.
    done = subprocess.run(["sh", "-c", FACTS_SCRIPT, "sh", B], capture_output=True, text=True, check=True)
    assert parse_facts(done.stdout, B).can_bond is False


def test_a_bond_slave_is_known_by_its_own_mac_not_the_bonds() -> None:
    links = json.dumps(
        [
            {"ifname": "eth1", "link_type": "ether", "address": "52:54:00:aa:00:02", "operstate": "UP"},
            {
                "ifname": "eth2",
                "link_type": "ether",
                "address": "52:54:00:aa:00:02",  # the bond's, taken from eth1
                "permaddr": "52:54:00:aa:00:03",
                "operstate": "UP",
            },
            {
                "ifname": "bond0",
                "link_type": "ether",
                "address": "52:54:00:aa:00:02",
                "linkinfo": {"info_kind": "bond"},
            },
        ]
    )
    facts = parse_facts(f"\n{B} hostname\nnode-1\n{B} links\n{links}\n{B} end\n", B)
    assert [(n.name, n.mac) for n in facts.nics] == [
        ("eth1", "52:54:00:aa:00:02"),
        ("eth2", "52:54:00:aa:00:03"),
    ]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_task, "fanout_factory", lambda _state_dir: NoNetwork())
    for name in (*checks.LAB_MARKERS, checks.LAB_BOOT_ENV):
        monkeypatch.delenv(name, raising=False)


async def test_bonds_on_a_node_without_bonding_are_a_predeploy_finding(
    master: RunningMaster, client: MasterClient
) -> None:
    await setup(master, client, [["controller"], ["compute"]])
    store = master.state.store
    record = await client.node(MACS[1])
    bond = Bond(name="bond0", mode=BondMode.lacp, slaves=["eth1", "eth2"], lacp_rate="fast")
    interfaces = {"eth0": ["fuelweb_admin"], "bond0": ["management", "storage", "private"]}
    await client.update_node(MACS[1], record.revision, bonds=[bond], interfaces=interfaces)
    node = store.node(MACS[1]).node
    store.upsert_discovered(MACS[1], node.ip, node.facts.model_copy(update={"can_bond": False}))
    message = await refused_message(client)
    assert "refused: nodes.node-d00002.bonds: node-d00002 cannot create bonds" in message
    assert "bond0" in message
    # A kernel that can (or one not asked yet) passes this gate.
    store.upsert_discovered(MACS[1], node.ip, node.facts.model_copy(update={"can_bond": True}))
    nodes = [r.node for r in store.nodes("prod")]
    env = store.environment("prod").environment
    ctx = checks.PredeployContext(
        store=store,
        env=env,
        release=store.release(env.release),
        nodes=nodes,
        targets=nodes,
        params={"skip_verify": True},
    )
    assert checks.bonds_possible(ctx) == []
