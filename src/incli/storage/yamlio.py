"""YAML as incli reads and writes it.

Reading uses a resolver without YAML 1.1's traps: ``14:30`` stays the text
"14:30" (not the number 870), ``no``/``on``/``yes`` stay text, and timestamps stay
text (the domain parses them, offset included). Only ``true``/``false``, ``null``,
plain integers and floats are resolved, as in YAML 1.2's core schema.

Writing uses PyYAML's ordinary safe dumper, which quotes every string that any
YAML 1.1 reader would mistake for something else, so other tools read our files
the same way. Multi-line text is written as a literal block.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from incli.errors import InvalidInput

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Loader(_BaseLoader):  # type: ignore[misc,unused-ignore]
    pass


Loader.yaml_implicit_resolvers = {}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
Loader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class Dumper(_BaseDumper):  # type: ignore[misc,unused-ignore]
    pass


def _resolves_to_other_type(value: str) -> bool:
    """Would our loader read this plain scalar as something other than text?

    PyYAML's dumper quotes what YAML 1.1 would misread, but YAML 1.2 reads a few
    more forms as numbers (``1e3``): quote those too, or the text comes back a float.
    """
    for tag, pattern in Loader.yaml_implicit_resolvers.get(value[:1], []):
        if tag != "tag:yaml.org,2002:str" and pattern.match(value):
            return True
    return False


def _represent_str(dumper: Any, value: str) -> Any:
    if "\n" in value:
        # A literal block keeps the text as typed; trailing spaces on a line
        # would force a quoted style, so only use it when it round-trips.
        if not any(line != line.rstrip() for line in value.splitlines()):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    elif _resolves_to_other_type(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_none(dumper: Any, _value: None) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")


Dumper.add_representer(str, _represent_str)
Dumper.add_representer(type(None), _represent_none)


class YamlError(ValueError):
    """Text that is not YAML, with the 1-based line where the parser stopped."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


CONFLICT_MARKER = re.compile(rb"^(?:<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


def conflict_lines(data: bytes) -> list[int]:
    """1-based lines holding git conflict markers."""
    return [data.count(b"\n", 0, m.start()) + 1 for m in CONFLICT_MARKER.finditer(data)]


def load(data: bytes | str) -> Any:
    """One document (an incident file). Aliases (``*name``) are refused, as in incli.yaml:
    incli never writes them, and a few nested make a small file expand to gigabytes. Only
    text holding a ``*`` can have one, so only that text pays for the check."""
    try:
        _refuse_aliases(data)
        return yaml.load(data, Loader=Loader)  # noqa: S506 - Loader is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise YamlError(f"not valid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", None) from None


ALIAS_MESSAGE = "aliases (*name) are not allowed here; write the value out"


def _refuse_aliases(data: bytes | str) -> None:
    """YamlError at the first alias; only text holding a ``*`` is parsed for it (the events
    themselves never expand, so a bomb costs no more than its size)."""
    if b"*" not in data if isinstance(data, bytes) else "*" not in data:
        return
    for event in yaml.parse(data, Loader=Loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise YamlError(ALIAS_MESSAGE, mark.line + 1 if mark is not None else None)


def dump(data: Any) -> str:
    """YAML text for ``data``; InvalidInput for text no file can hold (a lone surrogate, as an
    argument typed in a non-UTF-8 terminal decodes to), so it is never written."""
    try:
        text: str = yaml.dump(
            data,
            Dumper=Dumper,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=100,
            indent=2,
        )
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = ord(exc.object[exc.start]) if isinstance(exc.object, str) else 0
        raise InvalidInput(
            f"text with a character that is not valid Unicode (\\u{bad:04x}) cannot be saved; "
            "was it typed in a terminal that is not UTF-8?"
        ) from None
    return text


def key_lines(data: bytes | str) -> dict[str, int]:
    """1-based line of each top-level key, for pointing at a field in a finding."""
    try:
        node = yaml.compose(data, Loader=Loader)  # noqa: S506
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    lines: dict[str, int] = {}
    for key, value in node.value:
        lines[str(key.value)] = key.start_mark.line + 1
        if key.value == "timeline" and isinstance(value, yaml.SequenceNode):
            for index, item in enumerate(value.value):
                lines[f"timeline[{index}]"] = item.start_mark.line + 1
    return lines


MAX_CONFIG_BYTES = 1024 * 1024  # incli.yaml: a settings file, never megabytes


def load_with_lines(data: bytes | str, *, allow_aliases: bool = False) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """The document and the 1-based line of every mapping key and list item, by path
    (``("postmortem", "due", "SEV5")``, ``("hooks", "opened", 0)``).

    Aliases (``*name``) are refused unless allowed: incli never writes them, and
    a few of them nested make a small file expand to gigabytes.
    """
    try:
        if not allow_aliases:
            _refuse_aliases(data)
        loader = Loader(data)
        try:
            node = loader.get_single_node()
            lines: dict[tuple[str | int, ...], int] = {}
            if node is not None:
                _walk(node, (), lines, set(), allow_aliases)
            value = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise YamlError(f"not valid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}", None) from None
    return value, lines


def _walk(
    node: Any, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int], seen: set[int], aliases: bool
) -> None:
    if id(node) in seen:
        if not aliases:
            raise YamlError(ALIAS_MESSAGE, node.start_mark.line + 1)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines.setdefault(child, key.start_mark.line + 1)
            _walk(value, child, lines, seen, aliases)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines.setdefault(child, item.start_mark.line + 1)
            _walk(item, child, lines, seen, aliases)
