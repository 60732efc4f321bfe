"""Status pages that keep incidents as Markdown with YAML front matter (cState, other Hugo
pages) into the records ``inc import --from cstate DIR`` reads.

A folder importer: ``service/transfer.read_folder`` walks DIR (never leaving it: links are
not followed) and hands over each ``*.md`` file's front matter and body. A file is an
incident when its front matter has ``title`` and ``date`` (``section: issue`` or none):

- ``severity``: ``down`` -> SEV1, ``disrupted`` -> SEV2, ``notice`` -> SEV4 (else unknown;
  ``import: {cstate: {severity: {...}, default: ...}}`` changes it);
- ``date`` is when it began (impact start, detection and opening); ``resolved: true`` with
  ``resolvedWhen`` is the resolution (without ``resolvedWhen``, the last update's time,
  recorded as assumed);
- ``affected``: the first system is the service, all of them tags;
- each paragraph of the body with a ``{{< track "TIME" >}}`` shortcode is a status update
  at that time; an untracked body is the summary.

A time without an offset (cState writes ``2021-03-03 14:30:00``) is read in the
repository's time zone (``timezone:``), else the local one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from incli.domain.config import Config
from incli.domain.times import localize, parse_iso
from incli.errors import InvalidInput
from incli.integrations.importers import entry, iso, timeline

NAME = "cstate"
FOLDER = True
MAX_SUMMARY = 4000
_TRACK = re.compile(r"\{\{[<%]\s*track\s+\"([^\"]{1,64})\"\s*[>%]\}\}")

FIELDS = {
    "title": "title",
    "date": "started_at, detected_at, opened_at",
    "severity": "severity (import.cstate.severity: down SEV1, disrupted SEV2, notice SEV4)",
    "resolved": "status",
    "resolvedWhen": "resolved_at",
    "affected": "service (the first) and tags",
    "section": "(checked: issue)",
    "body": "timeline updates ({{< track >}}) or summary",
}


def objects(files: list[tuple[str, Any, str]]) -> list[Any]:
    """The incidents among (relative path, front matter, body) of the folder's Markdown files;
    front matter that is not a mapping is an item that says why it cannot be imported."""
    items: list[Any] = []
    for path, meta, body in files:
        if isinstance(meta, str):  # why the file could not be read
            items.append({"path": path, "problem": meta})
            continue
        if not isinstance(meta, dict) or not meta.get("title") or not meta.get("date"):
            continue  # a page that is no incident (a system, an about page)
        if meta.get("section") not in (None, "issue", "issues"):
            continue
        items.append({"path": path, "meta": meta, "body": body})
    if not items:
        raise InvalidInput(
            "no incidents here: expected Markdown files with front matter title and date (cState's content/issues)"
        )
    return items


def fields(item: Any) -> list[str]:
    if not isinstance(item, dict) or not isinstance(item.get("meta"), dict):
        return []
    return [str(k) for k in item["meta"]] + (["body"] if str(item.get("body") or "").strip() else [])


def _time(value: Any, config: Config, key: str) -> datetime:
    raw = str(value).strip()
    parsed = parse_iso(raw)
    if parsed is None:
        raise InvalidInput(f"{key}: {raw!r} is not a time such as 2021-03-03 14:30:00")
    return parsed if parsed.tzinfo is not None else localize(parsed, config.zone)


def record(item: Any, config: Config) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidInput("expected a status page incident")
    if "problem" in item:
        raise InvalidInput(f"{item['path']}: {item['problem']}")
    meta, path = item["meta"], item["path"]
    try:
        started = _time(meta["date"], config, "date")
        updates: list[tuple[datetime, str]] = []
        untracked: list[str] = []
        for paragraph in re.split(r"\n\s*\n", str(item.get("body") or "")):
            found = _TRACK.search(paragraph)
            words = _TRACK.sub("", paragraph).strip()
            if found is None:
                if words:
                    untracked.append(words)
                continue
            updates.append((_time(found.group(1), config, "track"), words or "Update"))
        resolved = None
        assumed = ["detected_at"]
        if meta.get("resolved") is True or str(meta.get("resolved")).lower() == "true":
            if meta.get("resolvedWhen"):
                resolved = _time(meta["resolvedWhen"], config, "resolvedWhen")
            elif updates:
                resolved = max(at for at, _w in updates)
                assumed.append("resolved_at")
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}") from None
    level = str(meta.get("severity") or "").strip().lower()
    affected = meta.get("affected")
    systems = [str(a).strip() for a in affected if str(a).strip()] if isinstance(affected, list) else []
    if isinstance(affected, str) and affected.strip():
        systems = [affected.strip()]
    entries = [entry(started, "opened", "Posted on the status page")]
    entries += [entry(at, "update", words) for at, words in updates if at >= started]
    if resolved is not None:
        entries.append(entry(resolved, "resolved", "Resolved on the status page"))
    summary = "\n\n".join(untracked)
    return {
        "title": str(meta["title"]),
        "severity": config.cstate_import.values.get(level, config.cstate_import.default),
        "service": systems[0] if systems else None,
        "tags": systems,
        "summary": (summary[: MAX_SUMMARY - 1] + "\u2026" if len(summary) > MAX_SUMMARY else summary) or None,
        "started_at": iso(started),
        "detected_at": iso(started),
        "opened_at": iso(started),
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": iso(resolved),
        "timeline": timeline(entries),
        "source": {"kind": "cstate", "id": path},
        "assumed": assumed,
    }
