"""The answers file: shape errors with file, line and field; defaults; export and apply."""

from __future__ import annotations

import itertools
import textwrap

import pytest
import yaml

import fueltui.core.answers as answers_module
from answersbase import BASE
from fueltui.core.answers import Answers, AnswersError, dump_answers, load_answers
from fueltui.core.environment import (
    answers_from_environment,
    effective_network,
    environment_from_answers,
    network_names,
    networks_for_node,
    new_environment,
)
from fueltui.core.model import Mode, NetworkConfig, Nic, Node, NodeFacts
from fueltui.core.releases import default_release

RELEASE = default_release()


@pytest.mark.parametrize(
    ("text", "line", "field", "words"),
    [
        ("master: {ip: 10.20.0.2\n", 2, "", "not valid YAML"),
        ("- just\n- a list\n", 1, "", "expected a mapping"),
        ("", 1, "", "empty"),
        (
            "nodes:\n  - mac: 52:54:00:aa:00:01\n    rolez: [compute]\n",
            3,
            "nodes[0].rolez",
            "unknown key 'rolez'",
        ),
        ("nodes:\n  - mac: 'zz'\n", 2, "nodes[0].mac", "not a MAC address"),
        ("environment:\n  name: x\n  mode: neutron-gree\n", 3, "environment.mode", "neutron-gre"),
        (
            "environment:\n  name: x\n  networks:\n    public:\n      vlan: tagged\n",
            5,
            "environment.networks.public.vlan",
            "integer",
        ),
        ("master:\n  ip: 10.20.0.2\n", 1, "master.dhcp_pool", "required"),
        ("nodes: []\nnodes: []\n", 2, "nodes", "given twice"),
    ],
)
@pytest.mark.parametrize("loader", ["libyaml", "python"])
def test_shape_errors_name_file_line_and_field(
    text: str, line: int, field: str, words: str, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loader == "python":  # PyYAML without libyaml behaves the same
        monkeypatch.setattr(answers_module, "_LOADER", yaml.SafeLoader)
    with pytest.raises(AnswersError) as caught:
        load_answers(text, "site.yaml")
    error = caught.value
    assert (error.source, error.line, error.field) == ("site.yaml", line, field)
    assert words in error.message
    assert str(error).startswith(f"site.yaml:{line}: ")


def test_the_issue_example_loads_and_round_trips() -> None:
    answers = Answers.model_validate(BASE)
    again = load_answers(dump_answers(answers))
    assert again == answers
    assert dump_answers(again) == dump_answers(answers)


def test_omitted_keys_take_defaults_and_explicit_null_means_untagged() -> None:
    text = textwrap.dedent(
        """
        environment:
          name: demo
          networks:
            management: {cidr: 192.168.50.0/24}
            storage: {vlan: null}
        """
    )
    env = environment_from_answers(load_answers(text).environment, RELEASE)  # type: ignore[arg-type]
    assert env.mode == Mode.neutron_gre
    assert env.networks["management"] == NetworkConfig(cidr="192.168.50.0/24", vlan=101, ip_ranges=[])
    assert env.networks["storage"].vlan is None
    assert env.networks["storage"].cidr == "192.168.1.0/24"
    assert effective_network(env, RELEASE, "storage").vlan is None
    assert effective_network(env, RELEASE, "private").vlan == 103
    assert env.neutron is not None and env.neutron.gre_id_range == (2, 65535)


def test_partial_neutron_block_keeps_other_defaults() -> None:
    text = "environment: {name: d, mode: neutron-vlan, neutron: {vlan_range: [2000, 2010]}}"
    env = environment_from_answers(load_answers(text).environment, RELEASE)  # type: ignore[arg-type]
    assert env.neutron is not None
    assert env.neutron.vlan_range == (2000, 2010)
    assert env.neutron.floating_ranges == [("172.16.0.130", "172.16.0.254")]


def test_master_defines_the_admin_network() -> None:
    answers = load_answers(yaml.safe_dump(BASE).replace("10.20.0.", "10.30.0."))
    assert answers.environment is not None
    env = environment_from_answers(answers.environment, RELEASE, answers.master)
    admin = effective_network(env, RELEASE, "fuelweb_admin")
    assert (admin.cidr, admin.gateway, admin.ip_ranges) == (
        "10.30.0.0/24",
        "10.30.0.2",
        [("10.30.0.129", "10.30.0.254")],
    )


@pytest.mark.parametrize("mode", list(Mode))
def test_export_then_apply_is_a_no_op(mode: Mode) -> None:
    env = new_environment("demo", RELEASE, mode)
    env.networks["public"].vlan = 300
    env.networks["storage"].vlan = None
    env.settings.ceilometer = True
    node = Node(
        mac="52:54:00:aa:00:01",
        name="node-1",
        roles=["controller"],
        facts=NodeFacts(nics=[Nic(name="eth0", mac="52:54:00:aa:00:01", pxe=True)]),
        interfaces={"eth0": ["fuelweb_admin", "public"]},
    )
    text = dump_answers(answers_from_environment(env, RELEASE, [node]))
    assert "vlan: null" in text
    loaded = load_answers(text)
    assert loaded.environment is not None
    assert environment_from_answers(loaded.environment, RELEASE) == env
    assert loaded.nodes[0].interfaces == node.interfaces
    assert loaded.nodes[0].nics == node.facts.nics


def test_networks_for_node() -> None:
    env = new_environment("demo", RELEASE, Mode.neutron_vlan)
    assert network_names(env, RELEASE) == ["fuelweb_admin", "public", "management", "storage", "private"]
    assert "public" in networks_for_node(env, RELEASE, ["controller"])
    assert "public" not in networks_for_node(env, RELEASE, ["compute", "cinder"])
    env.settings.assign_public_to_all_nodes = True
    assert "public" in networks_for_node(env, RELEASE, ["compute"])


def test_admin_network_export_apply_with_and_without_master() -> None:
    master = Answers.model_validate(BASE).master
    assert master is not None
    env = new_environment("demo", RELEASE, Mode.neutron_gre, master=master)
    assert effective_network(env, RELEASE, "fuelweb_admin").ip_ranges == [("10.20.0.129", "10.20.0.254")]
    exported = answers_from_environment(env, RELEASE, [], master=master)
    assert exported.environment is not None and "fuelweb_admin" not in exported.environment.networks
    loaded = load_answers(dump_answers(exported))
    assert loaded.environment is not None
    assert environment_from_answers(loaded.environment, RELEASE, loaded.master) == env
    # The master moved: the environment keeps its admin network, written out explicitly.
    moved = master.model_copy(update={"ip": "10.20.0.3"})
    exported = answers_from_environment(env, RELEASE, [], master=moved)
    loaded = load_answers(dump_answers(exported))
    assert loaded.environment is not None and "fuelweb_admin" in loaded.environment.networks
    assert environment_from_answers(loaded.environment, RELEASE, loaded.master) == env


def test_partial_admin_network_in_answers_keeps_the_rest() -> None:
    text = "environment: {name: d, networks: {fuelweb_admin: {ip_ranges: [[10.20.0.10, 10.20.0.99]]}}}"
    env = environment_from_answers(load_answers(text).environment, RELEASE)  # type: ignore[arg-type]
    admin = effective_network(env, RELEASE, "fuelweb_admin")
    assert (admin.cidr, admin.ip_ranges) == ("10.20.0.0/24", [("10.20.0.10", "10.20.0.99")])


def test_a_prefix_length_written_as_a_number_is_accepted() -> None:
    text = "master: {ip: 10.20.0.2, netmask: 24, dhcp_pool: {start: 10.20.0.129, end: 10.20.0.254}}"
    master = load_answers(text).master
    assert master is not None and master.netmask == "24"
    with pytest.raises(AnswersError, match=r"master\.hostname: expected text, not 12; put the value in"):
        load_answers(text.replace("netmask: 24", "hostname: 12"))


def _alias_bomb(levels: int) -> str:
    names = [f"l{i}" for i in range(levels + 1)]
    lines = [f"{names[0]}: &{names[0]} [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in itertools.pairwise(names)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_alias_bomb(8), "expands to more than"),
        ("nodes: &n [*n]\n", "refers to itself"),
        ("[" * 5000 + "]" * 5000, "nesting is too deep|not valid YAML"),
    ],
    ids=["alias-bomb", "self-alias", "deep-nesting"],
)
def test_hostile_yaml_is_refused_quickly(text: str, words: str) -> None:
    with pytest.raises(AnswersError, match=words):
        load_answers(text, "hostile.yaml")


def test_huge_fixed_network_amount_stays_cheap() -> None:
    text = "environment: {name: n, mode: nova-network, nova_network: {net_manager: VlanManager, "
    text += "fixed_networks_amount: 1000000000}}"
    from fueltui.core.rules import check_answers

    codes = {f.code for f in check_answers(load_answers(text))}
    assert {"vlan-out-of-range", "fixed-networks-dont-fit"} <= codes
