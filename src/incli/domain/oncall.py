"""On call: people, schedules and who is on call when. Pure: no I/O.

A schedule (``oncall/<name>.yaml``) is layers and overrides:

- a layer is a rotation of handles: ``rotation`` (the order), ``length`` (daily,
  weekly, or N hours/days/weeks: ``12h``, ``3d``, ``2w``), ``handoff`` (``mon 09:00`` or
  ``09:00``), ``start`` (the date of the first handoff; the first handle takes the first
  shift), ``tz`` (the zone the handoff and the restrictions are read in) and optional
  ``restrictions`` (``mon-fri 09:00-17:00``: the layer has someone only then);
- a later layer wins wherever it has someone; an override (``from``, ``to``, ``who``,
  ``by``, ``reason``, ``created_at``) wins over every layer, and of two overlapping
  overrides the one created later (then the one written later).

Handoffs are wall-clock times: the k-th handoff is the first one plus k lengths on the
layer's calendar, read in its zone, so a handoff at 09:00 Europe/Berlin stays at 09:00
across daylight-saving changes (the shift that spans the change is an hour longer or
shorter). A wall time the clocks skip happens as late as the skip (02:30 -> 03:30); a
wall time that happens twice, the first time. Shifts are half open: at the handoff
instant the incoming person is on call.

Also the ``people:`` and ``oncall:`` sections of incli.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from incli.domain.severity import unknown_key
from incli.domain.times import format_duration_spec, parse_duration, parse_stored, to_iso, zone_named
from incli.errors import ConfigError, InvalidInput

SCHEDULE_SCHEMA = 1
SCHEDULE_KEYS = ("schema", "description", "layers", "overrides")
LAYER_KEYS = ("name", "rotation", "length", "handoff", "start", "tz", "restrictions")
OVERRIDE_KEYS = ("from", "to", "who", "by", "reason", "created_at")
PERSON_KNOWN = ("name", "tz", "email", "slack", "phone")
ONCALL_KEYS = ("default_schedule", "working_hours", "sleep_hours")
DEFAULT_WORKING_HOURS = "mon-fri 09:00-17:00"
DEFAULT_SLEEP_HOURS = "22:00-07:00"
MAX_ROTATION = 200
MAX_OVERRIDES = 5000
MAX_LAYERS = 20
LONGEST_SEARCH = timedelta(days=400)  # how far ahead "who is next" looks

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}\Z", re.ASCII)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z", re.ASCII)
_HHMM = re.compile(r"(\d{1,2}):(\d{2})\Z", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)


def is_handle(text: str) -> bool:
    """A person's handle (``alice``, ``a.doe``): one word, no spaces; ``VP Engineering`` is a label."""
    return bool(_HANDLE.match(text))


def check_schedule_name(name: str) -> str:
    """A schedule's name is its file name: lower case letters, digits, - and _."""
    text = name.strip()
    if not _NAME.match(text):
        raise InvalidInput(f"{name!r} cannot name a schedule; use lower-case letters, digits, - and _ (e.g. primary)")
    return text


def check_handle(text: str, what: str = "--who") -> str:
    handle = text.strip()
    if not is_handle(handle):
        raise InvalidInput(f"{what}: {text!r} is not a handle; give one word such as alice (see people: in incli.yaml)")
    return handle


# -- clock texts ---------------------------------------------------------------


def _clock(text: str, where: str, *, allow_24: bool = False) -> int:
    """Minutes after midnight of ``09:00`` (``24:00`` ends a day when allowed)."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ConfigError(where, f"{text!r} is not a time of day; write it as HH:MM, e.g. 09:00")
    hour, minute = int(match[1]), int(match[2])
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not allow_24)):
        raise ConfigError(where, f"{text!r} is not a time of day")
    return hour * 60 + minute


def _days(text: str, where: str) -> frozenset[int]:
    """``mon-fri``, ``sat,sun``, ``mon,wed-fri``: weekday numbers (Monday 0)."""
    found: set[int] = set()
    for part in text.lower().split(","):
        part = part.strip()
        ends = [p.strip()[:3] for p in part.split("-")]
        if len(ends) > 2 or not all(e in DAYS for e in ends):
            raise ConfigError(where, f"{text!r}: name days as mon, tue, ... sun, e.g. mon-fri or sat,sun")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        day = first
        while True:
            found.add(day)
            if day == last:
                break
            day = (day + 1) % 7
    return frozenset(found)


@dataclass(frozen=True)
class Window:
    """Days and a span of the clock: ``mon-fri 09:00-17:00``; an end at or before the start
    runs past midnight (``22:00-07:00`` starts on the named day)."""

    days: frozenset[int]
    start: int  # minutes after midnight
    end: int  # minutes after midnight, 1440 for 24:00
    text: str

    def contains(self, local: datetime) -> bool:
        """Is this wall time (in the window's zone) inside the window? Its edges are whole minutes,
        so the seconds never decide: 11:59:59.9 is inside 09:00-12:00, 12:00:00 is not."""
        minute = local.hour * 60 + local.minute
        today, yesterday = local.weekday(), (local.weekday() - 1) % 7
        if self.end > self.start:  # pragma: no mutate - never equal: parse_window refuses an empty span
            return today in self.days and self.start <= minute < self.end
        return (today in self.days and minute >= self.start) or (yesterday in self.days and minute < self.end)


def parse_window(text: Any, where: str) -> Window:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(where, "must be a span such as 'mon-fri 09:00-17:00' or '22:00-07:00'")
    words = text.strip().split()
    if len(words) == 1:
        days, span = frozenset(range(7)), words[0]
    elif len(words) == 2:
        days, span = _days(words[0], where), words[1]
    else:
        raise ConfigError(where, f"{text!r}: write days and hours, e.g. 'mon-fri 09:00-17:00'")
    if span.count("-") != 1:
        raise ConfigError(where, f"{text!r}: write the hours as HH:MM-HH:MM, e.g. 09:00-17:00")
    start_text, end_text = span.split("-")
    start, end = _clock(start_text, where), _clock(end_text, where, allow_24=True)
    if start == end % 1440 and end != 1440:
        raise ConfigError(where, f"{text!r} is empty: the start and the end are the same time")
    return Window(days, start, end, text.strip())


def in_windows(windows: Iterable[Window], local: datetime) -> bool:
    return any(w.contains(local) for w in windows)


# -- people and the oncall: section ------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A person of the people: section."""

    handle: str
    name: str | None = None
    tz: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)  # email, slack, phone and any others

    def contact(self) -> dict[str, str]:
        """Every contact field, for hooks: name, tz, email, slack, phone and the extra keys."""
        data = {"name": self.name or self.handle}
        if self.tz:
            data["tz"] = self.tz
        data.update(self.fields)
        return data


def parse_people(raw: Any) -> dict[str, Person]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("people", "must map handles to contact details, e.g. alice: {name: Alice Doe}")
    people: dict[str, Person] = {}
    for handle, item in raw.items():
        where = f"people.{handle}"
        if not isinstance(handle, str) or not is_handle(handle):
            raise ConfigError(where, "a handle is one word such as alice (letters, digits, . _ - @ +)")
        item = {} if item is None else item
        if not isinstance(item, dict):
            raise ConfigError(where, "must be a mapping such as {name: Alice Doe, tz: Europe/Berlin}")
        values: dict[str, str] = {}
        for key, value in item.items():
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ConfigError(f"{where}.{key}", "must be text")
            if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", key):
                raise ConfigError(f"{where}.{key}", "a contact field is a lower-case word such as email")
            values[key] = str(value).strip()
        tz = values.pop("tz", None) or None
        if tz is not None:
            try:
                zone_named(tz)
            except InvalidInput:
                raise ConfigError(
                    f"{where}.tz", f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin"
                ) from None
        name = values.pop("name", None) or None
        people[handle] = Person(handle, name, tz, values)
    return people


@dataclass(frozen=True)
class OncallSettings:
    """The oncall: section."""

    default_schedule: str | None = None
    working_hours: tuple[Window, ...] = ()
    sleep_hours: tuple[Window, ...] = ()


def _windows(value: Any, where: str, default: str) -> tuple[Window, ...]:
    if value is None:
        value = [default]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(where, f"must be a span or a list of spans such as '{default}'")
    return tuple(parse_window(item, f"{where}[{i}]") for i, item in enumerate(value))


def parse_oncall_settings(raw: Any) -> OncallSettings:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("oncall", "must be a mapping such as {default_schedule: primary}")
    unknown_key(raw, ONCALL_KEYS, "oncall")
    default = raw.get("default_schedule")
    if default is not None:
        if not isinstance(default, str):
            raise ConfigError("oncall.default_schedule", "must name a schedule, e.g. primary")
        try:
            default = check_schedule_name(default)
        except InvalidInput as exc:
            raise ConfigError("oncall.default_schedule", str(exc)) from None
    return OncallSettings(
        default_schedule=default,
        working_hours=_windows(raw.get("working_hours"), "oncall.working_hours", DEFAULT_WORKING_HOURS),
        sleep_hours=_windows(raw.get("sleep_hours"), "oncall.sleep_hours", DEFAULT_SLEEP_HOURS),
    )


# -- schedules -------------------------------------------------------------------


def wall_instant(naive: datetime, zone: tzinfo) -> datetime:
    """The instant a wall time in ``zone`` names (UTC): the first of two, and for a
    skipped one, as late as the skip (02:30 in a one-hour gap is 03:30 afterwards)."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class Handoff:
    """A shift handoff: who hands over to whom, and the notes."""

    weekday: int | None  # Monday 0; None: any day
    minute: int  # after midnight

    @property
    def text(self) -> str:
        clock = f"{self.minute // 60:02d}:{self.minute % 60:02d}"
        return f"{DAYS[self.weekday]} {clock}" if self.weekday is not None else clock


def parse_handoff(text: Any, where: str) -> Handoff:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(where, "must be a day and a time such as 'mon 09:00', or a time such as 09:00")
    words = text.strip().lower().split()
    if len(words) == 2 and words[0][:3] in DAYS:
        return Handoff(DAYS.index(words[0][:3]), _clock(words[1], where))
    if len(words) == 1:
        return Handoff(None, _clock(words[0], where))
    raise ConfigError(where, f"{text!r}: give a day and a time such as 'mon 09:00', or a time such as 09:00")


def parse_length(value: Any, where: str) -> timedelta:
    """``daily``, ``weekly``, or a duration of whole hours (``12h``, ``3d``, ``2w``)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(where, "must be daily, weekly or a duration such as 12h, 3d or 2w")
    text = str(value).strip().lower()
    if text == "daily":
        return timedelta(days=1)
    if text == "weekly":
        return timedelta(weeks=1)
    try:
        length = parse_duration(text)
    except InvalidInput as exc:
        raise ConfigError(where, f"{exc}; or daily, weekly") from None
    if length < timedelta(hours=1) or length % timedelta(hours=1):
        raise ConfigError(where, f"{value!r}: a shift is a whole number of hours (at least 1h), e.g. 12h, 1d, 1w")
    if length > timedelta(days=366):
        raise ConfigError(where, f"{value!r}: a shift is at most a year")
    return length


def length_text(length: timedelta) -> str:
    if length == timedelta(days=1):
        return "daily"
    if length == timedelta(weeks=1):
        return "weekly"
    return format_duration_spec(length)


@dataclass(frozen=True)
class Layer:
    """One rotation layer of a schedule."""

    name: str
    rotation: tuple[str, ...]
    length: timedelta
    handoff: Handoff
    start: date
    tz: str
    restrictions: tuple[Window, ...] = ()

    @property
    def zone(self) -> tzinfo:
        zone = zone_named(self.tz)
        assert zone is not None
        return zone

    def _first(self) -> datetime:
        return datetime.combine(self.start, time(self.handoff.minute // 60, self.handoff.minute % 60))

    def handoff_at(self, k: int) -> datetime:
        """The k-th handoff (0: the first), in UTC; wall-clock steps in the layer's zone."""
        return wall_instant(self._first() + k * self.length, self.zone)

    def index_at(self, moment: datetime) -> int:
        """The shift holding ``moment`` (-1 before the first handoff)."""
        first = self.handoff_at(0)
        if moment < first:
            return -1
        k = int((moment - first) / self.length)
        while k > 0 and self.handoff_at(k) > moment:
            k -= 1
        while self.handoff_at(k + 1) <= moment:
            k += 1
        return k

    def who(self, k: int) -> str:
        return self.rotation[k % len(self.rotation)]

    def segments(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
        """Who this layer has on call in [start, end), restrictions applied, in order."""
        found: list[tuple[datetime, datetime, str]] = []
        k = max(self.index_at(start), 0)
        while True:
            begin = self.handoff_at(k)
            if begin >= end:
                break
            finish = self.handoff_at(k + 1)
            a, b = max(begin, start), min(finish, end)
            if a < b:
                found.extend((x, y, self.who(k)) for x, y in self._allowed(a, b))
            k += 1
        return found

    def _allowed(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        if not self.restrictions:
            return [(start, end)]
        zone = self.zone
        spans: list[tuple[datetime, datetime]] = []
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date()
        while day <= last:
            for window in self.restrictions:
                if day.weekday() not in window.days:
                    continue
                begin = wall_instant(datetime.combine(day, time()) + timedelta(minutes=window.start), zone)
                stop_day = day + timedelta(days=1) if window.end <= window.start else day
                finish = wall_instant(datetime.combine(stop_day, time()) + timedelta(minutes=window.end), zone)
                a, b = max(begin, start), min(finish, end)
                if a < b:
                    spans.append((a, b))
            day += timedelta(days=1)
        spans.sort()
        merged: list[tuple[datetime, datetime]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        return merged

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "rotation": list(self.rotation),
            "length": length_text(self.length),
            "handoff": self.handoff.text,
            "start": self.start.isoformat(),
            "tz": self.tz,
        }
        if self.restrictions:
            data["restrictions"] = [w.text for w in self.restrictions]
        return data


@dataclass(frozen=True)
class Override:
    """An override: who is on call instead, from when to when."""

    start: datetime
    end: datetime
    who: str
    by: str | None = None
    reason: str | None = None
    created_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"from": to_iso(self.start), "to": to_iso(self.end), "who": self.who}
        if self.by:
            data["by"] = self.by
        if self.reason:
            data["reason"] = self.reason
        if self.created_at is not None:
            data["created_at"] = to_iso(self.created_at)
        return data


@dataclass(frozen=True)
class Schedule:
    """An on-call schedule (oncall/NAME.yaml)."""

    name: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema": SCHEDULE_SCHEMA}
        if self.description:
            data["description"] = self.description
        data["layers"] = [layer.to_dict() for layer in self.layers]
        data["overrides"] = [o.to_dict() for o in self.overrides]
        return data


def _text_value(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(where, "must be text")
    return str(value).strip()


def parse_start(value: Any, where: str = "start") -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not _DATE.match(text):
        raise ConfigError(where, f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-10-20")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(where, f"{text!r} is not a date") from None
    if not 1970 <= day.year <= 2100:
        raise ConfigError(where, f"{text!r}: give a date from 1970 to 2100")
    return day


def make_layer(
    name: str,
    rotation: Any,
    length: Any,
    handoff: Any,
    start: Any,
    tz: Any,
    restrictions: Any = None,
    where: str = "layer",
) -> Layer:
    """A layer from its values, checked; ConfigError names the key."""
    if not isinstance(rotation, list) or not rotation:
        raise ConfigError(f"{where}.rotation", "must be a non-empty list of handles, e.g. [alice, bob]")
    if len(rotation) > MAX_ROTATION:
        raise ConfigError(f"{where}.rotation", f"at most {MAX_ROTATION} handles")
    handles = []
    for i, item in enumerate(rotation):
        text = _text_value(item, f"{where}.rotation[{i}]")
        if not is_handle(text):
            raise ConfigError(f"{where}.rotation[{i}]", f"{text!r} is not a handle (one word such as alice)")
        handles.append(text)
    if not isinstance(tz, str) or not tz.strip():
        raise ConfigError(f"{where}.tz", "must name a time zone such as Europe/Berlin")
    try:
        zone_named(tz)
    except InvalidInput:
        raise ConfigError(f"{where}.tz", f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin") from None
    period = parse_length(length, f"{where}.length")
    hand = parse_handoff(handoff, f"{where}.handoff")
    if hand.weekday is not None and period % timedelta(weeks=1):
        raise ConfigError(f"{where}.handoff", f"a handoff on a weekday needs a length of whole weeks, not {length!r}")
    first = parse_start(start, f"{where}.start")
    if hand.weekday is not None and first.weekday() != hand.weekday:
        before = first - timedelta(days=(first.weekday() - hand.weekday) % 7)
        after = before + timedelta(weeks=1)
        raise ConfigError(
            f"{where}.start",
            f"{first.isoformat()} is a {DAYS[first.weekday()]}; the first handoff is on a {DAYS[hand.weekday]}: "
            f"give {before.isoformat()} or {after.isoformat()}",
        )
    windows: tuple[Window, ...] = ()
    if restrictions is not None:
        items = [restrictions] if isinstance(restrictions, str) else restrictions
        if not isinstance(items, list):
            raise ConfigError(f"{where}.restrictions", "must be a list of spans such as 'mon-fri 09:00-17:00'")
        windows = tuple(parse_window(item, f"{where}.restrictions[{i}]") for i, item in enumerate(items))
    return Layer(name, tuple(handles), period, hand, first, tz.strip(), windows)


def _override(raw: Any, where: str) -> Override:
    if not isinstance(raw, dict):
        raise ConfigError(where, "must be a mapping with from, to and who")
    unknown_key(raw, OVERRIDE_KEYS, where)
    times: dict[str, datetime] = {}
    for key in ("from", "to", "created_at"):
        if raw.get(key) is None:
            if key == "created_at":
                continue  # pragma: no mutate - the last key: break is the same
            raise ConfigError(f"{where}.{key}", "missing")
        try:
            times[key] = parse_stored(raw[key])
        except ValueError as exc:
            raise ConfigError(f"{where}.{key}", str(exc)) from None
    if times["to"] <= times["from"]:
        raise ConfigError(f"{where}.to", "must be after from")
    who = _text_value(raw.get("who"), f"{where}.who") if raw.get("who") is not None else ""
    if not is_handle(who):
        raise ConfigError(f"{where}.who", "must be a handle such as alice")
    by = _text_value(raw["by"], f"{where}.by") if raw.get("by") is not None else None
    reason = _text_value(raw["reason"], f"{where}.reason") if raw.get("reason") is not None else None
    return Override(times["from"], times["to"], who, by or None, reason or None, times.get("created_at"))


def schedule_from_dict(name: str, data: Any) -> Schedule:
    """A schedule file's data, checked; ConfigError names the first problem's key."""
    if not isinstance(data, dict):
        raise ConfigError("", "expected a mapping with layers: and overrides:")
    unknown_key(data, SCHEDULE_KEYS, "")
    schema = data.get("schema", SCHEDULE_SCHEMA)
    if schema != SCHEDULE_SCHEMA:
        raise ConfigError("schema", f"is {schema!r}; this incli reads schedule schema {SCHEDULE_SCHEMA}")
    layers_raw = data.get("layers")
    if not isinstance(layers_raw, list) or not layers_raw:
        raise ConfigError("layers", "must be a non-empty list of layers")
    if len(layers_raw) > MAX_LAYERS:
        raise ConfigError("layers", f"at most {MAX_LAYERS} layers")
    layers: list[Layer] = []
    for index, raw in enumerate(layers_raw):
        where = f"layers[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(where, "must be a mapping with rotation, length, handoff, start and tz")
        unknown_key(raw, LAYER_KEYS, where)
        for key in ("rotation", "length", "handoff", "start", "tz"):
            if raw.get(key) is None:
                raise ConfigError(f"{where}.{key}", "missing")
        layer_name = _text_value(raw.get("name") or f"layer-{index + 1}", f"{where}.name")
        if layer_name in {layer.name for layer in layers}:
            raise ConfigError(f"{where}.name", f"two layers are named {layer_name!r}")
        layers.append(
            make_layer(
                layer_name,
                raw["rotation"],
                raw["length"],
                raw["handoff"],
                raw["start"],
                raw["tz"],
                raw.get("restrictions"),
                where,
            )
        )
    overrides_raw = data.get("overrides") or []
    if not isinstance(overrides_raw, list):
        raise ConfigError("overrides", "must be a list")
    if len(overrides_raw) > MAX_OVERRIDES:
        raise ConfigError("overrides", f"at most {MAX_OVERRIDES} overrides; remove old ones")
    overrides = tuple(_override(raw, f"overrides[{i}]") for i, raw in enumerate(overrides_raw))
    description = data.get("description")
    return Schedule(
        name, tuple(layers), overrides, _text_value(description, "description") if description is not None else None
    )


# -- resolution ------------------------------------------------------------------


@dataclass(frozen=True)
class Shift:
    """One shift: who is on call from when to when."""

    start: datetime
    end: datetime
    who: str | None
    layer: str | None
    override: Override | None = None

    def to_json(self, schedule: str) -> dict[str, Any]:
        return {
            "schedule": schedule,
            "who": self.who,
            "start": to_iso(self.start),
            "end": to_iso(self.end),
            "layer": self.layer,
            "override": self.override is not None,
        }


def _precedence(schedule: Schedule) -> list[Override]:
    """Overrides from the weakest to the strongest: created later wins, then written later."""
    floor = datetime.min.replace(tzinfo=UTC)
    indexed = sorted(enumerate(schedule.overrides), key=lambda p: (p[1].created_at or floor, p[0]))
    return [o for _i, o in indexed]


def resolve(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The shifts in [start, end), gaps (nobody on call) included as ``who=None``,
    adjacent pieces with the same person, layer and override joined."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    per_layer = [layer.segments(start, end) for layer in schedule.layers]
    overrides = [o for o in _precedence(schedule) if o.start < end and o.end > start]
    points = {start, end}
    for segments in per_layer:
        for a, b, _who in segments:
            points.update((a, b))
    for o in overrides:
        points.update((max(o.start, start), min(o.end, end)))
    ordered = sorted(p for p in points if start <= p <= end)
    cursors = [0] * len(per_layer)
    shifts: list[Shift] = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        piece: Shift | None = None
        for o in reversed(overrides):
            if o.start <= a < o.end:
                piece = Shift(a, b, o.who, None, o)
                break
        if piece is None:
            piece = Shift(a, b, None, None)
            for index in range(len(per_layer) - 1, -1, -1):
                segments = per_layer[index]
                while cursors[index] < len(segments) and segments[cursors[index]][1] <= a:
                    cursors[index] += 1
                if cursors[index] < len(segments) and segments[cursors[index]][0] <= a:
                    piece = Shift(a, b, segments[cursors[index]][2], schedule.layers[index].name)
                    break
        last = shifts[-1] if shifts else None
        if last and (last.who, last.layer, last.override) == (piece.who, piece.layer, piece.override):
            shifts[-1] = Shift(last.start, b, last.who, last.layer, last.override)
        else:
            shifts.append(piece)
    return shifts


@dataclass(frozen=True)
class OnCall:
    """Who is on call on a schedule at a moment, and until when."""

    schedule: str
    on_call: str | None
    until: datetime | None  # when someone else (or nobody) takes over; None: not within a year
    next: str | None
    layer: str | None
    override: Override | None

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "on_call": self.on_call,
            "until": to_iso(self.until) if self.until else None,
            "next": self.next,
            "layer": self.layer,
            "override": self.override is not None,
        }


def on_call_at(schedule: Schedule, moment: datetime) -> OnCall:
    """Who is on call at ``moment``, until when, and who comes next (the next person, not
    a gap: a gap in between ends ``until`` and is skipped for ``next``)."""
    horizon = timedelta(days=8)
    while True:
        shifts = resolve(schedule, moment, moment + horizon)
        now = shifts[0]
        later = [s for s in shifts if s.start > moment]
        change = next((s for s in later if s.who != now.who), None)
        following = next((s for s in later if s.who is not None and s.who != now.who), None)
        if following is not None or horizon >= LONGEST_SEARCH:
            return OnCall(
                schedule.name,
                now.who,
                change.start if change else None,
                following.who if following else None,
                now.layer,
                now.override,
            )
        horizon *= 2


def handoffs(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, str | None, str | None]]:
    """Each change of the person on call in (start, end]: (when, outgoing, incoming)."""
    # A second more on each side shows who was on before the first change and after the last.
    first = start - timedelta(seconds=1)
    last = end + timedelta(seconds=1)  # pragma: no mutate - a later change is left out below anyway
    shifts = resolve(schedule, first, last)
    found = []
    for before, after in zip(shifts, shifts[1:], strict=False):  # pragma: no mutate - pairs: never strict
        if before.who != after.who and start < after.start <= end:
            found.append((after.start, before.who, after.who))
    return found


def overlapping_overrides(schedule: Schedule) -> list[tuple[int, int]]:
    """Pairs of override positions (i < j) whose times overlap."""
    found = []
    items = list(enumerate(schedule.overrides))
    for i, a in items:
        for j, b in items[i + 1 :]:
            if a.start < b.end and b.start < a.end:
                found.append((i, j))
    return found
