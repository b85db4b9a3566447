"""The deployment graph: validation on load, ordering, groups and strategies."""

from __future__ import annotations

import pytest

from fueltui.core.graph import (
    GraphError,
    deploy_roles,
    graph_for_release,
    parse_graph,
    task_signature,
)
from fueltui.core.model import GraphTask
from fueltui.core.releases import shipped_releases

BASE = """
- {id: start, type: stage}
- {id: end, type: stage, requires: [start]}
- {id: ctl, type: group, roles: [controller], requires: [start], required_for: [end],
   parameters: {strategy: {type: one_by_one}}}
- {id: cmp, type: group, roles: [compute], requires: [ctl], required_for: [end],
   parameters: {strategy: {type: parallel, amount: 2}}}
"""


def graph_text(extra: str) -> str:
    return BASE + extra


def test_every_shipped_release_graph_loads_and_orders_groups() -> None:
    for release in shipped_releases().values():
        graph = graph_for_release(release)
        ids = [g.id for g in graph.groups]
        assert ids.index("primary-controller") < ids.index("controller") < ids.index("compute")
        assert "controller" in graph.group("compute").after
        assert graph.group("primary-controller").strategy.limit == 1
        assert graph.group("controller").strategy.limit == 6
        assert graph.group("compute").strategy.limit is None
        assert "health_check" in graph.post and "network" not in graph.post
        tasks = [t.id for t in graph.tasks_for(["compute"])]
        assert tasks.index("node_config") < tasks.index("network") < tasks.index("health_check")


def test_requires_and_required_for_order_node_tasks() -> None:
    graph = parse_graph(
        graph_text(
            """
- {id: b, type: shell, groups: [ctl], requires: [a], parameters: {cmd: "true"}}
- {id: a, type: shell, groups: [ctl], requires: [start], parameters: {cmd: "true"}}
- {id: c, type: shell, groups: [ctl, cmp], required_for: [a], parameters: {cmd: "true"}}
"""
        )
    )
    assert [t.id for t in graph.tasks_for(["controller"])] == ["c", "a", "b"]
    assert [t.id for t in graph.tasks_for(["compute"])] == ["c"]
    assert graph.tasks_for(["cinder"]) == []


def test_unknown_dependency_is_an_error() -> None:
    with pytest.raises(GraphError) as err:
        parse_graph(graph_text("- {id: x, type: shell, groups: [ctl], requires: [nope]}"))
    assert "requires unknown task 'nope'" in str(err.value)
    with pytest.raises(GraphError, match="required_for unknown task 'gone'"):
        parse_graph(graph_text("- {id: x, type: shell, groups: [ctl], required_for: [gone]}"))
    with pytest.raises(GraphError, match="unknown group 'nogroup'"):
        parse_graph(graph_text("- {id: x, type: shell, groups: [nogroup], parameters: {cmd: ls}}"))


def test_cycle_is_an_error_and_names_its_path() -> None:
    with pytest.raises(GraphError) as err:
        parse_graph(
            graph_text(
                """
- {id: x, type: shell, groups: [ctl], requires: [y], parameters: {cmd: ls}}
- {id: y, type: shell, groups: [ctl], requires: [z], parameters: {cmd: ls}}
- {id: z, type: shell, groups: [ctl], requires: [x], parameters: {cmd: ls}}
"""
            )
        )
    message = str(err.value)
    assert "cycle" in message
    assert all(name in message for name in ("x", "y", "z"))


def test_unknown_type_is_an_error() -> None:
    with pytest.raises(GraphError, match="task p: unknown type 'puppet'"):
        parse_graph(graph_text("- {id: p, type: puppet, groups: [ctl]}"))


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(GraphError) as err:
        parse_graph(
            graph_text(
                """
- {id: a, type: shell, groups: [ctl], requires: [missing1]}
- {id: b, type: upload_file, groups: [ctl], parameters: {path: relative, data: x}}
- {id: g, type: group, roles: [cinder], parameters: {strategy: {type: sometimes}}}
- {id: h, type: group, roles: [cinder], parameters: {strategy: {type: parallel, amount: 0}}}
- {id: n, type: shell, parameters: {cmd: ls, retries: -1, timeout: soon}}
"""
            )
        )
    text = "\n".join(err.value.problems)
    for expected in (
        "requires unknown task 'missing1'",
        "task a: parameters.cmd",
        "task b: parameters.path must be an absolute path",
        "group g: strategy.type",
        "group h: strategy.amount",
        "task n: runs on no node",
        "task n: parameters.retries",
        "task n: parameters.timeout",
    ):
        assert expected in text


def test_duplicate_ids_and_bad_yaml() -> None:
    with pytest.raises(GraphError, match="defined twice"):
        parse_graph(graph_text("- {id: ctl, type: stage}"))
    with pytest.raises(GraphError, match="not valid YAML"):
        parse_graph("- {id: [", source="g.yaml")
    with pytest.raises(GraphError, match="expected a list"):
        parse_graph("id: x")


def test_retries_timeout_interval_are_read() -> None:
    graph = parse_graph(
        graph_text(
            "- {id: r, type: shell, groups: [cmp], parameters: {cmd: x, timeout: 5, retries: 3, interval: 1}}"
        )
    )
    run = graph.run("r")
    assert (run.timeout, run.retries, run.interval) == (5.0, 3, 1.0)


def test_primary_role_goes_to_first_node_by_name() -> None:
    roles = deploy_roles(
        [("node-3", ["controller"]), ("node-1", ["controller", "cinder"]), ("node-2", ["compute"])],
        ["controller", "mongo"],
    )
    assert roles == {
        "node-1": ["primary-controller", "cinder"],
        "node-2": ["compute"],
        "node-3": ["controller"],
    }


def test_task_signature_changes_with_definition() -> None:
    a = GraphTask(id="t", type="shell", roles=["*"], parameters={"cmd": "echo 1"})
    b = GraphTask(id="t", type="shell", roles=["*"], parameters={"cmd": "echo 2"})
    assert task_signature(a) == task_signature(a.model_copy())
    assert task_signature(a) != task_signature(b)


def test_check_parameter_is_a_command_and_not_for_uploads_or_reboots() -> None:
    graph = parse_graph(
        graph_text("- {id: s, type: shell, roles: ['*'], parameters: {cmd: x, check: 'test -e y'}}")
    )
    assert graph.tasks["s"].parameters["check"] == "test -e y"
    with pytest.raises(GraphError) as err:
        parse_graph(
            graph_text(
                """
- {id: a, type: shell, roles: ['*'], parameters: {cmd: x, check: 3}}
- {id: u, type: upload_file, roles: ['*'], parameters: {data: x, path: /x, check: 'true'}}
- {id: r, type: reboot, roles: ['*'], parameters: {check: 'true'}}
"""
            )
        )
    assert err.value.problems == [
        "task a: parameters.check must be a command line",
        "task u: parameters.check: an upload is checked by its content already",
        "task r: parameters.check does not apply to a reboot",
    ]


def test_the_shipped_network_task_has_a_check() -> None:
    for release in shipped_releases().values():
        network = graph_for_release(release).tasks["network"]
        assert network.parameters["check"] == "sh /etc/fueltui/network.sh --check"
