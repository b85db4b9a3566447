"""No `Any` leaks through the public signatures of the typed parts (core, ssh, client, api).

mypy's `disallow_any_explicit` also trips on every pydantic model, so this looks at what
callers see instead: the resolved annotations of public functions, methods and model fields.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from collections.abc import Iterator

import pytest

PACKAGES = ("fueltui.core", "fueltui.ssh", "fueltui.client", "fueltui.api")


def _modules() -> Iterator[str]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        yield name
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                yield info.name


def _mentions_any(hint: object) -> bool:
    if hint is typing.Any:
        return True
    return any(_mentions_any(arg) for arg in typing.get_args(hint))


def _public_callables(module: object) -> Iterator[tuple[str, object]]:
    for name, value in vars(module).items():
        if name.startswith("_") or getattr(value, "__module__", None) != module.__name__:  # type: ignore[attr-defined]
            continue
        if inspect.isfunction(value):
            yield name, value
        elif inspect.isclass(value):
            for attr, member in vars(value).items():
                if (not attr.startswith("_") or attr == "__init__") and inspect.isfunction(member):
                    yield f"{name}.{attr}", member
            fields = getattr(value, "model_fields", None)
            if isinstance(fields, dict):
                for field, info in fields.items():
                    yield f"{name}.{field}", info.annotation


@pytest.mark.parametrize("module_name", sorted(set(_modules())))
def test_no_any_in_public_signatures(module_name: str) -> None:
    module = importlib.import_module(module_name)
    leaks = []
    for where, target in _public_callables(module):
        if inspect.isfunction(target):
            try:
                hints = typing.get_type_hints(target)
            except NameError:  # annotations naming TYPE_CHECKING-only imports: mypy checks those
                continue
            leaks += [f"{where}({arg})" for arg, hint in hints.items() if _mentions_any(hint)]
        elif _mentions_any(target):
            leaks.append(where)
    assert not leaks, f"Any in public signatures of {module_name}: {leaks}"
