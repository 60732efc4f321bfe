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
from collections.abc import Callable
from typing import Any

from incli.errors import InvalidInput

# PyYAML is imported the first time it is needed: a command that only reads files incli wrote
# (storage/fastyaml.py) never pays for it.
yaml: Any = None
Loader: Any = None  # our resolvers over PyYAML's C safe loader
Dumper: Any = None
_PyLoader: Any = None  # the pure-Python loader with our resolvers: its marks are character offsets


# What our loader reads as another type than text, as (tag, pattern, first characters): YAML 1.2's
# core schema, without 1.1's traps. The dumper quotes text that matches (str_style), and
# storage/fastdump.py writes by the same table. Patterns as text, compiled when first used: a
# command that neither writes nor needs PyYAML never compiles them.
LOADER_TYPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", tuple("tTfF")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ("~", "n", "N", "")),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", tuple("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        tuple("-+0123456789."),
    ),
)
_LOADER_BY_FIRST: dict[str, tuple[str, ...]] = {
    char: tuple(pattern for _tag, pattern, first in LOADER_TYPES if char in first)
    for char in {char for _tag, _pattern, first in LOADER_TYPES for char in first}
}
_LOADER_COMPILED: dict[str, tuple[re.Pattern[str], ...]] = {}


def _pyyaml() -> Any:
    """PyYAML, with incli's Loader and Dumper made on the first call."""
    global yaml, Loader, Dumper, _PyLoader
    if yaml is not None:
        return yaml
    import yaml as module

    base_loader: Any = getattr(module, "CSafeLoader", module.SafeLoader)
    base_dumper: Any = getattr(module, "CSafeDumper", module.SafeDumper)

    class OurLoader(base_loader):  # type: ignore[misc,valid-type,unused-ignore]
        pass

    OurLoader.yaml_implicit_resolvers = {}
    for tag, pattern, first in LOADER_TYPES:
        OurLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))

    class OurDumper(base_dumper):  # type: ignore[misc,valid-type,unused-ignore]
        pass

    OurDumper.add_representer(str, _represent_str)
    OurDumper.add_representer(type(None), _represent_none)

    class PyLoader(module.SafeLoader):  # type: ignore[misc,name-defined,unused-ignore]
        pass

    PyLoader.yaml_implicit_resolvers = OurLoader.yaml_implicit_resolvers
    Loader, Dumper, _PyLoader = OurLoader, OurDumper, PyLoader
    yaml = module
    return module


def _resolves_to_other_type(value: str) -> bool:
    """Would our loader read this plain scalar as something other than text?

    PyYAML's dumper quotes what YAML 1.1 would misread, but YAML 1.2 reads a few
    more forms as numbers (``1e3``): quote those too, or the text comes back a float.
    """
    first = value[:1]
    patterns = _LOADER_COMPILED.get(first)
    if patterns is None:
        patterns = _LOADER_COMPILED[first] = tuple(re.compile(p) for p in _LOADER_BY_FIRST.get(first, ()))
    return any(pattern.match(value) for pattern in patterns)


def str_style(value: str) -> str | None:
    """The style incli asks PyYAML's emitter for, for a text: ``|`` (a literal block) for
    multi-line text, ``'`` for text our loader would read as another type, None: the emitter
    chooses (plain where YAML 1.1 allows it). storage/fastdump.py follows the same rule."""
    if "\n" in value:
        # A literal block keeps the text as typed; trailing spaces on a line
        # would force a quoted style, so only use it when it round-trips.
        if not any(line != line.rstrip() for line in value.splitlines()):
            return "|"
        return None
    if _resolves_to_other_type(value):
        return "'"
    return None


def _represent_str(dumper: Any, value: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=str_style(value))


def _represent_none(dumper: Any, _value: None) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")


def _yaml_error(exc: Any, data: bytes | str) -> YamlError:
    """PyYAML's error as one line with the 1-based line where the parser stopped."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        return YamlError(f"not valid YAML: {problem}", mark.line + 1 if mark is not None else None)
    if isinstance(exc, yaml.reader.ReaderError):  # bytes that are not UTF-8, or a control character
        before = data[: exc.position]
        line = (before.count(b"\n") if isinstance(before, bytes) else before.count("\n")) + 1
        code = int(exc.character)  # a code point, or a byte (both readers, PyYAML's and libyaml's)
        if "utf-8" in f"{exc.reason} {exc.encoding}".lower() or code < 0:
            return YamlError("not valid UTF-8; save the file as UTF-8", line)
        return YamlError(f"not valid YAML: the control character U+{code:04X} is not allowed", line)
    return YamlError("not valid YAML: " + " ".join(str(exc).split()), None)


class YamlError(ValueError):
    """Text that is not YAML, with the 1-based line where the parser stopped."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


CONFLICT_MARKER = re.compile(rb"^(?:<{7}|={7}|>{7})(?: |$)", re.MULTILINE)


def conflict_lines(data: bytes) -> list[int]:
    """1-based lines holding git conflict markers."""
    if b"<<<<<<<" not in data and b"=======" not in data and b">>>>>>>" not in data:
        return []  # the common case, without a regex pass
    return [data.count(b"\n", 0, m.start()) + 1 for m in CONFLICT_MARKER.finditer(data)]


def load(data: bytes | str) -> Any:
    """One document (an incident file). Aliases (``*name``) are refused, as in incli.yaml:
    incli never writes them, and a few nested make a small file expand to gigabytes. Only
    text holding a ``*`` can have one, so only that text pays for the check."""
    _pyyaml()
    try:
        _refuse_aliases(data)
        return yaml.load(data, Loader=Loader)  # noqa: S506 - Loader is a safe loader
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, data) from None


ALIAS_MESSAGE = "aliases (*name) are not allowed here; write the value out"


def _refuse_aliases(data: bytes | str) -> None:
    """YamlError at the first alias; only text holding a ``*`` is parsed for it (the events
    themselves never expand, so a bomb costs no more than its size)."""
    _pyyaml()
    if b"*" not in data if isinstance(data, bytes) else "*" not in data:
        return
    for event in yaml.parse(data, Loader=Loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise YamlError(ALIAS_MESSAGE, mark.line + 1 if mark is not None else None)


# How incli writes YAML (yaml.dump's options; storage/fastdump.py writes the same text).
DUMP_OPTIONS: dict[str, Any] = {
    "sort_keys": False,
    "allow_unicode": True,
    "default_flow_style": False,
    "width": 100,
    "indent": 2,
}


def dump(data: Any) -> str:
    """YAML text for ``data``; InvalidInput for text no file can hold (a lone surrogate, as an
    argument typed in a non-UTF-8 terminal decodes to), so it is never written.

    storage/fastdump.py writes the common documents (an incident, as incli writes it) to
    exactly the text PyYAML would, without importing it; PyYAML writes the rest."""
    from incli.storage import fastdump  # it imports this module (str_style)

    fast = fastdump.dump(data)
    return fast if fast is not None else dump_with_pyyaml(data)


def dump_with_pyyaml(data: Any) -> str:
    """``dump``'s text, always written by PyYAML (what storage/fastdump.py is held to)."""
    _pyyaml()
    try:
        text: str = yaml.dump(data, Dumper=Dumper, **DUMP_OPTIONS)
        text.encode()
    except UnicodeEncodeError as exc:
        bad = ord(exc.object[exc.start]) if isinstance(exc.object, str) else 0
        raise InvalidInput(
            f"text with a character that is not valid Unicode (\\u{bad:04x}) cannot be saved; "
            "was it typed in a terminal that is not UTF-8?"
        ) from None
    return text


def key_lines(data: bytes | str) -> dict[str, int]:
    """1-based line of each top-level key, for pointing at a field in a finding."""
    _pyyaml()
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


def line_for(lines: dict[str, int], key: str) -> int | None:
    """The line a finding about ``key`` points at, from ``key_lines``: the key's own, else its
    timeline entry's (``timeline[2].kind``: that entry), else its top-level key's."""
    return lines.get(key) or lines.get(key.split(".")[0]) or lines.get(key.split("[")[0])


MAX_CONFIG_BYTES = 1024 * 1024  # incli.yaml: a settings file, never megabytes


def config_too_large(size: int) -> str | None:
    """Why a settings file (incli.yaml, catalog.yaml, freezes.yaml) of ``size`` bytes is not
    read, or None: the one limit, and its one message, for all of them."""
    if size > MAX_CONFIG_BYTES:
        return f"{size:,} bytes is over the limit of {MAX_CONFIG_BYTES:,} for a settings file"
    return None


def load_with_lines(data: bytes | str) -> tuple[Any, dict[tuple[str | int, ...], int]]:
    """The document and the 1-based line of every mapping key and list item, by path
    (``("postmortem", "due", "SEV5")``, ``("hooks", "opened", 0)``).

    Aliases (``*name``) are refused, as by ``load``; a key written twice in one mapping
    is refused too (PyYAML would keep the last one silently).
    """
    _pyyaml()
    try:
        _refuse_aliases(data)
        loader = Loader(data)
        try:
            node = loader.get_single_node()
            lines: dict[tuple[str | int, ...], int] = {}
            if node is not None:
                _walk(node, (), lines)
            value = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, data) from None
    return value, lines


def _walk(node: Any, path: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> None:
    """Record the line of every key and item below ``node`` (a tree: aliases were refused)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            if child in lines:  # PyYAML keeps the last silently; a setting written twice is a mistake
                dotted = ".".join(str(p) for p in child)
                raise YamlError(
                    f"{dotted} is written twice (also at line {lines[child]}); keep one", key.start_mark.line + 1
                )
            lines[child] = key.start_mark.line + 1
            _walk(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines.setdefault(child, item.start_mark.line + 1)
            _walk(item, child, lines)


# -- comments a person typed ----------------------------------------------
#
# incli writes its files with PyYAML, which drops comments. A file that holds one gets them
# back on the next write: the comments are found between the old file's tokens (so a ``#``
# inside a quoted or block scalar is never taken for one), each is tied to the key or list
# item of its line (a comment on a line of its own: of the next line), and put back beside the
# same key or item of the new text, which is otherwise exactly what ``dump`` wrote. No
# round-trip YAML library is needed, and a file without a comment pays one regex search.

_MAYBE_COMMENT = re.compile(rb"(?:^|[ \t])#", re.MULTILINE)


_KeyPath = tuple[Any, ...]


def _fingerprint(node: Any) -> str:
    """A list item's identity by its content, so a comment follows its item when others move."""
    if isinstance(node, yaml.ScalarNode):
        return f"{node.tag}:{node.value}"
    if isinstance(node, yaml.SequenceNode):
        return "[" + ",".join(_fingerprint(n) for n in node.value) + "]"
    return "{" + ",".join(f"{_fingerprint(k)}={_fingerprint(v)}" for k, v in node.value) + "}"  # a MappingNode


def _with_marks(read: Callable[..., Any], text: str) -> Any:
    """``read(text, Loader=...)`` by the pure-Python loader, whose marks are character offsets;
    by incli's own loader (libyaml's, the same offsets here) for the text the pure-Python scanner
    refuses though libyaml reads it, such as a tab before a comment (``key: value<TAB># note``):
    refused, every comment of the file would be lost on the next write."""
    try:
        return read(text, Loader=_PyLoader)
    except yaml.YAMLError:
        return read(text, Loader=Loader)


def _line_paths(text: str) -> dict[int, tuple[_KeyPath, _KeyPath]]:
    """0-based line -> (path with list items by content, path with list items by index) of the
    deepest key or item that starts on it."""
    _pyyaml()
    node = _with_marks(yaml.compose, text)
    lines: dict[int, tuple[_KeyPath, _KeyPath]] = {}

    def walk(node: Any, by_content: _KeyPath, by_index: _KeyPath) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*by_content, str(key.value)), (*by_index, str(key.value))
                lines[key.start_mark.line] = child
                walk(value, *child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child = (*by_content, ("item", _fingerprint(item))), (*by_index, index)
                lines[item.start_mark.line] = child
                walk(item, *child)

    if node is not None:
        walk(node, (), ())
    return lines


def _comments(text: str) -> list[tuple[int, bool, str]]:
    """Every comment as (0-based line, on a line of its own, text): a ``#`` outside every token."""
    _pyyaml()
    covered: list[tuple[int, int]] = []
    for token in _with_marks(lambda t, Loader: list(yaml.scan(t, Loader=Loader)), text):
        start, end = token.start_mark.index, token.end_mark.index
        if end > start:
            covered.append((start, end))
    found = []
    position = 0
    for start, end in [*covered, (len(text), len(text))]:
        gap_end = start
        while position < gap_end:
            hit = text.find("#", position, gap_end)
            if hit < 0:
                break
            line_start = text.rfind("\n", 0, hit) + 1
            line_end = text.find("\n", hit)
            line_end = len(text) if line_end < 0 else line_end  # pragma: no mutate (never 0: "#" is at hit)
            if hit == line_start or text[hit - 1] in " \t":
                before = text[line_start:hit]
                alone = not before.strip()
                # on a line of its own: the line as typed; after a value: with the spaces before it
                shown = (
                    before + text[hit:line_end]
                    if alone
                    else text[hit - (len(before) - len(before.rstrip())) : line_end]
                )
                found.append((text.count("\n", 0, hit), alone, shown.rstrip()))
            position = line_end
        position = max(position, end)
    return found


def keep_comments(old: bytes | None, new: str) -> str:
    """``new`` (what ``dump`` wrote) with the comments of ``old`` (the file it replaces) put
    back; ``new`` itself when the old file has none. The data read back is always the same."""
    if not old or not _MAYBE_COMMENT.search(old) or _as_dump_writes_it(old):
        return new  # before PyYAML is imported: a write of a file without comments never needs it
    _pyyaml()
    try:
        text = old.decode()
        comments = _comments(text)
        if not comments:
            return new
        old_lines = _line_paths(text)
        new_lines = _line_paths(new)
        wanted = load(new)
    except (UnicodeDecodeError, yaml.YAMLError, YamlError):
        return new
    by_path: dict[_KeyPath, int] = {}
    for line, (content, index) in sorted(new_lines.items()):
        by_path.setdefault(content, line)
        by_path.setdefault(index, line)
    anchored = sorted(old_lines)

    def target(line: int, alone: bool) -> int | None:
        """The new line a comment goes with: of its own line's key (trailing), of the next
        key (on a line of its own); None: the end of the file."""
        if alone:
            following = [n for n in anchored if n > line]
            candidates = following[:1]
        else:
            candidates = [n for n in reversed(anchored) if n <= line][:1]
        for old_line in candidates:
            content, index = old_lines[old_line]
            for path in (content, index):
                if path in by_path:
                    return by_path[path]
        return None

    placed = [(target(line, alone), alone, shown) for line, alone, shown in comments]

    def reads_the_same(text: str) -> bool:
        try:
            return bool(load(text) == wanted)
        except YamlError:
            return False

    # After its value where the value still ends on that line, else on a line of its own above
    # it: a comment must never change what the file says (a value now folded over lines, say).
    # (One with no line to go with goes to the end either way.)
    trailing = {i for i, (_line, alone, _shown) in enumerate(placed) if not alone}
    result = _place(new, placed, trailing)
    if reads_the_same(result):
        return result
    inline: set[int] = set()
    result = _place(new, placed, inline)
    if not reads_the_same(result):
        return new + "".join(f"{shown.strip()}\n" for _line, _alone, shown in comments)
    for which in sorted(trailing):
        attempt = _place(new, placed, inline | {which})
        if reads_the_same(attempt):
            inline.add(which)
            result = attempt
    return result


def _as_dump_writes_it(old: bytes) -> bool:
    """Is ``old`` exactly the text ``dump`` writes for its data (so it holds no comment: a ``#``
    in it is text, as in ``see #ops``)? Read by the fast reader and written by the fast writer,
    without PyYAML; False when either leaves the file to PyYAML."""
    from incli.storage import fastdump, fastyaml

    data = fastyaml.load(old)
    written = fastdump.dump(data) if data is not None else None
    return written is not None and written.encode() == old


def _place(new: str, placed: list[tuple[int | None, bool, str]], inline: set[int]) -> str:
    """The comments put into ``new``: before their line, or (those in ``inline``) after it."""
    lines = new.splitlines(keepends=True)
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    tail: list[str] = []
    for index, (line, alone, shown) in enumerate(placed):
        if line is None:
            tail.append(shown.strip() if not alone else shown)
        elif alone:
            before.setdefault(line, []).append(shown)
        elif index in inline:
            after.setdefault(line, []).append(shown)
        else:
            indent = lines[line][: len(lines[line]) - len(lines[line].lstrip())]
            before.setdefault(line, []).append(indent + shown.strip())
    out: list[str] = []
    for number, text in enumerate(lines):
        out.extend(f"{c}\n" for c in before.get(number, []))
        if number in after:
            body = text.rstrip("\n")
            text = body + "".join(after[number]) + text[len(body) :]
        out.append(text)
    out.extend(f"{c}\n" for c in tail)
    return "".join(out)
