"""Every way incli.yaml and a schedule file can be wrong, and what incli says of each (issue 19: the
mutation run found the words of most refusals, and some of the checks themselves, untested).

A rich valid incli.yaml (the example's, with escalation, runbooks, checklists and hooks added) is
spoiled one place at a time: every key removed, an unknown key added to every mapping, and every
value replaced by each of a few wrong values. What the parser answers, the one line a user reads or
"ok" with a digest of the settings it read, is compared with tests/unit/config_golden.txt. A
changed message, a check that lets a wrong value through, or a setting read from the wrong key shows
as a changed line there. After a deliberate change, regenerate it and review the diff:

    INCLI_UPDATE_GOLDEN=1 pytest tests/unit/test_config_golden.py
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from incli.domain.config import LAZY_SECTIONS, config_from_dict
from incli.domain.oncall import schedule_from_dict
from incli.errors import IncError

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("config_golden.txt")

EXTRA: dict[str, Any] = {
    "hooks": {
        "timeout": "10s",
        "opened": [{"run": ["./notify.sh", "{id}"], "timeout": "5s"}, {"webhook": "https://hooks.example/x"}],
        "resolved": [{"webhook": "https://hooks.example/y", "format": "slack"}],
    },
    "escalation": {
        "critical": {
            "levels": [
                {"notify": ["schedule:primary"], "wait": "5m"},
                {"notify": ["person:carol", "schedule:managers"], "wait": "10m"},
            ],
            "repeat": 1,
        }
    },
    "runbooks": {"alerts": {"HighLatency": ["runbooks/latency.md"]}, "severity": {"SEV1": ["runbooks/sev1.md"]}},
    "checklists": {"SEV1": ["Open a channel", {"task": "Page the owner", "within": "10m"}], "default": ["Say hi"]},
    "defaults": {"severity": "SEV3"},
}

SCHEDULE: dict[str, Any] = {
    "schema": 1,
    "layers": [
        {
            "name": "layer-1",
            "rotation": ["alice", "bob", "carol"],
            "length": "weekly",
            "handoff": "mon 09:00",
            "start": "2025-10-20",
            "tz": "Europe/Berlin",
        },
        {
            "name": "business",
            "rotation": ["dave"],
            "length": "daily",
            "handoff": "09:00",
            "start": "2025-10-20",
            "tz": "Europe/Berlin",
            "restrictions": ["mon-fri 09:00-17:00", "sat 10:00-12:00"],
        },
    ],
    "overrides": [
        {
            "from": "2025-10-22T09:00:00+02:00",
            "to": "2025-10-23T09:00:00+02:00",
            "who": "erin",
            "by": "alice",
            "reason": "swap",
            "created_at": "2025-10-21T10:00:00+02:00",
        }
    ],
}

# Wrong values put in place of each value: other types, an empty one, a wrong word, a number out of range.
WRONG: list[Any] = [None, "", "bogus", -1, 0, 2.5, True, [], {}, ["bogus"], {"bogus": 1}]


def base_config() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "acme" / "incli.yaml").read_text(encoding="utf-8"))
    data.update(copy.deepcopy(EXTRA))
    data["severities"][0]["escalation"] = "critical"
    return dict(data)


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
    containers: list[tuple[Any, ...]] = [()]
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


def read_config(data: Any) -> Any:
    config = config_from_dict(data)
    return [config, *(config.section(name) for name in LAZY_SECTIONS)]


def answers() -> list[str]:
    lines = [f"config (as written) -> {answer(read_config, base_config())}"]
    lines += [f"config {name} -> {answer(read_config, data)}" for name, data in spoiled(base_config())]
    lines.append(f"schedule (as written) -> {answer(lambda d: schedule_from_dict('primary', d), SCHEDULE)}")
    for name, data in spoiled(copy.deepcopy(SCHEDULE)):
        lines.append(f"schedule {name} -> {answer(lambda d: schedule_from_dict('primary', d), data)}")
    return lines


def test_every_wrong_setting_gets_the_answer_on_record() -> None:
    got = answers()
    if os.environ.get("INCLI_UPDATE_GOLDEN"):
        GOLDEN.write_text("\n".join(got) + "\n", encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    changed = [f"- {e}\n+ {g}" for e, g in zip(expected, got, strict=False) if e != g]
    assert len(got) == len(expected), f"{len(got)} cases, {len(expected)} on record: regenerate {GOLDEN.name}"
    assert not changed, f"{len(changed)} answers changed, the first:\n" + "\n".join(changed[:5])


def test_the_record_refuses_most_wrong_values_and_reads_the_valid_file() -> None:
    """The record itself is not a record of everything being accepted."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("config (as written) -> ok ")
    assert any(line.startswith("schedule (as written) -> ok ") for line in lines)
    refused = [line for line in lines if " -> ok " not in line]
    assert len(refused) > len(lines) // 2
    assert not [line for line in lines if " -> CRASH " in line]
    assert 'config people = "bogus" -> people: must map handles to contact details' in "\n".join(lines)
