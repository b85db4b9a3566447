"""The Settings page's model: the release's declared fields over an environment's `Settings`.

A field is addressed by its dotted key (`storage.volumes_lvm`, `common.debug`), the same key
role restrictions use. Values typed by an operator (`--set common.debug=yes`, the TUI's
inputs) are parsed here, once, with a message saying what was expected; whether a value
*makes sense* (a syslog target, an e-mail, a restriction) is `core/rules/settings.py`'s job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pydantic import BaseModel, ValidationError

from fueltui.core.model import Environment, EnvStatus, Release, SettingField, Settings

SettingValue = bool | int | str

TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", "n"})


class SettingError(ValueError):
    """A value that cannot be a setting's: `key` and a sentence saying what is expected."""

    def __init__(self, key: str, message: str, code: str = "setting-type") -> None:
        self.key = key
        self.message = message
        self.code = code
        super().__init__(f"{key}: {message}")


def fields(release: Release) -> Iterator[SettingField]:
    for group in release.settings:
        yield from group.fields


def find_field(release: Release, key: str) -> SettingField | None:
    return next((f for f in fields(release) if f.key == key), None)


def get_value(settings: Settings, key: str) -> SettingValue | None:
    """A setting by dotted key, or None when the model has no such setting."""
    value: object = settings
    for part in key.split("."):
        if not isinstance(value, BaseModel) or part not in type(value).model_fields:
            return None
        value = getattr(value, part)
    return value if isinstance(value, bool | int | str) else None


def with_value(settings: Settings, key: str, value: SettingValue) -> Settings:
    """A copy of `settings` with one value changed (the model judges the value's type)."""
    data = settings.model_dump()
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            raise SettingError(key, "is not a setting")
        node = child
    if leaf not in node:
        raise SettingError(key, "is not a setting", code="setting-unknown")
    node[leaf] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        reason = exc.errors()[0].get("msg", "invalid value")
        raise SettingError(key, f"{value!r} is not accepted: {reason}") from None


def parse_value(field: SettingField, text: str) -> SettingValue:
    """An operator's text as the field's type: bools from yes/no/true/false/on/off/1/0, ints
    in decimal, a select's value from its choices; text is kept as typed (stripped)."""
    raw = text.strip()
    if field.type == "bool":
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise SettingError(field.key, f"{text!r} is not yes/no (true/false, on/off, 1/0)")
    if field.type == "int":
        if not raw.lstrip("-").isdigit() or not raw.isascii():
            raise SettingError(field.key, f"{text!r} is not a whole number")
        return int(raw)
    if field.type == "select":
        if raw not in field.choices:
            raise SettingError(field.key, f"{text!r} is not one of: {', '.join(field.choices)}")
        return raw
    return raw


def coerce(field: SettingField, value: object) -> SettingValue:
    """A JSON value (from the API) as the field's type; text is parsed like an operator's."""
    if isinstance(value, str):
        return parse_value(field, value)
    if field.type == "bool" and isinstance(value, bool):
        return value
    if field.type == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    raise SettingError(field.key, f"{value!r} is not a {field.type} value")


def apply_changes(release: Release, settings: Settings, changes: Mapping[str, object]) -> Settings:
    """`settings` with each `key: value` of `changes` applied; SettingError on the first key
    the release does not declare or value that is not of its field's type."""
    for key, value in changes.items():
        field = find_field(release, key)
        if field is None:
            known = ", ".join(f.key for f in fields(release))
            message = f"is not a setting of {release.name}; use one of {known}"
            raise SettingError(key, message, "setting-unknown")
        settings = with_value(settings, key, coerce(field, value))
    return settings


def parse_assignment(text: str) -> tuple[str, str]:
    """`group.field=value` -> (key, value text)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SettingError(text, "expected KEY=VALUE, e.g. common.debug=true", "setting-unknown")
    return key.strip(), value


def restriction(field: SettingField, settings: Settings) -> str | None:
    """Why the field must keep its default (the release cannot, or other settings say so)."""
    if field.unavailable:
        return field.unavailable
    for rule in field.restrictions:
        if all(get_value(settings, key) == wanted for key, wanted in rule.when.items()):
            return rule.message
    return None


def is_deployed(env: Environment) -> bool:
    """Settings locked after a deploy are locked once any deploy has started."""
    return env.status != EnvStatus.new


def locked_keys(release: Release, env: Environment) -> set[str]:
    return {f.key for f in fields(release) if f.locked_after_deploy} if is_deployed(env) else set()


def changed_keys(release: Release, old: Settings, new: Settings) -> list[str]:
    return [f.key for f in fields(release) if get_value(old, f.key) != get_value(new, f.key)]


def defaults(release: Release) -> dict[str, SettingValue]:
    return {f.key: f.default for f in fields(release)}


def show(value: SettingValue | None) -> str:
    """A value as the CLI and the TUI print it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "-"
    return str(value) if value != "" else "(none)"
