"""The answers file: one YAML document describing a whole installation.

`load_answers` only judges the file's *shape* (YAML, known keys, value types) and reports the
first problem with its file, line and field. Whether the values make sense is the rules' job
(`fueltui.core.rules.check_answers`), which answers with findings.

In `environment.networks`, `environment.neutron` and `environment.nova_network` an omitted key
takes the release default; a key written as `null` (e.g. `vlan: null`) is explicit. Pydantic's
`model_fields_set` tells the two apart.
"""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from pydantic import BeforeValidator, Field, ValidationError

from fueltui.core.disksizes import parse_size
from fueltui.core.model import (
    Bond,
    BootOptions,
    DiskAllocation,
    MacAddress,
    Mode,
    NetworkConfig,
    NeutronParams,
    Nic,
    NovaParams,
    Settings,
    Strict,
)


class AnswersEnvironment(Strict):
    name: str
    release: str | None = None  # None: the default release
    mode: Mode = Mode.neutron_gre
    networks: dict[str, NetworkConfig] = Field(default_factory=dict)
    neutron: NeutronParams | None = None
    nova_network: NovaParams | None = None
    settings: Settings | None = None


# A volume's size: MiB, or a number with a unit ("10G"); see `fueltui.core.disksizes.parse_size`.
DiskSize = Annotated[int, BeforeValidator(parse_size)]


class AnswersNode(Strict):
    mac: MacAddress  # the admin (PXE) NIC's MAC: the node's identity
    name: str | None = None
    roles: list[str] = Field(default_factory=list)
    nics: list[Nic] | None = None  # None: the master knows them from discovery
    interfaces: dict[str, list[str]] | None = None  # None: Fuel's default assignment; keys NICs or bonds
    bonds: list[Bond] | None = None  # None: the node's bonds stay as they are
    mtu: dict[str, int] | None = None  # NIC name -> MTU
    # Configure Disks: disk (kernel name or by-path) -> volume -> size; None: the role defaults
    disks: dict[str, dict[str, DiskSize]] | None = None


def disks_from_answers(spec: AnswersNode) -> list[DiskAllocation] | None:
    if spec.disks is None:
        return None
    return [DiskAllocation(disk=disk, volumes=dict(volumes)) for disk, volumes in spec.disks.items()]


class Answers(Strict):
    master: BootOptions | None = None
    environment: AnswersEnvironment | None = None
    nodes: list[AnswersNode] = Field(default_factory=list)


class AnswersError(Exception):
    """The answers file cannot be read as an answers file. str() is "file:line: field: message"."""

    def __init__(self, source: str, line: int | None, field: str, message: str) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


def format_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """('nodes', 1, 'interfaces', 'eth1') -> 'nodes[1].interfaces.eth1' (the findings' path syntax)."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def parse_path(path: str) -> list[int | str]:
    """The inverse of `format_path` for paths without dots or brackets inside keys."""
    parts: list[int | str] = []
    for chunk in path.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        if rest:
            for index in ("[" + rest).split("[")[1:]:
                text = index.rstrip("]")
                parts.append(int(text) if text.isascii() and text.isdigit() else text)
    return parts


class SourceMap:
    """Line numbers of a YAML document's values, from the composed node tree."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line(self, loc: list[int | str] | tuple[int | str, ...]) -> int | None:
        """The 1-based line of the deepest node along `loc` that exists in the file."""
        node = self.root
        if node is None:
            return None
        line: int = node.start_mark.line + 1
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                        line = key.start_mark.line + 1
                        child = value
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def line_of_path(self, path: str) -> int | None:
        return self.line(parse_path(path))


Loc = tuple[int | str, ...]
MAX_NODES = 100_000  # a whole installation is far smaller; aliases can expand a tiny file enormously


class _RecursiveAlias(Exception):
    pass


def _expanded_size(node: yaml.Node, seen: dict[int, int]) -> int:
    """How many values the document has once aliases are expanded (memoised per node)."""
    known = seen.get(id(node))
    if known is not None:
        if known < 0:
            raise _RecursiveAlias
        return known
    seen[id(node)] = -1  # being counted: meeting it again below is an alias to itself
    size = 1
    if isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, seen) + _expanded_size(v, seen) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(item, seen) for item in node.value)
    seen[id(node)] = size
    return size


def _duplicate_key(node: yaml.Node, loc: Loc = ()) -> tuple[Loc, int] | None:
    """PyYAML keeps the last of two equal keys silently; a repeated key is a mistake to report."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return (*loc, key.value), key.start_mark.line + 1
                seen.add(key.value)
                found = _duplicate_key(value, (*loc, key.value))
                if found:
                    return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _duplicate_key(item, (*loc, index))
            if found:
                return found
    return None


# libyaml's loader when PyYAML was built with it: the same nodes and marks, ten times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, source: str = "<answers>") -> tuple[object, SourceMap]:
    """Parse YAML text into (data, source map); raises AnswersError for text that is not YAML."""
    loader: yaml.SafeLoader | yaml.CSafeLoader | None = None
    try:
        loader = _LOADER(text)  # the reader rejects control characters already here
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise AnswersError(source, line, "", f"not valid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise AnswersError(
            source, line, "", f"not valid YAML: control character U+{exc.character:04X} is not allowed"
        ) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise AnswersError(source, None, "", f"not valid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is not None:
        try:
            size = _expanded_size(node, {})
            duplicate = _duplicate_key(node) if size <= MAX_NODES else None
        except (_RecursiveAlias, RecursionError):
            raise AnswersError(
                source, None, "", "an alias refers to itself, or nesting is too deep"
            ) from None
        if size > MAX_NODES:
            raise AnswersError(
                source, None, "", f"the file expands to more than {MAX_NODES} values (aliases?)"
            )
        if duplicate:
            loc, line = duplicate
            raise AnswersError(source, line, format_path(loc), "this key is given twice; keep one")
    return data, SourceMap(node)


def _describe(error: Any) -> str:
    kind = error.get("type", "")
    loc = error.get("loc", ())
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r} (check the spelling; unknown keys are not allowed)"
    if kind == "missing":
        return "this key is required"
    if kind == "string_type":
        shown = repr(error.get("input"))
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return f"expected text, not {shown}; put the value in quotes"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def load_answers_data(text: str, source: str = "<answers>") -> tuple[Answers, SourceMap]:
    """Like `load_answers`, also returning the source map (for line numbers of findings)."""
    data, smap = compose(text, source)
    if data is None:
        raise AnswersError(source, 1, "", "the file is empty; expected keys master, environment, nodes")
    if not isinstance(data, dict):
        kind = type(data).__name__
        message = f"expected a mapping with keys master, environment, nodes, not a {kind}"
        raise AnswersError(source, smap.line(()), "", message)
    try:
        answers = Answers.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = [p if isinstance(p, int | str) else str(p) for p in first["loc"]]
        message = _describe(first)
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        raise AnswersError(source, smap.line(loc), format_path(loc), message) from None
    return answers, smap


def load_answers(text: str, source: str = "<answers>") -> Answers:
    """Read an answers file's text; raises AnswersError (file, line, field, message)."""
    return load_answers_data(text, source)[0]


def dump_answers(answers: Answers) -> str:
    """YAML text of an answers document. Keys never set stay out, so a minimal file stays minimal;
    explicit values (also `null`) are kept, so `load_answers(dump_answers(a)) == a`."""
    data = answers.model_dump(mode="json", exclude_unset=True)
    text: str = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=100)
    return text
