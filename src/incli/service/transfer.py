"""Incidents in and out of incli: export to JSON, NDJSON or CSV; import the same, or
another tool's history through its importer (``IMPORTERS``: PagerDuty, Opsgenie, a cState
or Hugo status page folder), which says per field what it mapped and what it dropped.

Export writes the keys of ``inc show --json``. Import reads them back:

- ``id`` may be left out: one is made from the row itself (the date it was
  opened and a hash of its title, start and service, or of the PagerDuty id), so
  importing the same file twice gives the same ids and changes nothing.
- ``status`` may be left out: it follows from the times.
- A null time stays null. Only the three times every incident has are filled
  in when missing, and the import says so: ``started_at`` from ``detected_at``,
  else ``opened_at``; ``detected_at`` from ``opened_at``, else ``started_at``;
  ``opened_at`` from ``detected_at``, else ``started_at``. A row with none of them
  but a later milestone uses the earliest of those.
- Times keep the offset they came with; a time without one is read in the local
  time zone.
- An incident whose id is already in the repository is left as it is.

The whole file is checked before anything is written; an invalid row stops the
import (with its row number and reason) unless ``skip_invalid`` is set.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from incli.domain import lifecycle
from incli.domain.config import Config
from incli.domain.ids import ALPHABET
from incli.domain.model import (
    EXTENSION_ORDER,
    TIME_FIELDS,
    UNKNOWN_SEVERITY,
    Incident,
    IncidentFormatError,
    imported_at,
    incident_from_dict,
)
from incli.domain.times import accepted, parse_time, to_iso
from incli.errors import InvalidInput, StorageError
from incli.integrations.importers import cstate, opsgenie, pagerduty
from incli.integrations.sources import safejson
from incli.service.export import FORMATS, KNOWN_KEYS, LIST_SEPARATOR

# Another tool's importer (integrations/importers) and the settings its record() takes.
IMPORTERS: dict[str, tuple[Any, Callable[[Config], Any]]] = {
    "pagerduty": (pagerduty, lambda config: config.pagerduty_import),
    "opsgenie": (opsgenie, lambda config: config),
    "cstate": (cstate, lambda config: config),
}
SOURCES = ("incli", *IMPORTERS)
# A folder importer's bounds: files read, bytes of one file, bytes in all.
MAX_FOLDER_FILES = 10_000
MAX_FOLDER_FILE_BYTES = 1024 * 1024
MAX_FOLDER_BYTES = 64 * 1024 * 1024
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


# -- reading the file ---------------------------------------------------------


@dataclass
class Row:
    """One record of an import file."""

    number: int  # 1-based record number in the file
    line: int | None  # line in the file, where that means something (CSV, NDJSON)
    data: Any

    def where(self) -> str:
        return f"row {self.number}" + (f" (line {self.line})" if self.line and self.line != self.number else "")


def guess_format(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith((".ndjson", ".jsonl")):
        return "ndjson"
    if lowered.endswith(".csv"):
        return "csv"
    return "json"


@dataclass
class Mapping:
    """How another tool's records become incli's: ``--map KEY=COLUMN``, ``--set KEY=VALUE``,
    ``--ignore-unknown``."""

    columns: dict[str, str] = field(default_factory=dict)  # incli key -> the file's column
    defaults: dict[str, str] = field(default_factory=dict)  # incli key -> value when missing or empty
    ignore_unknown: bool = False

    @classmethod
    def parse(cls, maps: list[str], sets: list[str], ignore_unknown: bool) -> Mapping:
        def pairs(items: list[str], option: str) -> dict[str, str]:
            found = {}
            for item in items:
                key, sep, value = item.partition("=")
                key = key.strip()
                if not sep or not key or not value.strip():
                    raise InvalidInput(f"{option} {item!r}: expected KEY=VALUE, e.g. {option} started_at=start_time")
                if key not in KNOWN_KEYS or key in ("schema", "timeline"):
                    raise InvalidInput(f"{option} {item!r}: {key!r} is not an incident field")
                found[key] = value.strip()
            return found

        return cls(pairs(maps, "--map"), pairs(sets, "--set"), ignore_unknown)

    def check_columns(self, present: list[str] | None) -> None:
        """Refuse a ``--map`` naming a column that no row of the file has: a typo would
        otherwise leave that field empty in every row (and fill it from another time)."""
        if present is None:
            return
        for key, column in self.columns.items():
            if column not in present:
                shown = ", ".join(present) if present else "none"
                raise InvalidInput(f"--map {key}={column}: no row has a column {column!r}; the file has: {shown}")

    def apply(self, record: Any) -> Any:
        if not isinstance(record, dict) or not (self.columns or self.defaults or self.ignore_unknown):
            return record
        result = dict(record)
        for key, column in self.columns.items():
            result[key] = record.get(column)
        mapped = set(self.columns.values())
        for key in list(result):
            if key not in KNOWN_KEYS and (key in mapped or self.ignore_unknown):
                del result[key]
        for key, value in self.defaults.items():
            if result.get(key) in (None, ""):
                result[key] = value
        return result


def read_rows(text: str, fmt: str, source: str = "incli", mapping: Mapping | None = None) -> list[Row]:
    """The records of an import file, numbered; InvalidInput when the file itself is unreadable."""
    if source in IMPORTERS:
        return [Row(index, None, _Foreign(item)) for index, item in enumerate(IMPORTERS[source][0].objects(text), 1)]
    if mapping is not None and fmt != "csv":
        mapped = read_rows(text, fmt, source)
        records = [row.data for row in mapped if isinstance(row.data, dict)]
        if records:
            mapping.check_columns(list(dict.fromkeys(str(k) for record in records for k in record)))
        for row in mapped:
            row.data = mapping.apply(row.data)
            if isinstance(row.data, dict) and isinstance(row.data.get("tags"), str):
                row.data["tags"] = [t.strip() for t in row.data["tags"].split(LIST_SEPARATOR) if t.strip()]
        return mapped
    if fmt == "json":
        try:
            data = safejson.decode(text, "the file")
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
        if isinstance(data, dict) and isinstance(data.get("incidents"), list):
            data = data["incidents"]
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            raise InvalidInput("expected a JSON array of incidents (as inc export writes)")
        return [Row(index, None, item) for index, item in enumerate(data, 1)]
    if fmt == "ndjson":
        rows: list[Row] = []
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = safejson.decode(line, "the line")
            except json.JSONDecodeError as exc:
                item = _Unreadable(f"not valid JSON: {exc.msg}")
            except InvalidInput as exc:
                item = _Unreadable(exc.message)
            rows.append(Row(len(rows) + 1, line_no, item))
        return rows
    if fmt == "csv":
        import csv
        import io

        reader = csv.DictReader(io.StringIO(text))
        if mapping is not None and reader.fieldnames is not None:
            mapping.check_columns([str(name) for name in reader.fieldnames])
        rows = []
        for record in reader:
            if mapping is not None:
                record = mapping.apply(record)
            rows.append(Row(len(rows) + 1, reader.line_num, _from_csv(record)))
        if reader.fieldnames is None:
            return []
        return rows
    raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


@dataclass
class _Unreadable:
    """A record that could not be read."""

    reason: str


def _from_csv(record: dict[str | None, Any]) -> Any:
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key is None:
            return _Unreadable("more cells than columns")
        text = value.strip() if isinstance(value, str) else value
        if text in ("", None):
            if key not in EXTENSION_ORDER:  # an empty extension cell means "none", not null
                data[key] = None
        elif key == "tags":
            data[key] = [t.strip() for t in text.split(LIST_SEPARATOR) if t.strip()]
        elif key == "roles":
            roles = {}
            for part in text.split(LIST_SEPARATOR):
                role, sep, name = part.partition("=")
                if not sep:
                    return _Unreadable(f"roles: expected role=name, found {part.strip()!r}")
                roles[role.strip()] = name.strip()
            data[key] = roles
        elif key == "drill":
            lowered = text.lower()
            if lowered not in ("true", "false", "yes", "no", "1", "0"):
                return _Unreadable(f"drill: expected true or false, found {text!r}")
            data[key] = lowered in ("true", "yes", "1")
        elif key in ("timeline", *EXTENSION_ORDER) and text[:1] in "[{":
            try:
                data[key] = safejson.decode(text, key)
            except json.JSONDecodeError:
                return _Unreadable(f"{key}: not valid JSON")
            except InvalidInput as exc:
                return _Unreadable(exc.message)
        else:
            data[key] = text
    return data


# -- turning a record into an incident ------------------------------------------


@dataclass
class Prepared:
    """A record turned into an incident, ready to write."""

    row: Row
    incident: Incident
    derived: list[str] = field(default_factory=list)  # e.g. "detected_at from opened_at"


@dataclass
class Plan:
    """What an import would do, decided before anything is written."""

    new: list[Prepared] = field(default_factory=list)
    unchanged: list[Prepared] = field(default_factory=list)  # the id is already in the repository
    invalid: list[tuple[Row, str]] = field(default_factory=list)
    fields: FieldReport | None = None  # another tool's import: what it mapped and dropped

    def derived_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.new:
            for text in item.derived:
                counts[text] = counts.get(text, 0) + 1
        return counts


def stable_id(opened_at: datetime, *parts: str, prefix: str = "INC") -> str:
    """An id like new_id's, but whose random part is a hash of ``parts``: the same
    record imported twice gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(5):
        number, rest = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[rest])
    return f"{prefix}-{opened_at:%Y%m%d}-{''.join(chars)}"


def _time_value(value: Any, key: str, now: datetime) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        try:
            return accepted(value, str(value))
        except InvalidInput as exc:
            raise InvalidInput(f"{key}: {exc}") from None
    if not isinstance(value, str):
        raise InvalidInput(f"{key}: expected a time, found {value!r}")
    try:
        moment = parse_time(value, now)
    except InvalidInput as exc:
        raise InvalidInput(f"{key}: {exc}") from None
    if moment > now:
        raise InvalidInput(f"{key}: {to_iso(moment)} is in the future")
    return moment


def prepare(data: Any, config: Config, now: datetime) -> tuple[Incident, list[str]]:
    """A record (the keys of ``inc show --json``) as a valid incident; InvalidInput says why not."""
    if isinstance(data, _Unreadable):
        raise InvalidInput(data.reason)
    if not isinstance(data, dict):
        raise InvalidInput("expected an object with the keys of inc show --json")
    unknown = sorted(str(k) for k in data if k not in KNOWN_KEYS)
    if unknown:
        if data.get("type") == "incident" and "created_at" in data:
            hint = " (a PagerDuty incident? use --from pagerduty)"
        else:
            hint = " (map them with --map KEY=COLUMN, or drop them with --ignore-unknown)"
        plural = "s" if len(unknown) > 1 else ""
        raise InvalidInput(f"unknown field{plural} {', '.join(unknown)}{hint}")
    record = dict(data)
    times = {k: _time_value(record.get(k), k, now) for k in TIME_FIELDS}
    derived: list[str] = []
    later = [t for k in ("acknowledged_at", "mitigated_at", "resolved_at") if (t := times[k]) is not None]

    def fill(key: str, *sources: str) -> None:
        if times[key] is not None:
            return
        for source in sources:
            if times[source] is not None:
                times[key] = times[source]
                derived.append(f"{key} from {source}")
                return
        if later:
            times[key] = min(later)
            derived.append(f"{key} from the earliest later milestone")

    fill("started_at", "detected_at", "opened_at")
    fill("detected_at", "opened_at", "started_at")
    fill("opened_at", "detected_at", "started_at")
    if times["started_at"] is None:
        raise InvalidInput("no time at all: give at least started_at, detected_at or opened_at")
    assert times["detected_at"] is not None and times["opened_at"] is not None
    if times["detected_at"] < times["started_at"] and "detected_at from opened_at" in derived:
        times["detected_at"] = times["started_at"]
        derived[derived.index("detected_at from opened_at")] = "detected_at from started_at"
    for key, moment in times.items():
        record[key] = to_iso(moment) if moment is not None else None
    if derived:
        # Say which times were filled in (assumed), so metrics leave them out (a derived
        # detected_at would make every time to detect zero).
        source = record.get("source")
        record["source"] = dict(source) if isinstance(source, dict) else {"kind": "import"}
        given = record.get("assumed")
        known = [str(n) for n in given] if isinstance(given, list) else []
        record["assumed"] = sorted({*known, *(text.split(" ")[0] for text in derived)})

    severity = record.get("severity")
    if "severity" in record and severity is None:
        pass  # history that does not say: kept as null, listed and grouped as "unknown"
    elif severity is None or (isinstance(severity, str) and not severity.strip()):
        raise InvalidInput("severity: missing (give null when it is not known)")
    elif isinstance(severity, str) and severity.strip().lower() == UNKNOWN_SEVERITY:
        record["severity"] = None
    else:
        record["severity"] = config.severity(str(severity)).id
    record.setdefault("timeline", [])
    if record["timeline"] is None:
        record["timeline"] = []
    given_status = record.get("status")
    record["status"] = given_status or "open"
    given_id = record.get("id")
    if given_id is not None and (not isinstance(given_id, str) or not ID_PATTERN.match(given_id)):
        raise InvalidInput(f"id: {given_id!r} cannot be a file name; use letters, digits, '-', '_' or '.'")
    record["id"] = given_id or "pending"
    try:
        incident = incident_from_dict(record)
    except IncidentFormatError as exc:
        raise InvalidInput(str(exc)) from None
    if not given_status:
        incident.status = lifecycle.derive_status(incident)
    problems = lifecycle.order_problems(incident) + lifecycle.status_problems(incident)
    if problems:
        key, message = problems[0]
        raise InvalidInput(f"{key}: {message}")
    if not given_id:
        source = incident.extra.get("source")
        if isinstance(source, dict) and source.get("kind") and source.get("id"):
            parts = [str(source["kind"]), str(source["id"])]
        else:
            parts = [incident.title, to_iso(incident.started_at), incident.service or ""]
        incident.id = stable_id(incident.opened_at, *parts)
    return incident, derived


def plan(rows: list[Row], config: Config, now: datetime, exists: Callable[[str], bool]) -> Plan:
    result = Plan()
    seen: dict[str, int] = {}
    for row in rows:
        try:
            incident, derived = prepare(row.data, config, now)
        except InvalidInput as exc:
            result.invalid.append((row, exc.message))
            continue
        if incident.id in seen:
            result.invalid.append((row, f"id {incident.id} is also in row {seen[incident.id]}"))
            continue
        seen[incident.id] = row.number
        item = Prepared(row, incident, derived)
        (result.unchanged if exists(incident.id) else result.new).append(item)
    return result


# -- other tools' exports (integrations/importers) ------------------------------


@dataclass
class _Foreign:
    """An item of another tool's export, before its importer turns it into a record."""

    raw: Any


@dataclass
class FieldReport:
    """Per field of the other tool's items: where it went and in how many items (mapped), or
    in how many items it was present and left out (dropped)."""

    source: str
    mapped: dict[str, tuple[str, int]] = field(default_factory=dict)  # field -> (incli key, items)
    dropped: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = [
            f"{self.source} {name} -> {target} ({count} item{'s' if count != 1 else ''})"
            for name, (target, count) in self.mapped.items()
        ]
        if self.dropped:
            shown = ", ".join(f"{name} ({count})" for name, count in self.dropped.items())
            lines.append(f"{self.source} fields dropped (items holding them): {shown}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "mapped": {name: {"to": target, "items": count} for name, (target, count) in self.mapped.items()},
            "dropped": dict(self.dropped),
        }


def field_report(source: str, rows: list[Row]) -> FieldReport:
    importer = IMPORTERS[source][0]
    known: dict[str, str] = importer.FIELDS
    report = FieldReport(source)
    counts: dict[str, int] = {}
    for row in rows:
        raw = row.data.raw if isinstance(row.data, _Foreign) else row.data
        for name in dict.fromkeys(importer.fields(raw)):
            counts[name] = counts.get(name, 0) + 1
    for name, count in counts.items():
        target = known.get(name, known.get(name.removeprefix("alert."), ""))
        if target:
            report.mapped[name] = (target, count)
        else:
            report.dropped[name] = count
    return report


def convert_foreign(rows: list[Row], source: str, config: Config) -> Iterator[Row]:
    """Rows of another tool's objects as rows of incli records (unreadable ones say why)."""
    importer, settings = IMPORTERS[source]
    for row in rows:
        raw = row.data.raw if isinstance(row.data, _Foreign) else row.data
        try:
            data: Any = importer.record(raw, settings(config))
        except InvalidInput as exc:
            data = _Unreadable(exc.message)
        yield Row(row.number, row.line, data)


def convert_pagerduty(rows: list[Row], config: Config) -> Iterator[Row]:
    """Rows of PagerDuty objects as rows of incli records (unreadable ones say why)."""
    return convert_foreign(rows, "pagerduty", config)


def is_folder_source(source: str) -> bool:
    return bool(getattr(IMPORTERS.get(source, (None,))[0], "FOLDER", False))


def _front_matter(text: str) -> tuple[Any, str]:
    """(front matter, body) of a Markdown file; the front matter is a reason (text) when unreadable."""
    from incli.storage import yamlio

    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return (
            "no YAML front matter (--- at the top)"
            if lines and lines[0].strip() != "+++"
            else "TOML front matter is not read; use YAML"
        ), text
    for index, line in enumerate(lines[1:], 1):
        if line.strip() in ("---", "..."):
            try:
                meta = yamlio.load("".join(lines[1:index]))
            except ValueError as exc:
                return f"front matter: {exc}", ""
            return meta, "".join(lines[index + 1 :])
    return "front matter is not closed (no second ---)", ""


def read_folder(folder: Path) -> list[tuple[str, Any, str]]:
    """Every ``*.md`` file below ``folder`` as (path relative to it, front matter, body), in name
    order. Links are never followed (a file or folder that is one is left out), nothing outside
    ``folder`` is read, and the sizes are bounded. InvalidInput when ``folder`` is no folder."""
    import os
    import stat

    from incli.storage.repo import inside

    if not folder.is_dir():
        raise InvalidInput(
            f"{folder} is not a folder (--from cstate reads a folder of Markdown files, e.g. content/issues)"
        )
    root = os.path.realpath(folder)
    found: list[tuple[str, Any, str]] = []
    total = 0
    for top, dirs, names in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(top, d)))
        for name in sorted(names):
            if not name.lower().endswith(".md") or name.startswith(("_index", ".")):
                continue
            path = os.path.join(top, name)
            relative = os.path.relpath(path, root)
            if os.path.islink(path) or not inside(path, root):
                continue
            if len(found) >= MAX_FOLDER_FILES:
                raise InvalidInput(f"more than {MAX_FOLDER_FILES} Markdown files in {folder}; import a smaller folder")
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            except OSError as exc:
                found.append((relative, f"cannot read it: {exc.strerror or exc}", ""))
                continue
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    continue
                if info.st_size > MAX_FOLDER_FILE_BYTES:
                    found.append((relative, f"{info.st_size} bytes; at most {MAX_FOLDER_FILE_BYTES}", ""))
                    continue
                data = handle.read(MAX_FOLDER_FILE_BYTES + 1)
            total += len(data)
            if total > MAX_FOLDER_BYTES:
                raise InvalidInput(
                    f"more than {MAX_FOLDER_BYTES} bytes of Markdown in {folder}; import a smaller folder"
                )
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                found.append((relative, "not UTF-8 text", ""))
                continue
            meta, body = _front_matter(text)
            found.append((relative, meta, body))
    return found


# -- the use cases --------------------------------------------------------------


def plan_import(
    svc: Any, text: str, fmt: str, source: str = "incli", mapping: Mapping | None = None, folder: Path | None = None
) -> Plan:
    """Read and check a whole import file (or, for a folder importer, ``folder``) against the
    repository; writes nothing."""
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    report = None
    if is_folder_source(source):
        assert folder is not None
        items = IMPORTERS[source][0].objects(read_folder(folder))
        rows = [Row(index, None, _Foreign(item)) for index, item in enumerate(items, 1)]
    else:
        rows = read_rows(text, fmt, source, mapping)
    if source in IMPORTERS:
        report = field_report(source, rows)
        rows = list(convert_foreign(rows, source, svc.config))
    store = svc.store
    planned = plan(rows, svc.config, svc.now(), lambda incident_id: store.path_for(incident_id).exists())
    planned.fields = report
    return planned


def mark_imported(incident: Incident, stamp: str) -> None:
    """Record when an incident entered this repository (``source.imported_at``; a source
    without one becomes ``{kind: import}``): ``inc remind`` pages nobody for a lapse that
    was already history then, and ``inc status`` lists it apart while it has no end."""
    source = incident.extra.get("source")
    source = dict(source) if isinstance(source, dict) else {"kind": "import"}
    source["imported_at"] = stamp
    incident.extra["source"] = source


def differing(svc: Any, planned: Plan) -> int:
    """How many of the incidents already present differ from the file (when each was
    imported aside: that is the repository's, not the file's)."""
    store = svc.store
    count = 0
    for item in planned.unchanged:
        stored = store.read_bytes_or_none(item.incident.id)
        incident = item.incident
        if stored is not None:
            try:
                when = imported_at(store.read(store.path_for(incident.id)).extra)
            except (StorageError, OSError):  # an unreadable file differs
                when = None
            source = incident.extra.get("source")
            if when is not None and not (isinstance(source, dict) and "imported_at" in source):
                incident = copy.deepcopy(incident)
                mark_imported(incident, to_iso(when))
        count += stored != store.serialize(incident)
    return count


IMPORT_BATCH = 500  # incidents written and flushed to disk together


def write_import(svc: Any, planned: Plan, advance: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Create the planned incidents under the repository lock; (created, already present).

    Listeners hear one ``imported`` event for the whole batch (incident None): one
    auto-commit, and only the hooks configured for ``imported`` (history pages nobody)."""
    store = svc.store
    created = present = 0
    written: list[Path] = []
    stamp = to_iso(svc.now())
    with store.locked():
        for start in range(0, len(planned.new), IMPORT_BATCH):
            batch = [item.incident for item in planned.new[start : start + IMPORT_BATCH]]
            for incident in batch:
                mark_imported(incident, stamp)
            for path in store.create_many(batch):  # flushed to disk together
                if path is not None:
                    created += 1
                    written.append(path)
                else:
                    present += 1
            if advance is not None:
                advance(len(batch))
    if written:
        svc.emit("imported", None, written)
    return created, present
