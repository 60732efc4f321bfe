"""Reliability metrics: pure functions over the few facts of each incident they need.

Every duration metric is reported as n, mean, median and p90 side by side,
because incident durations are heavily skewed and a mean alone misleads.

- median: the middle value of the sorted durations (the mean of the two middle
  values when n is even).
- p90: nearest rank: the smallest duration that at least 90% of the durations
  do not exceed, i.e. the ceil(0.9 * n)-th smallest. It is always a duration
  that actually happened.

An incident missing either milestone of a metric is left out of that metric
only (n says how many counted); so is a milestone an import had to fill in
(listed in ``source.derived``). Durations never use "now" for a missing end, so
an active incident never counts as zero or as a negative duration; a pair of
milestones out of order is left out too.

MTBF is the mean gap between the starts (``started_at``) of consecutive
incidents in scope; its n is the number of gaps (incidents - 1).

The facts are plain values (times as POSIX seconds) so that a repository of
100,000 incidents is measured without building 100,000 full incidents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from incli.domain.model import TIME_FIELDS, Incident, action_states, assumed_times, service_key
from incli.domain.postmortem import action_overdue, state_of_postmortem
from incli.domain.search import duplicate_of
from incli.domain.severity import unknown_key
from incli.domain.times import parse_iso
from incli.errors import ConfigError, InvalidInput

GROUP_BY = ("severity", "service", "month", "tag", "team")


@dataclass(frozen=True)
class MetricDef:
    """A metric: the span between two milestones, with its label."""

    key: str
    label: str
    start: str
    end: str
    what: str


DEFAULT_METRICS = (
    MetricDef("mttd", "Time to detect", "started_at", "detected_at", "from impact start to detection"),
    MetricDef(
        "mtta",
        "Time to acknowledge",
        "detected_at",
        "acknowledged_at",
        "from detection to the first acknowledgement",
    ),
    MetricDef(
        "mttm",
        "Time to mitigate",
        "started_at",
        "mitigated_at",
        "from impact start to mitigation (impact stopped)",
    ),
    MetricDef("mttr", "Time to resolve", "started_at", "resolved_at", "from impact start to resolution"),
)
MTBF_LABEL = "Time between failures"
MTBF_WHAT = "the gap between the started_at of consecutive incidents in scope (n = gaps)"

# What each statistic of a metric is (computed in summarize), for `inc help metrics`.
STATISTICS = (
    ("n", "how many incidents were measured (an incident missing either end of the span is left out)"),
    ("mean", "the arithmetic mean"),
    ("median", "the middle value (the mean of the two middle values when n is even)"),
    ("p90", "nearest rank: the ceil(0.9 x n)-th smallest value (always a duration that happened)"),
)


# The order of the time fields inside Facts.times.
TIME_INDEX = {name: index for index, name in enumerate(TIME_FIELDS)}


class Facts(NamedTuple):
    """What metrics and listings need of one incident (times in POSIX seconds). A tuple, so that
    the index's copy (``to_tuple``) becomes one again at the cost of a tuple: a listing of
    100,000 incidents makes 100,000 of them."""

    id: str
    title: str
    severity: str
    status: str
    service: str | None
    tags: tuple[str, ...]
    drill: bool
    times: tuple[float | None, ...]  # in TIME_FIELDS order
    postmortem_state: str | None
    postmortem_published_at: float | None
    actions: tuple[tuple[str, str | None], ...]  # (status, due date text)
    # Times nobody gave (the incident's ``assumed:``): real for listing, left out of metrics.
    derived: tuple[str, ...] = ()
    # Linked as a duplicate of another incident (inc link --as duplicate): left out of metrics.
    duplicate: bool = False

    def time(self, name: str) -> float | None:
        return self.times[TIME_INDEX[name]]

    def measured(self) -> tuple[float | None, ...]:
        """The times metrics may use: derived ones are None."""
        if not self.derived:
            return self.times
        # strict is an assertion: times holds one value per TIME_FIELDS (facts_tuple_ok checks cached ones).
        pairs = zip(TIME_FIELDS, self.times, strict=True)  # pragma: no mutate
        return tuple(None if name in self.derived else t for name, t in pairs)

    def to_tuple(self) -> tuple[Any, ...]:
        """A plain tuple of the fields, in their order (what the index keeps: marshal takes no subclass)."""
        return tuple(self)


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value.strip():
        moment = parse_iso(value.strip())
        return moment.timestamp() if moment is not None and moment.tzinfo is not None else None
    return None


def _text(value: Any) -> bool:
    return type(value) is str


def _texts(value: Any) -> bool:
    return type(value) is tuple and all(type(item) is str for item in value)


def _moment(value: Any) -> bool:
    return value is None or type(value) is float or type(value) is int


def facts_tuple_ok(values: Any) -> bool:
    """Is this exactly what ``Facts.to_tuple`` makes (a cached copy of unknown origin)?"""
    if type(values) is not tuple or len(values) != len(Facts._fields):
        return False
    ident, title, severity, status, service, tags, drill, times, pm_state, pm_published, actions, derived, dup = values
    return (
        _text(ident)
        and _text(title)
        and _text(severity)
        and _text(status)
        and (service is None or _text(service))
        and _texts(tags)
        and type(drill) is bool
        and type(times) is tuple
        and len(times) == len(TIME_FIELDS)
        and all(_moment(t) for t in times)
        and (pm_state is None or _text(pm_state))
        and _moment(pm_published)
        and type(actions) is tuple
        and all(type(a) is tuple and len(a) == 2 and _text(a[0]) and (a[1] is None or _text(a[1])) for a in actions)
        and _texts(derived)
        and all(name in TIME_INDEX for name in derived)
        and type(dup) is bool
    )


def facts_from_incident(incident: Incident) -> Facts:
    postmortem = incident.extra.get("postmortem")
    pm_state: str | None = None
    pm_published: float | None = None
    if isinstance(postmortem, dict):
        pm_state = state_of_postmortem(postmortem)
        pm_published = _epoch(postmortem.get("published_at"))
    actions = action_states(incident.extra)
    times = tuple(moment.timestamp() if (moment := incident.time(name)) is not None else None for name in TIME_FIELDS)
    derived = assumed_times(incident.extra)
    return Facts(
        id=incident.id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        service=incident.service,
        tags=tuple(incident.tags),
        drill=incident.drill,
        times=times,
        postmortem_state=pm_state,
        postmortem_published_at=pm_published,
        actions=tuple(actions),
        derived=derived,
        duplicate=duplicate_of(incident) is not None,
    )


# -- configuration ------------------------------------------------------------


def metric_defs(section: Any) -> list[MetricDef]:
    """The duration metrics, with the config's ``metrics:`` section applied.

    ``metrics: {mttr: {start: started_at, end: mitigated_at}}`` changes a
    metric's milestones; a new key (``time_to_declare: {start: detected_at,
    end: opened_at}``) adds a metric. ConfigError names what is wrong.
    """
    defs = {d.key: d for d in DEFAULT_METRICS}
    if section is None:
        return list(defs.values())
    if not isinstance(section, dict):
        raise ConfigError("metrics", "must map a metric (mttr) to {start: FIELD, end: FIELD}")
    for key, spec in section.items():
        key = str(key)
        if key == "mtbf":
            raise ConfigError("metrics.mtbf", "cannot be configured: it is the gap between starts")
        if not isinstance(spec, dict):
            raise ConfigError(f"metrics.{key}", "must be {start: FIELD, end: FIELD}")
        unknown_key(spec, ("start", "end", "label"), f"metrics.{key}")
        base = defs.get(key)
        start = str(spec.get("start") or (base.start if base else ""))
        end = str(spec.get("end") or (base.end if base else ""))
        for which, name in (("start", start), ("end", end)):
            if name not in TIME_FIELDS:
                raise ConfigError(f"metrics.{key}.{which}", f"is {name or 'missing'}; one of {', '.join(TIME_FIELDS)}")
        label = str(spec.get("label") or (base.label if base else key))
        defs[key] = MetricDef(key, label, start, end, f"from {start} to {end}")
    return list(defs.values())


# -- statistics ---------------------------------------------------------------


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """``{"n", "mean_seconds", "median_seconds", "p90_seconds"}``; null statistics when n is 0."""
    n = len(values)
    if not n:
        return {"n": 0, "mean_seconds": None, "median_seconds": None, "p90_seconds": None}
    ordered = sorted(values)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    p90 = ordered[max(math.ceil(0.9 * n) - 1, 0)]
    return {
        "n": n,
        "mean_seconds": float(math.fsum(ordered) / n),
        "median_seconds": float(median),
        "p90_seconds": float(p90),
    }


# A span that ends in a response (acknowledged, mitigated, resolved) and starts at
# detection or impact start counts from the declaration when its own start is unknown,
# as PagerDuty counts from the trigger. Time to detect never falls back.
FALLBACK_START = "opened_at"
FALLBACK_ENDS = ("acknowledged_at", "mitigated_at", "resolved_at")


def falls_back(start: str, end: str) -> bool:
    return end in FALLBACK_ENDS and start in ("detected_at", "started_at")


def _durations(facts: Iterable[Facts], start: str, end: str) -> tuple[list[float], int]:
    """Every known span (never an assumed end or start, never negative), and how many of
    them counted from the declaration because their own start was unknown."""
    si, ei, oi = TIME_INDEX[start], TIME_INDEX[end], TIME_INDEX[FALLBACK_START]
    fallback = falls_back(start, end)
    found: list[float] = []
    declared = 0
    for item in facts:
        times = item.measured()
        a, b = times[si], times[ei]
        from_declaration = a is None and fallback
        if from_declaration:
            a = times[oi]
        if a is not None and b is not None and b >= a:
            found.append(b - a)
            declared += from_declaration
    return found, declared


def resolve_seconds(facts: Iterable[Facts]) -> list[float]:
    """Each incident's time to resolve (impact start to resolution) in seconds, in order, by
    the rule of the ``mttr`` metric; the incidents without one are left out."""
    return _durations(facts, "started_at", "resolved_at")[0]


def _gaps(facts: Iterable[Facts]) -> tuple[list[float], int]:
    """Gaps from each impact start to the next (assumed starts left out), and how many
    incidents overlapped another: began while an earlier one's impact (start to
    mitigation, else resolution) had not ended. An unknown end overlaps nothing."""
    si, mi, ri = TIME_INDEX["started_at"], TIME_INDEX["mitigated_at"], TIME_INDEX["resolved_at"]
    spans: list[tuple[float, float | None]] = []
    for item in facts:
        times = item.measured()
        if times[si] is not None:
            spans.append((times[si], times[mi] if times[mi] is not None else times[ri]))  # type: ignore[arg-type]
    spans.sort(key=lambda pair: pair[0])
    overlapped = 0
    latest_end: float | None = None
    for start, end in spans:
        if latest_end is not None and start < latest_end:
            overlapped += 1
        if end is not None:
            latest_end = end if latest_end is None else max(latest_end, end)
    starts = [s for s, _e in spans]
    return [b - a for a, b in zip(starts, starts[1:], strict=False)], overlapped


def duration_metrics(facts: Sequence[Facts], defs: Sequence[MetricDef]) -> dict[str, Any]:
    """``{"metrics": {key: summary}, "counted_from_declaration": {key: n}, "overlapping": n}``:
    each summary's n includes the incidents counted from the declaration; how many that
    were is said beside it, and so is how many incidents overlapped another (MTBF)."""
    stats: dict[str, Any] = {}
    declared_counts: dict[str, int] = {}
    for d in defs:
        values, declared = _durations(facts, d.start, d.end)
        stats[d.key] = summarize(values)
        if falls_back(d.start, d.end):
            declared_counts[d.key] = declared
    gaps, overlapped = _gaps(facts)
    stats["mtbf"] = summarize(gaps)
    return {"metrics": stats, "counted_from_declaration": declared_counts, "overlapping": overlapped}


# -- the report ---------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which incidents inc metrics measures."""

    since: float | None = None
    until: float | None = None
    severity: str | None = None
    service: str | None = None
    include_drills: bool = False

    def admits(self, item: Facts) -> bool:
        if item.drill and not self.include_drills:
            return False
        if item.duplicate:  # counted once, as its original
            return False
        if self.severity is not None and item.severity != self.severity:
            return False
        if self.service is not None and service_key(item.service) != service_key(self.service):
            return False
        start = item.times[TIME_INDEX["started_at"]]
        if self.since is not None and (start is None or start < self.since):
            return False
        return not (self.until is not None and (start is None or start >= self.until))


def month_of(epoch: float, zone: tzinfo | None) -> str:
    """``YYYY-MM`` of a moment in ``zone`` (None: the local time zone)."""
    return datetime.fromtimestamp(epoch, zone).strftime("%Y-%m")


def group_keys(item: Facts, by: str, zone: tzinfo | None, teams: Mapping[str, str] | None = None) -> list[str | None]:
    """The groups ``item`` counts in; ``teams`` maps a service key to its owning team (the
    service catalog) for ``by == "team"``."""
    if by == "team":
        key = service_key(item.service)
        return [(teams or {}).get(key) if key is not None else None]
    if by == "severity":
        return [item.severity]
    if by == "service":
        return [service_key(item.service)]
    if by == "tag":
        return list(item.tags) or [None]
    if by == "month":
        start = item.times[TIME_INDEX["started_at"]]
        return [month_of(start, zone) if start is not None else None]
    raise InvalidInput(f"cannot group by {by!r}; one of {', '.join(GROUP_BY)}")


def acknowledged_in_time(facts: Iterable[Facts], response: dict[str, float], now: float) -> dict[str, Any]:
    """Of the incidents whose outcome is known, how many were acknowledged within their
    severity's response time (counted from detection, else, when detection is unknown,
    from the declaration: the same rule as time to acknowledge).

    Known: acknowledged (in time or late), or still active and unacknowledged past the
    response time (late). An incident resolved without a recorded acknowledgement, or
    still inside its response window, is left out.
    """
    det_i, ack_i, open_i = TIME_INDEX["detected_at"], TIME_INDEX["acknowledged_at"], TIME_INDEX[FALLBACK_START]
    within = decided = 0
    for item in facts:
        limit = response.get(item.severity)
        times = item.measured()
        detected = times[det_i] if times[det_i] is not None else times[open_i]
        if limit is None or detected is None:
            continue
        ack = item.times[ack_i]
        if ack is not None:
            decided += 1
            within += ack - detected <= limit
        elif item.status != "resolved" and now > detected + limit:
            decided += 1
    return {"n": decided, "within": within, "share": within / decided if decided else None}


def postmortem_summary(facts: Iterable[Facts], due: dict[str, timedelta | None], now: float) -> dict[str, Any]:
    """Postmortems published on time: published_at <= resolved_at + due for the severity."""
    res_i = TIME_INDEX["resolved_at"]
    recorded = required = published = on_time = late = pending = 0
    for item in facts:
        if item.postmortem_state is not None:
            recorded += 1
        limit = due.get(item.severity)
        resolved = item.times[res_i]
        if limit is None or resolved is None:
            continue
        required += 1
        deadline = resolved + limit.total_seconds()
        done_at = item.postmortem_published_at if item.postmortem_state == "published" else None
        if done_at is not None:
            published += 1
            if done_at <= deadline:
                on_time += 1
            else:
                late += 1
        elif now > deadline:
            late += 1
        else:
            pending += 1
    decided = on_time + late
    return {
        "recorded": recorded,
        "required": required,
        "published": published,
        "on_time": on_time,
        "late": late,
        "pending": pending,
        "share_on_time": on_time / decided if decided else None,
    }


def action_summary(facts: Iterable[Facts], today: date) -> dict[str, int]:
    """Action items: done, open, and overdue (by the same rule as ``inc action list``)."""
    return action_totals(((item, 1) for facts_of in facts for item in facts_of.actions), today)


def action_totals(counted: Iterable[tuple[tuple[str, str | None], int]], today: date) -> dict[str, int]:
    """``action_summary`` of action items given as ((status, due date text), how many)."""
    total = done = still_open = overdue = 0
    for (status, due), count in counted:
        total += count
        if status == "done":
            done += count
            continue
        still_open += count
        if action_overdue({"status": status, "due": due}, today):
            overdue += count
    return {"total": total, "done": done, "open": still_open, "overdue": overdue}


def report(
    facts: Iterable[Facts],
    *,
    defs: Sequence[MetricDef],
    scope: Scope,
    response: dict[str, float],
    severity_order: Callable[[str], int],
    postmortem_due_by_severity: dict[str, timedelta | None],
    now: float,
    today: date,
    by: str | None = None,
    zone: tzinfo | None = None,
    teams: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The whole ``inc metrics`` result as plain data (the ``--json`` shape)."""
    if by is not None and by not in GROUP_BY:
        raise InvalidInput(f"cannot group by {by!r}; one of {', '.join(GROUP_BY)}")
    chosen = [f for f in facts if scope.admits(f)]
    per_severity: dict[str, list[Facts]] = {}
    for item in chosen:
        per_severity.setdefault(item.severity, []).append(item)
    by_severity = []
    for sev in sorted(per_severity, key=lambda s: (severity_order(s), s)):
        members = per_severity[sev]
        by_severity.append(
            {
                "severity": sev,
                "count": len(members),
                "acknowledged_in_time": acknowledged_in_time(members, response, now),
            }
        )
    result: dict[str, Any] = {
        "count": len(chosen),
        **duration_metrics(chosen, defs),
        "by_severity": by_severity,
        "acknowledged_in_time": acknowledged_in_time(chosen, response, now),
        "postmortems": postmortem_summary(chosen, postmortem_due_by_severity, now),
        "actions": action_summary(chosen, today),
        "definitions": {
            **{d.key: {"label": d.label, "start": d.start, "end": d.end} for d in defs},
            "mtbf": {
                "label": MTBF_LABEL,
                "start": "started_at",
                "end": "next incident's started_at",
            },
            "counted_from_declaration": "incidents whose detection or impact start is unknown (assumed): "
            "time to acknowledge, mitigate and resolve count from the declaration for them, as PagerDuty "
            "counts from the trigger; time to detect never does",
            "overlapping": "incidents that began while an earlier one's impact had not ended (MTBF still "
            "counts start to next start)",
            "p90": "nearest rank: the ceil(0.9 * n)-th smallest value",
        },
    }
    if by is not None:
        buckets: dict[str | None, list[Facts]] = {}
        for item in chosen:
            for key in group_keys(item, by, zone, teams):
                buckets.setdefault(key, []).append(item)

        def order(key: str | None) -> tuple[int, Any]:
            if key is None:
                return (2, "")
            if by == "severity":
                return (0, (severity_order(key), key))
            return (0, key.lower() if by in ("service", "tag", "team") else key)

        labels: dict[str | None, str | None] = {key: key for key in buckets}
        if by == "service":  # one service, however spelled: shown as its most recent incident spells it
            start_i = TIME_INDEX["started_at"]
            for key, members in buckets.items():
                latest = max(members, key=lambda f: (f.times[start_i] or 0, f.id))
                labels[key] = latest.service.strip() if latest.service else None

        result["groups"] = [
            {
                "key": labels[key],
                "count": len(buckets[key]),
                **duration_metrics(buckets[key], defs),
            }
            for key in sorted(buckets, key=order)
        ]
    return result
