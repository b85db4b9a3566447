"""Bonds: each finding code with a failing and a passing answers file, the answers file's
`bonds:` shape errors, export, and the drag-map's bond/unbond edits."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from answersbase import DELETE, changed
from fueltui.core.answers import AnswersError, dump_answers, load_answers
from fueltui.core.bonds import bond_nics, fold_into_bonds, kernel_options, next_bond_name, unbond
from fueltui.core.environment import answers_node
from fueltui.core.model import Bond, BondMode, Nic, Node, NodeFacts
from fueltui.core.rules import check_answers, node_from_answers
from fueltui.core.rules.bonds import check_bond_capability
from fueltui.core.rules.codes import CODES

NICS = [
    {"name": "eth0", "mac": "52:54:00:aa:00:01", "pxe": True},
    {"name": "eth1", "mac": "52:54:00:aa:00:02"},
    {"name": "eth2", "mac": "52:54:00:aa:00:03"},
    {"name": "eth3", "mac": "52:54:00:aa:00:04"},
    {"name": "eth4", "mac": "52:54:00:aa:00:05"},
]
BOND0 = {"name": "bond0", "mode": "active-backup", "slaves": ["eth1", "eth2"]}
# node-1 with public on bond0 (eth1+eth2): valid, the base of every case below
BONDED = changed(
    {
        "nodes[0].nics": NICS,
        "nodes[0].bonds": [BOND0],
        "nodes[0].interfaces": {
            "eth0": ["fuelweb_admin", "management", "storage", "private"],
            "bond0": ["public"],
        },
    }
)
B0 = "nodes[0].bonds[0]"

CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "bond-name-invalid",
        f"{B0}.name",
        {
            f"{B0}.name": "eth3",
            "nodes[0].interfaces": {
                "eth0": ["fuelweb_admin", "management", "storage", "private"],
                "eth3": ["public"],
            },
        },
        {
            f"{B0}.name": "bond7",
            "nodes[0].interfaces": {
                "eth0": ["fuelweb_admin", "management", "storage", "private"],
                "bond7": ["public"],
            },
        },
    ),
    ("bond-too-few-slaves", f"{B0}.slaves", {f"{B0}.slaves": ["eth1"]}, {f"{B0}.slaves": ["eth1", "eth3"]}),
    (
        "bond-slave-unknown",
        f"{B0}.slaves[1]",
        {f"{B0}.slaves": ["eth1", "eth9"]},
        {f"{B0}.slaves": ["eth1", "eth3"]},
    ),
    (
        "bond-slave-reused",
        "nodes[0].bonds[1].slaves[0]",
        {"nodes[0].bonds": [BOND0, {"name": "bond1", "slaves": ["eth2", "eth3"]}]},
        {"nodes[0].bonds": [BOND0, {"name": "bond1", "slaves": ["eth3", "eth4"]}]},
    ),
    (
        "bond-pxe-slave",
        f"{B0}.slaves[0]",
        {f"{B0}.slaves": ["eth0", "eth1"]},
        {f"{B0}.slaves": ["eth3", "eth1"]},
    ),
    (
        "bond-slave-has-networks",
        f"{B0}.slaves[0]",
        {
            "nodes[0].interfaces.eth1": ["storage"],
            "nodes[0].interfaces.eth0": ["fuelweb_admin", "management", "private"],
        },
        {
            "nodes[0].interfaces.eth3": ["storage"],
            "nodes[0].interfaces.eth0": ["fuelweb_admin", "management", "private"],
        },
    ),
    (
        "bond-admin-network",
        "nodes[0].interfaces.bond0[1]",
        {
            "nodes[0].interfaces": {
                "eth0": ["management", "storage", "private"],
                "bond0": ["public", "fuelweb_admin"],
            }
        },
        {
            "nodes[0].interfaces": {
                "eth0": ["management", "storage", "private", "fuelweb_admin"],
                "bond0": ["public"],
            }
        },
    ),
    (
        "bond-option-invalid",
        f"{B0}.lacp_rate",
        {f"{B0}.lacp_rate": "fast"},
        {f"{B0}.mode": "802.3ad", f"{B0}.lacp_rate": "fast"},
    ),
    ("mtu-invalid", f"{B0}.mtu", {f"{B0}.mtu": 9001}, {f"{B0}.mtu": 9000}),
    ("mtu-invalid", "nodes[0].mtu.eth3", {"nodes[0].mtu": {"eth3": 67}}, {"nodes[0].mtu": {"eth3": 68}}),
    ("mtu-invalid", "nodes[0].mtu.eth7", {"nodes[0].mtu": {"eth7": 1500}}, {"nodes[0].mtu": {"eth3": 1500}}),
]


def _findings(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    answers = load_answers(yaml.safe_dump(data))
    return [(f.code, f.path, f.severity.value) for f in check_answers(answers)]


def test_the_bonded_base_is_valid() -> None:
    assert [f for f in _findings(BONDED) if f[2] == "error"] == []


@pytest.mark.parametrize(("code", "path", "bad", "good"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_bond_code_fails_and_passes(code: str, path: str, bad: dict[str, Any], good: dict[str, Any]) -> None:
    failing = _findings(changed(bad, BONDED))
    assert (code, path, "error") in failing, failing
    passing = _findings(changed(good, BONDED))
    assert all(f[0] != code for f in passing), passing
    assert code in CODES


def test_every_bond_code_has_a_case() -> None:
    bond_codes = {c for c in CODES if c.startswith("bond-")} | {"mtu-invalid"}
    assert bond_codes == {case[0] for case in CASES}


def test_an_unknown_network_device_is_still_refused_with_bonds() -> None:
    bad = changed({"nodes[0].interfaces.bond9": ["storage"]}, BONDED)
    assert ("nic-unknown", "nodes[0].interfaces.bond9", "error") in _findings(bad)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({f"{B0}.mode": "balance-rr"}, f"{B0}.mode", "active-backup"),
        ({f"{B0}.lacp_rate": "medium"}, f"{B0}.lacp_rate", "slow"),
        ({f"{B0}.xmit_hash_policy": "layer5"}, f"{B0}.xmit_hash_policy", "layer3+4"),
        ({f"{B0}.slave": ["eth1"]}, f"{B0}.slave", "unknown key"),
        ({f"{B0}.mtu": "big"}, f"{B0}.mtu", "integer"),
        ({"nodes[0].bonds": {"bond0": ["eth1"]}}, "nodes[0].bonds", "list"),
    ],
)
def test_bonds_shape_errors_name_the_field(change: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(AnswersError) as caught:
        load_answers(yaml.safe_dump(changed(change, BONDED)), "a.yaml")
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.line is not None


def test_bonds_are_exported_and_read_back() -> None:
    node = Node(
        mac="52:54:00:aa:00:01",
        name="node-1",
        facts=NodeFacts(nics=[Nic.model_validate(n) for n in NICS]),
        interfaces={"eth0": ["fuelweb_admin"], "bond0": ["public"]},
        bonds=[Bond(name="bond0", mode=BondMode.lacp, slaves=["eth1", "eth2"], lacp_rate="fast", mtu=9000)],
        mtu={"eth3": 1400},
    )
    spec = answers_node(node)
    text = dump_answers(
        load_answers(yaml.safe_dump({"nodes": [spec.model_dump(mode="json", exclude_unset=True)]}))
    )
    again = load_answers(text).nodes[0]
    assert again.bonds == node.bonds
    assert again.mtu == {"eth3": 1400}
    assert "802.3ad" in text


def test_bond_and_unbond_move_networks_and_lose_none() -> None:
    interfaces = {"eth0": ["fuelweb_admin"], "eth1": ["public"], "eth2": ["storage"], "eth3": []}
    bond = Bond(name=next_bond_name([]), slaves=["eth1", "eth2"])
    after, bonds = bond_nics(interfaces, [], bond)
    assert after == {
        "eth0": ["fuelweb_admin"],
        "eth1": [],
        "eth2": [],
        "eth3": [],
        "bond0": ["public", "storage"],
    }
    assert bonds == [bond]
    assert next_bond_name(bonds) == "bond1"
    back, none = unbond(after, bonds, "bond0")
    assert none == []
    assert back == {"eth0": ["fuelweb_admin"], "eth1": ["public", "storage"], "eth2": [], "eth3": []}


def test_kernel_options_per_mode() -> None:
    lacp = Bond(name="bond0", mode=BondMode.lacp, slaves=["a", "b"], xmit_hash_policy="layer3+4")
    assert kernel_options(lacp) == [
        ("mode", "802.3ad"),
        ("miimon", "100"),
        ("lacp_rate", "slow"),
        ("xmit_hash_policy", "layer3+4"),
    ]
    slb = Bond(name="bond0", mode=BondMode.balance_slb, slaves=["a", "b"])
    assert kernel_options(slb) == [("mode", "balance-tlb"), ("miimon", "100")]


@pytest.mark.parametrize(("can_bond", "found"), [(False, True), (True, False), (None, False)])
def test_node_without_bonding_gets_a_predeploy_finding(can_bond: bool | None, found: bool) -> None:
    node = Node(
        mac="52:54:00:aa:00:01",
        name="node-1",
        facts=NodeFacts(can_bond=can_bond),
        bonds=[Bond(name="bond0", slaves=["eth1", "eth2"])],
    )
    codes = [f.code for f in check_bond_capability(node)]
    assert codes == (["node-no-bond"] if found else [])
    assert check_bond_capability(node.model_copy(update={"bonds": []})) == []


def test_bonds_without_interfaces_take_the_default_assignment_folded_into_the_bond() -> None:
    data = changed(
        {"nodes[0].interfaces": DELETE, "nodes[0].bonds": [{"name": "bond0", "slaves": ["eth1", "eth2"]}]},
        BONDED,
    )
    answers = load_answers(yaml.safe_dump(data))
    assert [f for f in check_answers(answers) if f.severity.value == "error"] == []
    node = node_from_answers(answers.nodes[0])
    assert node.interfaces == {}  # nothing given: the default comes with the check
    defaults = {"eth0": ["fuelweb_admin"], "eth1": ["public"], "eth2": ["storage"], "eth3": []}
    folded = fold_into_bonds(defaults, node.bonds)
    assert folded == {
        "eth0": ["fuelweb_admin"],
        "eth1": [],
        "eth2": [],
        "eth3": [],
        "bond0": ["public", "storage"],
    }
