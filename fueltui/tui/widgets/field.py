"""A labelled one-line input with the rules' findings shown right under it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Input, Label, Static

if TYPE_CHECKING:
    from fueltui.core.model import Finding


def finding_text(findings: list[Finding]) -> Text:
    """Findings as lines with a marker that reads without colour: ✗ error, ! warning."""
    from fueltui.core.model import Severity  # pydantic: not before the first frame

    text = Text()
    for i, finding in enumerate(findings):
        if i:
            text.append("\n")
        error = finding.severity == Severity.error
        text.append("✗ " if error else "! ", style="bold red" if error else "bold yellow")
        text.append(finding.code, style="bold")
        text.append(f": {finding.message}")
    return text


class FindingLine(Static):
    """Empty and hidden when there is nothing to say."""

    DEFAULT_CSS = "FindingLine { display: none; } FindingLine.-shown { display: block; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.findings: list[Finding] = []

    def show(self, findings: list[Finding]) -> None:
        self.findings = list(findings)
        self.update(finding_text(self.findings))
        self.set_class(bool(self.findings), "-shown")

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


class Field(Container):
    """`label [input]` then the findings about this field. One grid, not a column holding a
    row: two widgets fewer per field, and every widget costs at start-up (bench/startup.py)."""

    DEFAULT_CSS = """
    Field { layout: grid; grid-size: 2; grid-columns: 12 1fr; grid-rows: 1 auto; height: auto; }
    Field > FindingLine { column-span: 2; }
    """

    def __init__(self, key: str, label: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(id=f"field-{key}", classes="field")
        self.key = key
        self._label = label
        self._value = value
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield Label(self._label)
        yield Input(self._value, placeholder=self._placeholder, compact=True, id=f"in-{self.key}")
        yield FindingLine(id=f"err-{self.key}")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def finding_line(self) -> FindingLine:
        return self.query_one(FindingLine)
