"""No untyped JSON object crosses the master/client seam, in either direction: every field of
the API's models and every parameter and answer of the client's methods has a declared type —
no `Any`, no `object` (so no `dict[str, Any]` or `dict[str, object]`). Free-form JSON, where a
record carries a task's params or result, is `JsonValue` and is read through the kind's
declaration (`fueltui.api.tasks`)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing

import pytest
from pydantic import BaseModel

import fueltui.api
from fueltui.client.api import MasterClient


def _loose(hint: object) -> bool:
    if hint is typing.Any or hint is object:
        return True
    return any(_loose(arg) for arg in typing.get_args(hint))


def _api_models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = []
    for info in pkgutil.iter_modules(fueltui.api.__path__, "fueltui.api."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == info.name:
                found.append(value)
    return found


@pytest.mark.parametrize("model", _api_models(), ids=lambda m: m.__name__)
def test_api_models_have_no_untyped_fields(model: type[BaseModel]) -> None:
    loose = [name for name, info in model.model_fields.items() if _loose(info.annotation)]
    assert loose == [], f"{model.__name__}: {loose}"


def test_the_check_can_fail() -> None:
    class Sloppy(BaseModel):
        data: dict[str, object]

    assert _loose(Sloppy.model_fields["data"].annotation)
    assert _loose(dict[str, typing.Any]) and not _loose(dict[str, list[int]])


@pytest.mark.parametrize(
    "name",
    sorted(n for n, m in vars(MasterClient).items() if not n.startswith("_") and inspect.isfunction(m)),
)
def test_client_methods_are_typed_both_ways(name: str) -> None:
    hints = typing.get_type_hints(getattr(MasterClient, name))
    loose = [arg for arg, hint in hints.items() if _loose(hint)]
    assert loose == [], f"MasterClient.{name}: {loose}"
