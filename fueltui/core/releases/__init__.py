"""Releases shipped inside the package, one YAML file each."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from fueltui.core.model import Release


def _load(text: str) -> Release:
    data = yaml.safe_load(text)
    # Keys starting with "_" hold YAML anchors shared between modes; they are not data.
    data = {k: v for k, v in data.items() if not str(k).startswith("_")}
    return Release.model_validate(data)


@cache
def shipped_releases() -> dict[str, Release]:
    """Every release shipped with fueltui, by id, in file-name order."""
    found: dict[str, Release] = {}
    folder = resources.files(__package__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            release = _load(entry.read_text(encoding="utf-8"))
            found[release.id] = release
    return found


def get_release(release_id: str) -> Release | None:
    return shipped_releases().get(release_id)


def default_release() -> Release:
    return next(iter(shipped_releases().values()))
