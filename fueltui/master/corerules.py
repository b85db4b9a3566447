"""The core rules as the master calls them.

The rules live in `fueltui.core` (one home per rule); this module only adapts their call
shapes for the API, so a route never re-implements a rule.
"""

from __future__ import annotations

from fueltui.core import nicdefaults, rules
from fueltui.core.model import BootOptions, Environment, Finding, Nic, Node, Release, Severity


def environment_findings(env: Environment, release: Release, nodes: list[Node]) -> list[Finding]:
    return list(rules.check_environment(env, release, nodes))


def boot_findings(opts: BootOptions) -> list[Finding]:
    return list(rules.check_boot_options(opts))


def default_interfaces(
    nics: list[Nic], networks: list[str], env: Environment, release: Release
) -> tuple[dict[str, list[str]], list[Finding]]:
    interfaces, findings = nicdefaults.default_interfaces(nics, networks, env, release)
    return dict(interfaces), list(findings)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.error]
