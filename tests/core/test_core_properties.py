"""Property tests: random and malformed answers files never crash `check`; they end in
findings (exit 0 or 1) or in a clear shape error (exit 2)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from answersbase import BASE, DELETE, changed
from fueltui.cli.check import check_text
from fueltui.core.answers import AnswersError, SourceMap, load_answers
from fueltui.core.rules.codes import CODES

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ip = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.sampled_from(
        ["10.20.0.1", "10.20.0.2", "172.16.0.1", "172.16.0.255", "0.0.0.0", "127.0.0.1", "224.0.0.1"]
    ),
    st.text(alphabet="0123456789.", max_size=16),
)
cidr = st.one_of(st.builds(lambda a, p: f"{a}/{p}", ip, st.integers(0, 40)), ip)
pair = st.tuples(ip, ip).map(list)
vlan = st.one_of(st.none(), st.integers(-5, 70000))
junk: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
NETS = ["public", "management", "storage", "private", "fixed", "fuelweb_admin", "bogus"]
ROLES = ["controller", "compute", "cinder", "ceph-osd", "mongo", "base-os", "nope"]

# Plausibly typed values: these pass the shape check and exercise the rules.
TYPED: list[tuple[str, st.SearchStrategy[Any]]] = [
    ("master.ip", ip),
    ("master.netmask", st.one_of(ip, st.integers(0, 40).map(str))),
    ("master.gateway", st.none() | ip),
    ("master.dns", st.lists(ip, max_size=5)),
    ("master.hostname", st.text(alphabet="abcXYZ09-._", max_size=20)),
    ("master.dhcp_pool.start", ip),
    ("master.dhcp_pool.end", ip),
    ("environment.mode", st.sampled_from(["neutron-gre", "neutron-vlan", "nova-network"])),
    *[
        (
            f"environment.networks.{n}",
            st.fixed_dictionaries(
                {},
                optional={
                    "cidr": st.none() | cidr,
                    "gateway": st.none() | ip,
                    "ip_ranges": st.none() | st.lists(pair, max_size=3),
                    "vlan": vlan,
                },
            ),
        )
        for n in NETS
    ],
    ("environment.neutron.floating_ranges", st.lists(pair, max_size=3)),
    ("environment.neutron.internal_cidr", st.none() | cidr),
    ("environment.neutron.internal_gateway", st.none() | ip),
    (
        "environment.neutron.vlan_range",
        st.none() | st.tuples(st.integers(-5, 5000), st.integers(-5, 5000)).map(list),
    ),
    (
        "environment.neutron.gre_id_range",
        st.none() | st.tuples(st.integers(-5, 70000), st.integers(0, 70000)).map(list),
    ),
    ("environment.neutron.dns_nameservers", st.lists(ip, max_size=3)),
    (
        "environment.nova_network",
        st.fixed_dictionaries(
            {},
            optional={
                "net_manager": st.sampled_from(["FlatDHCPManager", "VlanManager"]),
                "fixed_networks_cidr": st.none() | cidr,
                "fixed_networks_vlan_start": st.none() | st.integers(-5, 5000),
                "fixed_network_size": st.integers(-4, 70000),
                "fixed_networks_amount": st.integers(-2, 300),
            },
        ),
    ),
    (
        "environment.settings",
        st.fixed_dictionaries(
            {},
            optional={
                "ceilometer": st.booleans(),
                "assign_public_to_all_nodes": st.booleans(),
                "storage": st.fixed_dictionaries(
                    {},
                    optional={
                        "volumes_lvm": st.booleans(),
                        "images_ceph": st.booleans(),
                        "osd_pool_size": st.integers(-1, 5),
                    },
                ),
            },
        ),
    ),
    ("nodes[0].roles", st.lists(st.sampled_from(ROLES), max_size=3)),
    ("nodes[1].roles", st.lists(st.sampled_from(ROLES), max_size=3)),
    ("nodes[1].mac", st.sampled_from(["52:54:00:aa:00:01", "52:54:00:AA:01:01", "52:54:00:aa:01:09"])),
    ("nodes[1].name", st.sampled_from(["node-1", "node-2", "Node_2", ""])),
    (
        "nodes[0].interfaces",
        st.none()
        | st.dictionaries(
            st.sampled_from(["eth0", "eth1", "eth9"]), st.lists(st.sampled_from(NETS), max_size=5), max_size=3
        ),
    ),
    (
        "nodes[1].nics",
        st.none()
        | st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["eth0", "eth1"]),
                    "mac": st.sampled_from(["52:54:00:aa:01:01", "52:54:00:aa:01:02"]),
                },
                optional={"pxe": st.booleans()},
            ),
            max_size=3,
        ),
    ),
    ("nodes[1].interfaces", st.just(DELETE)),
]
PATHS = [
    "master",
    "master.ip",
    "master.dhcp_pool",
    "environment",
    "environment.name",
    "environment.networks",
    "environment.networks.public",
    "environment.neutron",
    "nodes",
    "nodes[0]",
    "nodes[0].mac",
    "nodes[0].nics",
    "nodes[1].interfaces.eth0",
    "extra_key",
    "environment.networks.public.bogus",
]


UNREADABLE = -1


def _ends_well(text: str) -> int:
    """The exit code (0, or 2 for errors), or UNREADABLE (also exit 2, with a message)."""
    code, findings, smap, problem = check_text(text, "prop.yaml")
    assert code in (0, 2)
    if problem is not None:
        assert code == 2 and problem.startswith("prop.yaml")
        return UNREADABLE
    assert isinstance(smap, SourceMap)
    for finding in findings:
        assert finding.code in CODES and finding.message
        smap.line_of_path(finding.path)  # every path maps to a line
    assert code == (2 if any(f.severity.value == "error" for f in findings) else 0)
    return code


@FAST
@given(st.data())
def test_typed_mutations_end_in_findings(data: st.DataObject) -> None:
    picks = data.draw(st.lists(st.sampled_from(TYPED), min_size=1, max_size=4, unique_by=lambda t: t[0]))
    changes = {path: data.draw(strategy) for path, strategy in picks}
    text = yaml.dump(changed(changes), Dumper=DUMPER)
    try:
        load_answers(text)
    except AnswersError:
        return  # e.g. a MAC made invalid; exit 2 is covered below
    assert _ends_well(text) in (0, 2)


@FAST
@given(st.lists(st.tuples(st.sampled_from(PATHS), junk), min_size=1, max_size=3))
def test_junk_values_end_in_findings_or_exit_2(changes: list[tuple[str, Any]]) -> None:
    try:
        data = changed(dict(changes))
    except (KeyError, IndexError, TypeError):
        return  # the path no longer exists after an earlier change
    _ends_well(yaml.dump(data, Dumper=DUMPER))


@FAST
@given(st.text(max_size=200))
def test_random_text_never_crashes(text: str) -> None:
    _ends_well(text)


@FAST
@given(st.integers(0, 2000), st.text(alphabet=":-[]{}\n '\"&*!|>%@`#,?", min_size=1, max_size=5))
def test_corrupted_valid_file_never_crashes(position: int, garbage: str) -> None:
    text = yaml.safe_dump(BASE, sort_keys=False)
    position %= len(text)
    _ends_well(text[:position] + garbage + text[position:])


@FAST
@given(
    mode=st.sampled_from(["neutron-gre", "neutron-vlan", "nova-network"]),
    edits=st.dictionaries(
        st.sampled_from(["public", "management", "storage"]),
        st.fixed_dictionaries(
            {}, optional={"cidr": st.none() | cidr, "vlan": vlan, "ip_ranges": st.lists(pair, max_size=2)}
        ),
        max_size=3,
    ),
    public_to_all=st.booleans(),
    with_master=st.booleans(),
)
def test_apply_of_export_is_a_no_op(
    mode: str, edits: dict[str, dict[str, Any]], public_to_all: bool, with_master: bool
) -> None:
    from fueltui.core.answers import Answers, dump_answers
    from fueltui.core.environment import answers_from_environment, environment_from_answers, new_environment
    from fueltui.core.releases import default_release

    release = default_release()
    master = Answers.model_validate(BASE).master if with_master else None
    env = new_environment("demo", release, mode, master=master)
    for name, values in edits.items():
        updates = {k: [tuple(p) for p in v] if k == "ip_ranges" else v for k, v in values.items()}
        env.networks[name] = env.networks[name].model_validate({**env.networks[name].model_dump(), **updates})
    env.settings.assign_public_to_all_nodes = public_to_all
    loaded = load_answers(dump_answers(answers_from_environment(env, release, [], master=master)))
    assert loaded.environment is not None
    assert environment_from_answers(loaded.environment, release, loaded.master) == env
