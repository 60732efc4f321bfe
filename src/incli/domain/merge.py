"""Three-way merge of one incident changed on two clones (git's merge driver).

``merge(base, ours, theirs)`` takes the three versions as plain data (what
``incident_from_dict`` reads; ``base`` is None when both sides added the file)
and returns the merged data. Nothing either side wrote is lost:

- timeline: the union of both sides' entries (the same entry once), in time order;
- action items: the union by id; where both changed one, the later ``updated_at`` wins;
  an item deleted on one side and unchanged on the other stays deleted;
- lifecycle: a time changed on one side is taken; changed on both, the earliest start,
  detection, opening and acknowledgement; mitigation
  and resolution as the merged timeline says (a reopen after the last resolve
  clears them, else the latest); the status is derived from the result;
- a plain field (title, service, summary, commander, drill, roles.*) changed
  differently on both sides: the value of the side whose latest timeline entry is
  later is kept (a tie keeps ours) and the other is written into the timeline as a
  note ``Merge: title was also changed to ...``; severity keeps the more severe;
- tags and postmortem lists: both sides' additions, minus what one side removed;
- postmortem text changed on both sides: both versions between ``[merge: ours]`` /
  ``[merge: theirs]`` lines, and the field is listed in ``postmortem.conflicts`` for
  a human (``inc validate`` and ``inc postmortem check`` point at it);
  the review state: the further along;
- any other key changed on both sides: ours is kept and theirs noted in the timeline.

Pure: no I/O. ``MergeError`` means "let git report an ordinary conflict".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from incli.domain import lifecycle
from incli.domain.model import (
    FIELD_ORDER,
    TIME_FIELDS,
    Incident,
    IncidentFormatError,
    TimelineEntry,
    incident_from_dict,
)
from incli.domain.postmortem import LIST_FIELDS, PEOPLE_FIELDS, REVIEW_STATES, TEXT_FIELDS, ordered
from incli.domain.times import parse_stored, to_iso

MERGE_BY = "incli merge"
OURS_MARK = "[merge: ours]"
THEIRS_MARK = "[merge: theirs]"
PLAIN_FIELDS = ("title", "service", "summary", "commander", "drill")
DEFAULT_SEVERITY_ORDER = ("SEV1", "SEV2", "SEV3", "SEV4")
_MISSING = object()


class MergeError(ValueError):
    """The sides cannot be merged safely (not incidents, different ids)."""


def _read(data: Any, side: str) -> Incident:
    try:
        return incident_from_dict(data)
    except IncidentFormatError as exc:
        raise MergeError(f"{side} is not a valid incident: {exc}") from None


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, sort_keys=True, default=str)


def _list_merge(base: Sequence[Any] | None, ours: Sequence[Any] | None, theirs: Sequence[Any] | None) -> list[Any]:
    """Ours then theirs' additions, without what either side removed from base."""
    b, o, t = list(base or []), list(ours or []), list(theirs or [])
    result: list[Any] = []
    for item in o + t:
        if item in result:
            continue
        if item in b and (item not in o or item not in t):
            continue  # removed on one side
        result.append(item)
    return result


def _latest(incident: Incident) -> datetime | None:
    return max((e.at for e in incident.timeline), default=None)


class _Merger:
    def __init__(
        self, base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any], order: Sequence[str]
    ) -> None:
        self.base = base or {}
        self.ours = ours
        self.theirs = theirs
        self.order = list(order)
        self.o = _read(ours, "ours")
        self.t = _read(theirs, "theirs")
        self.b = _read(base, "base") if base is not None else None
        if self.o.id != self.t.id:
            raise MergeError(f"the two sides are different incidents ({self.o.id}, {self.t.id})")
        o_last, t_last = _latest(self.o), _latest(self.t)
        # The stated rule: the side that worked on the incident last wins a plain
        # field; a tie (or no timeline) keeps ours.
        self.theirs_wins = o_last is not None and t_last is not None and t_last > o_last
        self.notes: list[TimelineEntry] = []
        all_times = [e.at for e in (*self.o.timeline, *self.t.timeline)]
        self.note_at = max(all_times) if all_times else self.o.opened_at

    def note(self, text: str) -> None:
        self.notes.append(TimelineEntry(at=self.note_at, kind="note", text=text, by=MERGE_BY))

    def three(self, base: Any, ours: Any, theirs: Any) -> tuple[Any, Any | None]:
        """(merged value, the losing value or _MISSING when there was no conflict)."""
        if ours == theirs or theirs == base:
            return ours, _MISSING
        if ours == base:
            return theirs, _MISSING
        if self.theirs_wins:
            return theirs, ours
        return ours, theirs

    def plain(self, name: str, base: Any, ours: Any, theirs: Any) -> Any:
        value, lost = self.three(base, ours, theirs)
        if lost is not _MISSING:
            self.note(f"Merge: {name} was also changed to {_show(lost)}")
        return value

    def rank(self, sev: str) -> tuple[int, str]:
        return (self.order.index(sev) if sev in self.order else len(self.order), sev)

    def severity(self) -> str:
        b, o, t = self.base.get("severity"), self.ours.get("severity"), self.theirs.get("severity")
        if o == t or t == b:
            return str(o)
        if o == b:
            return str(t)
        keep, other = (o, t) if self.rank(str(o)) <= self.rank(str(t)) else (t, o)
        self.note(f"Merge: severity was also changed to {other}")
        return str(keep)

    # -- the parts -------------------------------------------------------

    def timeline(self) -> list[TimelineEntry]:
        seen: set[tuple[str, str, str, str]] = set()
        merged: list[TimelineEntry] = []
        for entry in (*self.o.timeline, *self.t.timeline, *self.notes):
            key = entry.key()
            if key not in seen:
                seen.add(key)
                merged.append(entry)
        merged.sort(key=lambda e: e.at)  # stable: ours first at equal times
        return merged

    def actions(self) -> list[dict[str, Any]] | None:
        b_raw, o_raw, t_raw = (side.get("actions") for side in (self.base, self.ours, self.theirs))
        if o_raw is None and t_raw is None:
            return None
        if not all(raw is None or isinstance(raw, list) for raw in (b_raw, o_raw, t_raw)):
            raise MergeError("actions is not a list on one side")

        def by_id(raw: Any) -> dict[str, dict[str, Any]]:
            items: dict[str, dict[str, Any]] = {}
            for item in raw or []:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise MergeError("an action item without an id")
                items[item["id"]] = item
            return items

        b, o, t = by_id(b_raw), by_id(o_raw), by_id(t_raw)
        result: list[dict[str, Any]] = []
        for ident in [*o, *(i for i in t if i not in o)]:
            mine, other = o.get(ident), t.get(ident)
            if mine is None or other is None:
                present = mine if mine is not None else other
                assert present is not None
                if ident in b and b[ident] == present:
                    continue  # deleted on one side, unchanged on the other
                result.append(present)
                continue
            if mine == other or other == b.get(ident):
                result.append(mine)
            elif mine == b.get(ident):
                result.append(other)
            else:
                result.append(other if _stamp(other) > _stamp(mine) else mine)
        return result

    def postmortem(self) -> dict[str, Any] | None:
        b_raw, o_raw, t_raw = (side.get("postmortem") for side in (self.base, self.ours, self.theirs))
        if o_raw is None or t_raw is None:
            present = o_raw if o_raw is not None else t_raw
            # Deleted on one side: stays deleted only when the other did not change it.
            return None if present is None or present == b_raw else present
        if not isinstance(o_raw, dict) or not isinstance(t_raw, dict):
            raise MergeError("postmortem is not a mapping on one side")
        b: dict[str, Any] = b_raw if isinstance(b_raw, dict) else {}
        result: dict[str, Any] = {}
        conflicts = _list_merge(b.get("conflicts"), o_raw.get("conflicts"), t_raw.get("conflicts"))
        for key in [*o_raw, *(k for k in t_raw if k not in o_raw)]:
            bv, ov, tv = b.get(key), o_raw.get(key), t_raw.get(key)
            if key in ("conflicts", "state", "published_at"):
                continue
            if key in TEXT_FIELDS:
                if ov == tv or tv == bv:
                    result[key] = ov
                elif ov == bv or not (ov or "").strip():
                    result[key] = tv
                elif not (tv or "").strip():
                    result[key] = ov
                else:
                    result[key] = f"{OURS_MARK}\n{str(ov).rstrip()}\n{THEIRS_MARK}\n{str(tv).rstrip()}"
                    if key not in conflicts:
                        conflicts.append(key)
            elif key in (*LIST_FIELDS, *PEOPLE_FIELDS, "whys"):
                result[key] = _list_merge(bv, ov, tv)
            elif key == "created_at":
                stamps = [v for v in (ov, tv) if v]
                result[key] = min(stamps, key=_time_or_max) if stamps else None
            else:
                result[key] = self.plain(f"postmortem.{key}", bv, ov, tv)
        o_state, t_state, b_state = o_raw.get("state"), t_raw.get("state"), b.get("state")
        if o_state == t_state or t_state == b_state:
            state, source = o_state, o_raw
        elif o_state == b_state:
            state, source = t_state, t_raw
        else:
            further = _state_rank(t_state) > _state_rank(o_state)
            state, source = (t_state, t_raw) if further else (o_state, o_raw)
        result["state"] = state
        published = source.get("published_at") or o_raw.get("published_at") or t_raw.get("published_at")
        result["published_at"] = published if state == "published" else source.get("published_at")
        merged = ordered(result)
        if conflicts:
            merged["conflicts"] = conflicts
        return merged

    def extra(self, key: str) -> Any:
        bv = self.base.get(key, _MISSING)
        ov = self.ours.get(key, _MISSING)
        tv = self.theirs.get(key, _MISSING)
        if ov == tv or tv == bv:
            return ov
        if ov == bv:
            return tv
        self.note(f"Merge: {key} was also changed to {_show(None if tv is _MISSING else tv)}")
        return ov

    # -- the whole -------------------------------------------------------

    def run(self) -> dict[str, Any]:
        result: dict[str, Any] = {"schema": max(self.o.schema, self.t.schema), "id": self.o.id}
        for name in PLAIN_FIELDS:
            result[name] = self.plain(name, self.base.get(name), self.ours.get(name), self.theirs.get(name))
        result["severity"] = self.severity()
        roles: dict[str, Any] = {}
        b_roles = self.base.get("roles") if isinstance(self.base.get("roles"), dict) else {}
        assert isinstance(b_roles, dict)
        for role in [*self.o.roles, *(r for r in self.t.roles if r not in self.o.roles)]:
            value = self.plain(f"roles.{role}", b_roles.get(role), self.o.roles.get(role), self.t.roles.get(role))
            if value is not None:
                roles[role] = value
        result["roles"] = roles
        result["tags"] = _list_merge(self.base.get("tags"), self.o.tags, self.t.tags)
        for name in ("opened_at", "started_at", "detected_at", "acknowledged_at"):
            b_m = self.b.time(name) if self.b is not None else None
            o_m, t_m = self.o.time(name), self.t.time(name)
            if o_m == t_m or t_m == b_m:
                moment = o_m  # a correction made on one side only is kept
            elif o_m == b_m:
                moment = t_m
            else:
                moment = min((m for m in (o_m, t_m) if m is not None), default=None)
            result[name] = to_iso(moment) if moment else None
        postmortem = self.postmortem()
        if postmortem is not None:
            result["postmortem"] = postmortem
        actions = self.actions()
        if actions is not None:
            result["actions"] = actions
        known = set(FIELD_ORDER) | {"postmortem", "actions"}
        for key in [*self.ours, *(k for k in self.theirs if k not in self.ours)]:
            if key not in known:
                value = self.extra(key)
                if value is not _MISSING:
                    result[key] = value
        timeline = self.timeline()
        result["timeline"] = [entry.to_dict() for entry in timeline]
        result["status"] = "open"
        for name in ("mitigated_at", "resolved_at"):
            result[name] = None
        incident = _read(result, "the merge")
        self.lifecycle(incident)
        return incident.to_dict()

    def lifecycle(self, incident: Incident) -> None:
        """Mitigation and resolution from the merged timeline, then a status that fits."""
        reopened = incident.last_entry("reopened")
        for name, kind in (("mitigated_at", "mitigated"), ("resolved_at", "resolved")):
            moments = [m for m in (self.o.time(name), self.t.time(name)) if m is not None]
            last = incident.last_entry(kind)
            if reopened is not None and (last is None or last.at < reopened.at or not moments):
                setattr(incident, name, None)  # reopened after it: the problem came back
            else:
                setattr(incident, name, max(moments) if moments else None)
        # Repair the order by clearing an earlier milestone that a later one
        # contradicts (its timeline entry keeps the record).
        for name in ("acknowledged_at", "mitigated_at"):
            value = incident.time(name)
            later = [incident.time(n) for n in TIME_FIELDS[TIME_FIELDS.index(name) + 1 :]]
            if value is not None and any(m is not None and m < value for m in later):
                setattr(incident, name, None)
        incident.status = lifecycle.derive_status(incident)
        problems = lifecycle.order_problems(incident) + lifecycle.status_problems(incident)
        if problems:
            key, message = problems[0]
            raise MergeError(f"the merged lifecycle does not hold: {key}: {message}")


def _stamp(action: dict[str, Any]) -> datetime:
    return _time_or_min(action.get("updated_at") or action.get("created_at"))


def _time_or_min(value: Any) -> datetime:
    try:
        return parse_stored(value)
    except (ValueError, TypeError):
        return datetime.min.replace(tzinfo=parse_stored("2000-01-01T00:00:00+00:00").tzinfo)


def _time_or_max(value: Any) -> datetime:
    try:
        return parse_stored(value)
    except (ValueError, TypeError):
        return datetime.max.replace(tzinfo=parse_stored("2000-01-01T00:00:00+00:00").tzinfo)


def _state_rank(state: Any) -> int:
    return REVIEW_STATES.index(state) if state in REVIEW_STATES else -1


def merge(
    base: dict[str, Any] | None,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    severity_order: Sequence[str] = DEFAULT_SEVERITY_ORDER,
) -> dict[str, Any]:
    """The merged incident as stored data; MergeError when it cannot be merged safely."""
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or (base is not None and not isinstance(base, dict)):
        raise MergeError("a side is not a mapping of incident fields")
    return _Merger(base, ours, theirs, severity_order).run()


# -- schedule files (oncall/*.yaml) ---------------------------------------------------


def is_schedule(name: str | None, data: Any) -> bool:
    """Is this merged file a schedule? By its path (``oncall/x.yaml``), else by its shape."""
    if name:
        parts = name.replace("\\", "/").split("/")
        if len(parts) >= 2 and parts[-2] == "oncall":
            return True
    return isinstance(data, dict) and "layers" in data and "timeline" not in data


def _key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, default=str)


def merge_schedule(base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Three-way merge of a schedule: overrides are the union of both sides' (one removed on
    a side stays removed), in the order they were created; any other key changed on one side
    is taken; changed differently on both (a layer edited on two clones) is a MergeError, so
    git shows an ordinary conflict for a person to settle."""
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or (base is not None and not isinstance(base, dict)):
        raise MergeError("a side is not a schedule")
    base = base or {}
    merged: dict[str, Any] = {}
    for key in [*ours, *[k for k in theirs if k not in ours]]:
        if key == "overrides":
            continue
        b, o, t = base.get(key, _MISSING), ours.get(key, _MISSING), theirs.get(key, _MISSING)
        if _key(o) == _key(t) or _key(t) == _key(b):
            value = o
        elif _key(o) == _key(b):
            value = t
        else:
            raise MergeError(f"{key} was changed differently on both sides")
        if value is not _MISSING:
            merged[key] = value
    lists = [x.get("overrides") or [] for x in (base, ours, theirs)]
    if not all(isinstance(x, list) for x in lists):
        raise MergeError("overrides is not a list")
    removed = {_key(i) for i in lists[0]} - ({_key(i) for i in lists[1]} & {_key(i) for i in lists[2]})
    seen: set[str] = set()
    overrides = []
    for item in lists[1] + lists[2]:
        key = _key(item)
        if key in seen or key in removed:
            continue
        seen.add(key)
        overrides.append(item)
    indexed = list(enumerate(overrides))
    indexed.sort(key=lambda p: (_created(p[1]), p[0]))
    merged["overrides"] = [item for _i, item in indexed]
    return merged


def _created(item: Any) -> float:
    try:
        return parse_stored(item.get("created_at")).timestamp() if isinstance(item, dict) else 0.0
    except ValueError:
        return 0.0
