"""A fast reader for incident files in the exact shape incli writes them.

PyYAML's loader spends most of its time building Python objects in Python
(about 0.4 ms for a typical incident file even with the C parser). incli writes
its files with a fixed, simple layout: top-level ``key: scalar`` lines, ``{}`` and
``[]``, a block list of scalars (``tags``), a mapping of scalars (``roles``) and a
list of flat mappings (``timeline``), every scalar on one line, plain or
single-quoted.

``load`` reads exactly that subset and returns None for anything else (a
literal block, a double-quoted string, a nested mapping such as a postmortem,
a long value wrapped onto the next line, a tab, a comment, ...), and the
caller then uses PyYAML. Whatever it does return is what ``yamlio.load`` would
return for the same bytes (tests compare the two on many files), with the same
resolution rules: only true/false, null, plain integers and floats are typed.
"""

from __future__ import annotations

import re
from typing import Any

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?\Z")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"~", "null", "Null", "NULL", ""}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
# A plain scalar cannot start with an indicator; these are left to PyYAML.
_NOT_FIRST = frozenset("-?:,[]{}#&*!|>'\"%@` \t")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]")


class _Unsupported(Exception):
    pass


def _scalar(text: str) -> Any:
    if not text:
        return None
    first = text[0]
    if first == "'":
        if len(text) < 2 or text[-1] != "'":
            raise _Unsupported
        inner = text[1:-1]
        if "'" in inner.replace("''", ""):
            raise _Unsupported
        return inner.replace("''", "'")
    if first in _NOT_FIRST or text[-1] in " \t:" or ": " in text or " #" in text or "\t" in text:
        raise _Unsupported
    if text in _BOOL:
        return _BOOL[text]
    if text in _NULL:
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        if "n" in text or "N" in text:  # .inf and .nan: PyYAML's own spelling rules apply
            raise _Unsupported
        return float(text)
    return text


def _value(rest: str | None) -> Any:
    if rest is None:
        return None
    if rest == "{}":
        return {}
    if rest == "[]":
        return []
    return _scalar(rest)


def load(data: bytes) -> dict[str, Any] | None:
    """The file's top-level mapping, or None when it is not in incli's simple shape."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.endswith("\n") or "\r" in text or "\t" in text or _CONTROL.search(text):
        return None
    lines = text.split("\n")
    lines.pop()  # the empty string after the final newline
    try:
        return _document(lines)
    except _Unsupported:
        return None


def _document(lines: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    count = len(lines)
    i = 0
    while i < count:
        line = lines[i]
        match = _KEY.match(line)
        if match is None:
            raise _Unsupported
        key, rest = match.group(1), match.group(2)
        if key in result or key in _BOOL or key in _NULL:
            raise _Unsupported
        i += 1
        if rest is None and i < count and lines[i].startswith("- "):
            items: list[Any] = []
            while i < count and lines[i].startswith("- "):
                item = lines[i][2:]
                i += 1
                pair = _KEY.match(item)
                if pair is None:
                    items.append(_scalar(item))
                    continue
                entry = {pair.group(1): _value_flat(pair.group(2))}
                while i < count and lines[i].startswith("  "):
                    inner = _KEY.match(lines[i][2:])
                    if inner is None or inner.group(1) in entry:
                        raise _Unsupported
                    entry[inner.group(1)] = _value_flat(inner.group(2))
                    i += 1
                items.append(entry)
            result[key] = items
        elif rest is None and i < count and lines[i].startswith("  "):
            mapping: dict[str, Any] = {}
            while i < count and lines[i].startswith("  "):
                inner = _KEY.match(lines[i][2:])
                if inner is None or inner.group(1) in mapping:
                    raise _Unsupported
                mapping[inner.group(1)] = _value_flat(inner.group(2))
                i += 1
            result[key] = mapping
        else:
            result[key] = _value(rest)
    return result


def _value_flat(rest: str | None) -> Any:
    """A value inside a nested mapping: a scalar only (a deeper structure goes to PyYAML)."""
    if rest is None:
        return None
    if rest in ("{}", "[]"):
        raise _Unsupported
    return _scalar(rest)
