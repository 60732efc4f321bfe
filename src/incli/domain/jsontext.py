"""JSON text as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it, faster.

With ``indent`` set, the standard library leaves its C encoder for a pure-Python one; the
index writes the ``--json`` text of every incident it reads (100,000 on a first run), so this
writes the same bytes with the C string encoder and no generator machinery. Anything it does
not know (a key that is not text, a type json would refuse or convert) goes to json.dumps
itself, so the text is always exactly the standard library's.
"""

from __future__ import annotations

import json
from typing import Any

try:
    from _json import encode_basestring as _text
except ImportError:  # pragma: no cover - another Python
    from json.encoder import py_encode_basestring as _text  # type: ignore[assignment,unused-ignore]

_FLOAT_SPECIAL = {float("inf"): "Infinity", float("-inf"): "-Infinity"}


class _Other(Exception):
    """A value this encoder leaves to json.dumps."""


def dumps(value: Any, base: int = 0) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` with every line but the first
    indented by ``base`` more spaces (and the first by ``base`` too)."""
    out: list[str] = [" " * base]
    try:
        _encode(value, base, out)
    except _Other:
        text = json.dumps(value, indent=2, ensure_ascii=False)
        pad = " " * base
        return pad + text.replace("\n", "\n" + pad) if base else text
    return "".join(out)


def _encode(value: Any, level: int, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_text(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        if value != value:
            out.append("NaN")
        else:
            out.append(_FLOAT_SPECIAL.get(value) or float.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = "\n" + " " * (level + 2)
        first = True
        for key, item in value.items():
            if type(key) is not str:
                raise _Other
            out.append("{" + inner if first else "," + inner)
            first = False
            out.append(_text(key))
            out.append(": ")
            _encode(item, level + 2, out)
        out.append("\n" + " " * level + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = "\n" + " " * (level + 2)
        for index, item in enumerate(value):
            out.append("[" + inner if index == 0 else "," + inner)
            _encode(item, level + 2, out)
        out.append("\n" + " " * level + "]")
    else:
        raise _Other
