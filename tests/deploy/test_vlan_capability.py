"""A node that cannot make 802.1Q devices: discovery sees it, a tagged layout is refused
before the deployment starts (not half-way through the network task)."""

from __future__ import annotations

import subprocess

import pytest
from test_predeploy import MACS, NoNetwork, refused_message, setup

from fueltui.client.api import MasterClient
from fueltui.master.deploy import checks
from fueltui.master.deploy import task as deploy_task
from fueltui.master.discovery.facts import parse_facts
from fueltui.master.discovery.facts_script import FACTS_SCRIPT
from masterfixtures import RunningMaster

B = "fueltui-0123456789abcdef"


def facts_with_vlan(answer: str | None) -> str:
    vlan = "" if answer is None else f"{B} vlan\n{answer}\n"
    return f"\n{B} hostname\nnode-1\n{B} links\n[]\n{vlan}{B} end\n"


@pytest.mark.parametrize(
    ("answer", "expected"), [("loaded", True), ("module", True), ("none", False), (None, None)]
)
def test_can_vlan_fact_is_read_from_the_facts_script(answer: str | None, expected: bool | None) -> None:
    assert parse_facts(facts_with_vlan(answer), B).can_vlan is expected


def test_the_facts_script_on_this_kernel_says_no_8021q() -> None:
    # This machine's kernel (the lab's) has no 802.1Q: no /proc/net/vlan, no module to load.
    # The script only reads (/proc, /sys, ip, lsblk); run as the nodes run it.
    done = subprocess.run(["sh", "-c", FACTS_SCRIPT, "sh", B], capture_output=True, text=True, check=True)
    assert parse_facts(done.stdout, B).can_vlan is False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy_task, "fanout_factory", lambda _state_dir: NoNetwork())
    for name in (*checks.LAB_MARKERS, checks.LAB_BOOT_ENV):
        monkeypatch.delenv(name, raising=False)


async def test_tagged_layout_on_a_node_without_8021q_is_a_predeploy_finding(
    master: RunningMaster, client: MasterClient
) -> None:
    await setup(master, client, [["controller"], ["compute"]])
    store = master.state.store
    node = store.node(MACS[1]).node
    store.upsert_discovered(MACS[1], node.ip, node.facts.model_copy(update={"can_vlan": False}))
    message = await refused_message(client)
    assert "refused: nodes.node-d00002.interfaces: node-d00002 cannot create 802.1Q VLAN devices" in message
    assert "management (VLAN 101) on eth1" in message and "storage (VLAN 102) on eth1" in message

    findings = checks.vlans_possible(deploy_ctx(master))
    assert [f.code for f in findings] == ["node-no-vlan"]
    # Untagged deployments (the lab's) put those networks on bare NICs: nothing to refuse.
    assert checks.vlans_possible(deploy_ctx(master, untagged=True)) == []
    # A node that can, or of which it is not known (discovered before the fact existed), passes.
    store.upsert_discovered(MACS[1], node.ip, node.facts.model_copy(update={"can_vlan": True}))
    assert checks.vlans_possible(deploy_ctx(master)) == []


def deploy_ctx(master: RunningMaster, untagged: bool = False) -> checks.PredeployContext:
    store = master.state.store
    env = store.environment("prod").environment
    nodes = [r.node for r in store.nodes("prod")]
    release = store.release(env.release)
    params: dict[str, object] = {"skip_verify": True, "untagged": untagged}
    return checks.PredeployContext(
        store=store, env=env, release=release, nodes=nodes, targets=nodes, params=params
    )
