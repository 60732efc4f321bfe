"""The one JSON reader every alert source uses: a payload it cannot read is InvalidInput, in one line.

``json.loads`` alone lets through, or fails with something other than a
``ValueError`` for, what a sender can put in a body: nesting deep enough to
exhaust the parser's recursion (``RecursionError``), integers past Python's
digit limit, ``NaN``/``Infinity`` (not JSON), and escapes that decode to a lone
surrogate (``"\\ud800"``), which no file can hold as UTF-8. Each of those is
refused here, so nothing read from a payload can later fail to be written.
"""

from __future__ import annotations

import json
from typing import Any

from incli.errors import InvalidInput

MAX_DEPTH = 64  # no alert payload nests deeper than a handful of levels
MAX_NUMBER_DIGITS = 100


def _number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise InvalidInput(f"a number in the payload has more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise InvalidInput(f"a number in the payload has more than {MAX_NUMBER_DIGITS} digits")
    return float(text)


def _constant(name: str) -> Any:
    raise InvalidInput(f"{name} is not a JSON value")


def loads(data: bytes | str, what: str = "the payload") -> Any:
    """Decode JSON text (UTF-8 bytes or str); InvalidInput says what is wrong with it."""
    try:
        return decode(data, what)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def decode(data: bytes | str, what: str = "the payload") -> Any:
    """As ``loads``, but malformed syntax stays ``json.JSONDecodeError``, for a caller with
    its own words for that (``inc import`` names the row); every other hazard is InvalidInput."""
    try:
        value = json.loads(data, parse_int=_number, parse_float=_float, parse_constant=_constant)
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} is not UTF-8 text") from None
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise InvalidInput(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # e.g. text that is neither UTF-8 nor another JSON encoding
        raise InvalidInput(f"{what} cannot be read as JSON: {exc}") from None
    check(value, what)
    return value


def check(value: Any, what: str = "the payload") -> None:
    """Refuse values nested deeper than MAX_DEPTH and text that is not valid Unicode."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _text(item, what)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidInput(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)")
            if isinstance(item, dict):
                for key, child in item.items():
                    _text(key, what)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise InvalidInput(
            f"{what} has text that is not valid Unicode (a lone surrogate \\u{ord(bad):04x} at character {exc.start})"
        ) from None
