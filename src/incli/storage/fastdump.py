"""A fast writer for the documents incli writes, without PyYAML.

Importing PyYAML costs about 25 ms, a large part of what ``inc ack`` may take, and its
representers cost more per write. ``dump`` writes exactly the text ``yamlio.dump`` would
write through PyYAML (libyaml's emitter, with incli's representers and options:
``sort_keys=False, allow_unicode=True, default_flow_style=False, width=100, indent=2``), byte
for byte, for the shapes incident files hold, and returns None for anything it is not sure
of; the caller then uses PyYAML.

What it writes, as libyaml does (src/emitter.c: ``yaml_emitter_analyze_scalar``,
``yaml_emitter_select_scalar_style``, the block states):

- a top-level mapping; nested mappings to any depth, each level two spaces in; a list under a
  key at the key's own indentation (``tags:\\n- a``), a list item's mapping starting on the
  ``- `` line; ``{}`` and ``[]`` for empty ones;
- None as an empty value (``key:``), true/false, integers;
- a one-line text plain where YAML 1.1 reads it back as the same text and no indicator
  stands in the way, else single-quoted with ``''`` for a quote (``yamlio.str_style`` also
  asks for quotes where incli's own loader would read another type); past column 100, folded
  at a single space onto the next line, as libyaml folds it;
- multi-line text as a literal block (``|``, ``|-``, ``|+``, with ``2`` when it starts with a
  space or a line break), when ``yamlio.str_style`` asks for one.

None for: other types (floats, dates, tuples, subclasses), keys that are not short one-line
texts, characters libyaml would escape (controls, tabs, U+0085, U+2028/9, U+FEFF, anything
past U+FFFF, lone surrogates), multi-line text written quoted, a list or mapping met twice
(PyYAML writes an anchor), and a ``|+`` block that is not the document's last value (PyYAML's
C and Python emitters then end the document differently). tests/unit/test_fastdump.py holds
all of this to PyYAML's output.
"""

from __future__ import annotations

import re
from typing import Any

from incli.storage import yamlio

WIDTH = 100  # yamlio.dump's width: libyaml folds a plain or quoted text at a space past it
MAX_DEPTH = 100
_MAX_INT = 10**18

# PyYAML's YAML 1.1 implicit resolvers (yaml/resolver.py, Resolver), which its dumper uses to
# decide whether a text can be written plain: one that matches would read back as another
# type, so it is quoted. Copied as is; a test compares them with PyYAML's own.
YAML11_TYPES: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    (
        "tag:yaml.org,2002:bool",
        r"""^(?:yes|Yes|YES|no|No|NO
                    |true|True|TRUE|false|False|FALSE
                    |on|On|ON|off|Off|OFF)$""",
        re.X,
        tuple("yYnNtTfFoO"),
    ),
    (
        "tag:yaml.org,2002:float",
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""",
        re.X,
        tuple("-+0123456789."),
    ),
    (
        "tag:yaml.org,2002:int",
        r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
        re.X,
        tuple("-+0123456789"),
    ),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", 0, ("<",)),
    (
        "tag:yaml.org,2002:null",
        r"""^(?: ~
                    |null|Null|NULL
                    | )$""",
        re.X,
        ("~", "n", "N", ""),
    ),
    (
        "tag:yaml.org,2002:timestamp",
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        re.X,
        tuple("0123456789"),
    ),
    ("tag:yaml.org,2002:value", r"^(?:=)$", 0, ("=",)),
    ("tag:yaml.org,2002:yaml", r"^(?:!|&|\*)$", 0, tuple("!&*")),
)
_YAML11_BY_FIRST: dict[str, tuple[tuple[str, int], ...]] = {
    char: tuple((pattern, flags) for _tag, pattern, flags, first in YAML11_TYPES if char in first)
    for char in {char for *_rest, first in YAML11_TYPES for char in first}
}
# Compiled when a text starting with that character is first written: compiling them all
# (in Python) would cost more than this whole module takes to write an incident.
_YAML11_COMPILED: dict[str, tuple[re.Pattern[str], ...]] = {}

# A one-line text libyaml will not write plain in a block (analyze_scalar's indicators, a
# leading or trailing space): at its start, or anywhere in it.
_NOT_PLAIN = r"\A(?:[-?:](?: |\Z)|[#,\[\]{}&*!|>'\"%@` ]|---|\.\.\.)|: | #|:\Z| \Z"
_not_plain: re.Pattern[str] | None = None


def _reads_as_another_type(text: str) -> bool:
    """Would YAML 1.1 (PyYAML's resolver) read ``text`` written plain as something else?"""
    first = text[0]
    patterns = _YAML11_COMPILED.get(first)  # pragma: no mutate (a cache: a miss compiles them again)
    if patterns is None:
        patterns = tuple(re.compile(pattern, flags) for pattern, flags in _YAML11_BY_FIRST.get(first, ()))
        _YAML11_COMPILED[first] = patterns  # pragma: no mutate (a cache: a miss compiles them again)
    return any(pattern.match(text) for pattern in patterns)


def _escaped(text: str) -> bool:
    """Would libyaml escape a character of ``text`` (and so write it double-quoted)? It writes
    as they are \\n, U+0020-U+007E, U+00A0-U+D7FF and U+E000-U+FFFD but U+FEFF (IS_PRINTABLE,
    with allow_unicode); U+2028 and U+2029 count here too, as line breaks it treats apart."""
    line = text.replace("\n", " ") if "\n" in text else text
    # Python's printable characters of the first plane are a part of those (the others are
    # controls, format characters, surrogates, unassigned ones and separators): a quick yes.
    if line.isprintable():
        return not line.isascii() and max(line) > "\uffff"
    for char in line:
        if not (" " <= char <= "~" or "\xa0" <= char <= "\ud7ff" or "\ue000" <= char <= "\ufffd"):
            return True
        if char in "\u2028\u2029\ufeff":
            return True
    return False


class _Unsupported(Exception):
    """A document ``dump`` leaves to PyYAML."""


def dump(data: Any) -> str | None:
    """``yamlio.dump(data)``'s text, or None when it is not certain to be exactly that."""
    if type(data) is not dict:
        return None
    if not data:
        return "{}\n"
    writer = _Writer()
    try:
        writer.mapping(data, 0, "", 0)
    except (_Unsupported, RecursionError):
        return None
    if writer.kept_end:
        # both emitters mark the end of a document whose last value keeps its final line breaks
        writer.out.append("...\n")
    return "".join(writer.out)


def _one_line(text: str, column: int, indent: int) -> str:
    """A text without a line break as written from ``column`` on its line: plain, or
    single-quoted where plain would not read back as the same text; folded as libyaml folds
    it, its next lines ``indent`` spaces in (-1: never folded, as a key)."""
    if not text:
        return "''"
    if _escaped(text):
        raise _Unsupported
    global _not_plain
    if _not_plain is None:
        _not_plain = re.compile(_NOT_PLAIN)
    quoted = _not_plain.search(text) is not None or _reads_as_another_type(text) or yamlio.str_style(text) is not None
    written = "'" + text.replace("'", "''") + "'" if quoted else text
    if indent < 0:
        return written
    if column + len(written) <= WIDTH:  # (< would do too: at exactly WIDTH _folded folds nothing)
        return written
    return _folded(text, quoted, column, indent)


def _folded(text: str, quoted: bool, column: int, indent: int) -> str:
    """``text`` folded as libyaml's write_plain_scalar and write_single_quoted_scalar fold it:
    a single space (neither the first nor the last character, nor next to another space)
    met past column ``WIDTH`` becomes a line break and ``indent`` spaces."""
    words = text.split(" ")  # a space between each two; "" beside another space or at an end
    last = len(words) - 1
    out = ["'"] if quoted else []
    at = column + len(out)
    for number, word in enumerate(words):
        if quoted:
            word = word.replace("'", "''")
        out.append(word)
        at += len(word)
        if number < last:
            if at > WIDTH and word and words[number + 1]:
                out.append("\n" + " " * indent)
                at = indent
            else:
                out.append(" ")
                at += 1
    if quoted:
        out.append("'")
    return "".join(out)


_KEYS: dict[str, str] = {}  # keys as written: a document holds few, written again and again
_KEYS_KEPT = 1000


def _key(key: object) -> str:
    if type(key) is not str:
        raise _Unsupported
    written = _KEYS.get(key)  # pragma: no mutate (a cache: a miss writes the key again, the same)
    if written is not None:
        return written
    if not key or "\n" in key:
        raise _Unsupported  # an empty key is written differently by PyYAML's two emitters
    written = _one_line(key, 0, -1)  # a key is never folded
    if len(key.encode()) > WIDTH:
        raise _Unsupported  # a long key is a complex key (``? key``)
    if len(_KEYS) < _KEYS_KEPT:
        _KEYS[key] = written  # pragma: no mutate (a cache: a miss writes the key again, the same)
    return written


class _Writer:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.seen: set[int] = set()
        self.kept_end = False  # the last value written is a ``|+`` block

    def _enter(self, node: object, depth: int) -> None:
        if id(node) in self.seen:
            raise _Unsupported  # PyYAML writes an anchor and an alias
        if depth > MAX_DEPTH:
            raise _Unsupported
        self.seen.add(id(node))

    def _literal(self, text: str, indent: int) -> str:
        """``|`` with its hints, the line break, and the lines ``indent`` spaces in."""
        if _escaped(text) or yamlio.str_style(text) != "|":
            raise _Unsupported
        hints = "2" if text[0] in " \n" else ""
        if text[-1] != "\n":
            hints += "-"
        elif len(text) == 1 or text[-2] == "\n":
            hints += "+"
        self.kept_end = hints.endswith("+")
        pad = " " * indent
        body = "\n".join(pad + line if line else line for line in text.split("\n"))
        return f"|{hints}\n{body}\n" if text[-1] != "\n" else f"|{hints}\n{body}"

    def _value(self, head: str, value: Any, indent: int, depth: int, item: bool) -> None:
        """Finish the line ``head`` (a key and its colon, or with ``item`` a list item's dash)
        with ``value``, in a collection ``indent`` spaces in; a nested block goes below, but
        for a list item it starts on the dash's line."""
        if self.kept_end:
            # After a block keeping its final line breaks, libyaml ends the document with
            # ``...`` and PyYAML's Python emitter does not: only the last value may be one.
            raise _Unsupported
        kind = type(value)
        if kind is str:
            if "\n" in value:
                self.out.append(f"{head} {self._literal(value, indent + 2)}")
            else:
                self.out.append(f"{head} {_one_line(value, len(head) + 1, indent + 2)}\n")
        elif value is None:
            self.out.append(head + "\n")
        elif kind is bool:
            self.out.append(f"{head} {'true' if value else 'false'}\n")
        elif kind is int:
            if not -_MAX_INT < value < _MAX_INT:
                raise _Unsupported
            self.out.append(f"{head} {value}\n")
        elif kind is dict:
            if value:
                if item:
                    self.mapping(value, indent + 2, head + " ", depth + 1)
                else:
                    self.out.append(head + "\n")
                    self.mapping(value, indent + 2, " " * (indent + 2), depth + 1)
            else:
                self._enter(value, depth + 1)
                self.out.append(head + " {}\n")
        elif kind is list:
            if value:
                if item:
                    self.sequence(value, indent + 2, head + " ", depth + 1)
                else:  # under a key: at the key's own indentation
                    self.out.append(head + "\n")
                    self.sequence(value, indent, " " * indent, depth + 1)
            else:
                self._enter(value, depth + 1)
                self.out.append(head + " []\n")
        else:
            raise _Unsupported

    def mapping(self, data: dict[Any, Any], indent: int, lead: str, depth: int) -> None:
        """A non-empty mapping whose keys are ``indent`` spaces in; the first line starts with
        ``lead`` (the indentation, or a list item's dash)."""
        self._enter(data, depth)
        pad = " " * indent
        line = lead
        for key, value in data.items():
            self._value(line + _key(key) + ":", value, indent, depth, False)
            line = pad

    def sequence(self, items: list[Any], indent: int, lead: str, depth: int) -> None:
        """A non-empty list whose dashes are ``indent`` spaces in; the first line starts with
        ``lead``."""
        self._enter(items, depth)
        pad = " " * indent
        line = lead
        for item in items:
            self._value(line + "-", item, indent, depth, True)
            line = pad
