"""Spoiling valid input one place at a time, and recording what a parser answers to each (the
golden tests of tests/unit/test_*_golden.py; issue 19).

``spoiled(data)`` yields every one-place change of a JSON-like value: each value replaced by each of
``WRONG``, each key removed, an unknown key added to each mapping. ``answer(parse, data)`` is the
one line a user would read (the error) or ``ok`` and a digest of what was parsed; ``check_golden``
compares the answers with a file beside the test (``INCLI_UPDATE_GOLDEN=1`` rewrites it, for review).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from incli.errors import IncError

# Wrong values put in place of each value: other types, an empty one, a wrong word, a number out of range.
WRONG: list[Any] = [None, "", "bogus", -1, 0, 2.5, True, [], {}, ["bogus"], {"bogus": 1}]


def places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value inside ``value``, parents before children."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from places(item, (*path, index))


def spoiled(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each one-place change of ``data``, named."""
    containers: list[tuple[Any, ...]] = [()] if isinstance(data, dict) else []
    for path in places(data):
        parent = get(data, path[:-1])
        if isinstance(get(data, path), dict):
            containers.append(path)
        for wrong in WRONG:
            changed = copy.deepcopy(data)
            get(changed, path[:-1])[path[-1]] = copy.deepcopy(wrong)
            yield f"{show(path)} = {json.dumps(wrong)}", changed
        if isinstance(parent, dict):
            changed = copy.deepcopy(data)
            del get(changed, path[:-1])[path[-1]]
            yield f"{show(path)} removed", changed
    for path in containers:
        changed = copy.deepcopy(data)
        get(changed, path)["bogus_key"] = 1
        yield f"{show(path) or '(top)'} + bogus_key", changed


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def show(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def plain(value: Any) -> Any:
    """Parsed settings as JSON-able data in a fixed order (sets sorted, objects as their fields)."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {"_": type(value).__name__, **{k: plain(v) for k, v in value._asdict().items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "raw"}
        return {"_": type(value).__name__, **fields}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta, dt.tzinfo)):
        return str(value)
    if hasattr(value, "__dict__"):
        return {"_": type(value).__name__, **{k: plain(v) for k, v in sorted(vars(value).items())}}
    return repr(value)


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(plain(value), sort_keys=True).encode()).hexdigest()[:12]


def answer(parse: Any, data: Any) -> str:
    try:
        parsed = parse(data)
    except IncError as refused:
        return str(refused).replace("\n", "\\n")
    except Exception as crash:  # noqa: BLE001 - a crash is on record as one, and must never be
        return f"CRASH {type(crash).__name__}: {crash}"
    return f"ok {digest(parsed)}"


def check_golden(golden: Path, got: list[str]) -> None:
    """The answers are the ones on record in ``golden``; no answer is a crash."""
    if os.environ.get("INCLI_UPDATE_GOLDEN"):
        golden.write_text("\n".join(got) + "\n", encoding="utf-8")
    expected = golden.read_text(encoding="utf-8").splitlines()
    changed = [f"- {e}\n+ {g}" for e, g in zip(expected, got, strict=False) if e != g]
    assert len(got) == len(expected), f"{len(got)} cases, {len(expected)} on record: regenerate {golden.name}"
    assert not changed, f"{len(changed)} answers changed, the first:\n" + "\n".join(changed[:5])
    assert not [line for line in got if " -> CRASH " in line]


def parse_with(parse: Callable[[Any], Any], name: str, data: Any) -> list[str]:
    """The answer to ``data`` as given and to each spoiled copy of it, one line each."""
    lines = [f"{name} (as given) -> {answer(parse, data)}"]
    lines += [f"{name} {where} -> {answer(parse, changed)}" for where, changed in spoiled(copy.deepcopy(data))]
    return lines
