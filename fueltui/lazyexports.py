"""A package's public names imported on first use (a module `__getattr__`, PEP 562).

A package whose `__init__` re-exports its submodules' names would otherwise import them all
with the package — the TUI's first page and a facts worker paid for modules they never use.
The package keeps the real imports under `TYPE_CHECKING` for type checkers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """The `__getattr__` for `package`: `homes` maps each name to the submodule that holds it."""

    def module_getattr(name: str) -> object:
        home = homes.get(name)
        if home is None:
            # An AttributeError (not ImportError) lets `from package import submodule` fall
            # back to importing the submodule.
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)  # found once, then a plain attribute
        return value

    return module_getattr
