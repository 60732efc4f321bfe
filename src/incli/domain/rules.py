"""Prevention rules: thresholds on current metric values. Pure: no I/O.

Config::

    rules:
      - name: db-pool-saturated
        metric: connection_pool_usage
        labels: {service: checkout}     # optional: only samples with these labels
        op: '>'                          # > >= < <=
        threshold: 0.8
        action: open                     # open | notify | run
        severity: SEV2                   # for open
        title: Checkout DB pool above 80%  # optional, for open
        service: checkout                # optional, for open
      - name: cpu-hot
        metric: cpu_usage
        op: '>'
        threshold: 0.75
        action: run
        run: [scripts/scale-out, checkout]  # argv, never a shell
        timeout: 30s
        repeat: false                    # notify/run once per breach (default) or on every watch

Metrics come in the Prometheus text exposition format (``name{label="v"} value
[timestamp]``, ``#`` lines skipped) or as a JSON object ``{"name": value}``.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from incli.domain.severity import Severities
from incli.domain.times import parse_duration
from incli.errors import ConfigError, InvalidInput

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
ACTIONS = ("open", "notify", "run")
RULE_KEYS = {
    "name",
    "metric",
    "labels",
    "op",
    "threshold",
    "action",
    "severity",
    "title",
    "service",
    "run",
    "timeout",
    "repeat",
}
DEFAULT_TIMEOUT = 10.0
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass(frozen=True)
class Rule:
    """A prevention rule of the rules: section."""

    name: str
    metric: str
    op: str
    threshold: float
    action: str
    severity: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    service: str | None = None
    run: tuple[str, ...] | None = None
    timeout: float = DEFAULT_TIMEOUT
    repeat: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metric": self.metric,
            "labels": dict(self.labels),
            "op": self.op,
            "threshold": self.threshold,
            "action": self.action,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class Sample:
    """One sample of a metric read by inc watch."""

    name: str
    labels: dict[str, str]
    value: float

    def selector(self) -> str:
        if not self.labels:
            return self.name
        inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(self.labels.items()))
        return f"{self.name}{{{inner}}}"

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.name, "labels": dict(self.labels), "value": number(self.value)}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> float | int | str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return int(value) if value.is_integer() else value


def format_value(value: float) -> str:
    return str(number(value))


# -- config --------------------------------------------------------------------


def command_arg(value: str | int | float) -> str:
    """One argv element as the user wrote it: YAML's ``false`` is the word false, not False."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_rules(raw: Any, severities: Severities) -> list[Rule]:
    """The ``rules:`` section, checked; ConfigError names the first problem."""
    where = "rules"
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(where, "must be a list of rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        rule = _rule(item, f"rules[{index}]", severities)
        if rule.name in seen:
            raise ConfigError(f"rules[{index}]", f"the name {rule.name!r} is used twice")
        seen.add(rule.name)
        rules.append(rule)
    return rules


def _rule(item: Any, where: str, severities: Severities) -> Rule:
    if not isinstance(item, dict):
        raise ConfigError(where, "expected a mapping with name, metric, op, threshold, action")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(where, "needs a name")
    name = name.strip()
    where = f"{where} ({name})"
    unknown = set(item) - RULE_KEYS
    if unknown:
        raise ConfigError(where, f"unknown key {sorted(unknown)[0]!r}; known: {', '.join(sorted(RULE_KEYS))}")
    metric = item.get("metric")
    if not isinstance(metric, str) or not _NAME.fullmatch(metric.strip()):
        raise ConfigError(where, "metric must be a metric name such as connection_pool_usage")
    op = item.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise ConfigError(where, f"op must be one of {' '.join(OPS)}, not {op!r} (quote it in YAML: op: '>')")
    threshold = item.get("threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ConfigError(where, f"threshold must be a number, not {threshold!r}")
    action = item.get("action")
    if action not in ACTIONS:
        raise ConfigError(where, f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    severity = item.get("severity")
    if action == "open" and severity is None:
        raise ConfigError(where, "action open needs a severity such as SEV2")
    if severity is not None:
        try:
            severity = severities.severity(str(severity)).id
        except InvalidInput as exc:
            raise ConfigError(where, f"{exc}") from None
    labels = item.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and _LABEL.fullmatch(k) for k in labels):
        raise ConfigError(where, "labels must map label names to values")
    run = item.get("run")
    argv: tuple[str, ...] | None = None
    if action == "run":
        if isinstance(run, str):
            raise ConfigError(
                where,
                "run must be a list of arguments such as [scripts/scale-out, checkout] (incli never runs a shell)",
            )
        if not isinstance(run, list) or not run or not all(isinstance(a, (str, int, float)) for a in run):
            raise ConfigError(where, "action run needs run: a non-empty list of arguments")
        argv = tuple(command_arg(a) for a in run)
    elif run is not None:
        raise ConfigError(where, "run is only for action run")
    timeout = DEFAULT_TIMEOUT
    if "timeout" in item:
        value = item["timeout"]
        try:
            timeout = (
                float(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else parse_duration(str(value)).total_seconds()
            )
        except InvalidInput as exc:
            raise ConfigError(where, f"timeout: {exc}") from None
        if timeout <= 0:
            raise ConfigError(where, "timeout must be more than zero")
    repeat = item.get("repeat", False)
    if not isinstance(repeat, bool):
        raise ConfigError(where, "repeat must be true or false")
    for key in ("title", "service"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise ConfigError(where, f"{key} must be text")
    return Rule(
        name=name,
        metric=metric.strip(),
        op=op,
        threshold=float(threshold),
        action=action,
        severity=severity,
        labels={k: str(v) for k, v in labels.items()},
        title=(item.get("title") or "").strip() or None,
        service=(item.get("service") or "").strip() or None,
        run=argv,
        timeout=timeout,
        repeat=repeat,
    )


# -- metrics -------------------------------------------------------------------


def parse_metrics(text: str, where: str = "metrics") -> list[Sample]:
    """JSON ``{name: value}`` when the first non-space character is ``{``, else Prometheus text."""
    if text.lstrip().startswith("{"):
        return parse_json_metrics(text, where)
    return parse_prometheus(text, where)


def parse_json_metrics(text: str, where: str) -> list[Sample]:
    """``{name: value}``; the text starts with ``{``, so what parses is an object."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(where, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    samples = []
    for name, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(where, f"{name}: expected a number, found {json.dumps(value)}")
        try:
            number = float(value)  # a string too: "NaN", "+Inf" and "-Inf" as Prometheus writes them
        except ValueError:
            raise ConfigError(where, f"{name}: expected a number, found {value!r}") from None
        samples.append(Sample(str(name), {}, number))
    return samples


def parse_prometheus(text: str, where: str) -> list[Sample]:
    samples = []
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines: a label value may hold U+2028
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            samples.append(_sample(stripped))
        except ValueError as exc:
            raise InvalidInput(f"{where}:{number}: {exc}: {stripped[:80]}") from None
    return samples


def _sample(line: str) -> Sample:
    match = _NAME.match(line)
    if not match:
        raise ValueError("expected a metric name")
    name = match.group(0)
    pos = match.end()
    labels: dict[str, str] = {}
    if pos < len(line) and line[pos] == "{":
        pos += 1
        while True:
            while pos < len(line) and line[pos] in " \t":
                pos += 1
            if pos < len(line) and line[pos] == "}":
                pos += 1
                break
            label = _LABEL.match(line, pos)
            if not label:
                raise ValueError("expected a label name")
            pos = label.end()
            if line[pos : pos + 2] != '="':
                raise ValueError(f'expected ="..." after label {label.group(0)}')
            pos += 2
            chars: list[str] = []
            while True:
                if pos >= len(line):
                    raise ValueError("unterminated label value")
                char = line[pos]
                if char == "\\" and pos + 1 < len(line):
                    nxt = line[pos + 1]
                    chars.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
                    pos += 2
                    continue
                if char == '"':
                    pos += 1
                    break
                chars.append(char)
                pos += 1
            labels[label.group(0)] = "".join(chars)
            while pos < len(line) and line[pos] in " \t":
                pos += 1
            if pos < len(line) and line[pos] == ",":
                pos += 1
            elif pos < len(line) and line[pos] == "}":
                pos += 1
                break
            else:
                raise ValueError("expected , or } in the labels")
    rest = line[pos:].split()
    if not rest or len(rest) > 2:
        raise ValueError("expected a value (and an optional timestamp) after the metric")
    try:
        value = float(rest[0])  # NaN, +Inf, -Inf in any case
    except ValueError:
        raise ValueError(f"{rest[0]!r} is not a number") from None
    return Sample(name, labels, value)


# -- evaluation ----------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """A rule against its samples: whether it crossed its threshold."""

    rule: Rule
    samples: list[Sample]  # every sample the rule looks at
    crossing: list[Sample]  # those past the threshold

    @property
    def status(self) -> str:
        if not self.samples:
            return "missing"
        return "firing" if self.crossing else "ok"

    def worst(self) -> Sample | None:
        if not self.crossing:
            return None
        pick = max if self.rule.op.startswith(">") else min
        return pick(self.crossing, key=lambda s: s.value)

    def describe(self) -> str:
        rule = self.rule
        if not self.samples:
            extra = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(rule.labels.items())) + "}" if rule.labels else ""
            return f"no sample of {rule.metric}{extra}"
        if self.crossing:
            shown = ", ".join(f"{s.selector()} = {format_value(s.value)}" for s in self.crossing[:5])
            more = f" and {len(self.crossing) - 5} more" if len(self.crossing) > 5 else ""
            return f"{shown}{more} {rule.op} {format_value(rule.threshold)}"
        highest = (
            max(self.samples, key=lambda s: s.value)
            if rule.op.startswith(">")
            else min(self.samples, key=lambda s: s.value)
        )
        return f"{highest.selector()} = {format_value(highest.value)}, not {rule.op} {format_value(rule.threshold)}"


def evaluate(rule: Rule, samples: list[Sample]) -> Evaluation:
    check = OPS[rule.op]
    looked = [s for s in samples if s.name == rule.metric and all(s.labels.get(k) == v for k, v in rule.labels.items())]
    crossing = [s for s in looked if not math.isnan(s.value) and check(s.value, rule.threshold)]
    return Evaluation(rule, looked, crossing)
