"""Programs the payload ships to the controller and runs there with its own Python and
openstacksdk (they are data here: `*.py.txt`, never imported by fueltui)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def remote_program(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
