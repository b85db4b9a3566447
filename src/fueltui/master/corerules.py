"""The core rules as the master calls them.

The rules live in `fueltui.core` (one home per rule); this module only adapts their call
shapes for the API, so a route never re-implements a rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from fueltui.core.answers import Answers
from fueltui.core.model import BootOptions, Environment, Finding, Nic, Node, Release, Severity


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:  # not written yet
            return None
        raise


def environment_findings(env: Environment, release: Release, nodes: list[Node]) -> list[Finding]:
    rules = _module("fueltui.core.rules")
    check = getattr(rules, "check_environment", None)
    return list(check(env, release, nodes)) if check else []


def answers_findings(answers: Answers) -> list[Finding]:
    rules = _module("fueltui.core.rules")
    check = getattr(rules, "check_answers", None)
    return list(check(answers)) if check else []


def boot_findings(opts: BootOptions) -> list[Finding]:
    rules = _module("fueltui.core.rules")
    check = getattr(rules, "check_boot_options", None)
    return list(check(opts)) if check else []


def default_interfaces(
    nics: list[Nic], networks: list[str], env: Environment, release: Release
) -> tuple[dict[str, list[str]], list[Finding]]:
    module = _module("fueltui.core.nicdefaults")
    make = getattr(module, "default_interfaces", None)
    if make is None:
        return {}, []
    interfaces, findings = make(nics, networks, env, release)
    return dict(interfaces), list(findings)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.error]
