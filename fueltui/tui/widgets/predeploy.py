"""The pre-deploy picture as the master gives it: verification state, what blocks, warnings."""

from __future__ import annotations

import re

from rich.text import Text

from fueltui.core.model import Finding, Severity
from fueltui.tui.widgets.field import finding_text

UNVERIFIED = "network-not-verified"  # the verification gate's code: `deploy --skip-verify` passes it


def in_tui_words(message: str) -> str:
    """The gate speaks CLI (`fueltui verify X`, `--skip-verify`); here the same advice is a page
    and a button."""
    message = re.sub(r"run `fueltui verify [^`]*`", "verify on page 6", message)
    message = re.sub(r"run `[^`]*`", "verify on page 6", message)
    return message.replace("deploy with --skip-verify", "Deploy anyway (below)")


def predeploy_text(findings: list[Finding], limit: int | None = None) -> Text:
    """The verification state first, then what blocks, then warnings — each once."""
    errors = [f for f in findings if f.severity == Severity.error]
    warnings = [f for f in findings if f.severity != Severity.error]
    unverified = [f for f in errors if f.code == UNVERIFIED]
    blocking = [f for f in errors if f.code != UNVERIFIED]
    text = Text()
    if unverified and limit is not None:  # the summary line: the dialog (d) says the rest
        text.append("✗ networks not verified as configured", style="bold")
        text.append(" (page 6 verifies)\n")
    elif unverified:
        text.append("✗ networks not verified as configured", style="bold")
        text.append(f": {in_tui_words(unverified[0].message)}\n")
    else:
        text.append("✓ networks verified as configured\n")
    shown = blocking if limit is None else blocking[:limit]
    if blocking:
        text.append(f"{len(blocking)} blocking finding(s):\n", style="bold")
        text.append_text(finding_text(shown))
        text.append("\n")
        if len(shown) < len(blocking):
            text.append(f"… and {len(blocking) - len(shown)} more (see pages 3 and 4)\n")
    elif not unverified:
        text.append("✓ no blocking findings\n")
    if warnings and limit is None:
        text.append_text(finding_text(warnings))
    elif warnings:
        text.append(f"{len(warnings)} warning(s): d shows them\n")
    text.rstrip()
    return text
