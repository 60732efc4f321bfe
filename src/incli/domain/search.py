"""Full-text search and related incidents: what is searched in an incident, the FTS5 query a
person's words become, the line that matched, links between incidents, and why two incidents
are related. Pure: the SQLite index is ``storage/search.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from incli.domain.model import Incident, service_key

FIELDS = ("title", "summary", "timeline", "postmortem")
MAX_QUERY = 500
MAX_FIELD_CHARS = 200_000
_WORD = re.compile(r"\w+", re.UNICODE)
_ALERTNAME = re.compile(r'alertname="((?:[^"\\]|\\.)*)"')

# inc link ID OTHER --as KIND: what ID records, and what OTHER records back.
LINK_KINDS = {"duplicate": "duplicated-by", "caused-by": "caused", "related": "related"}
STORED_KINDS = (*LINK_KINDS, "duplicated-by", "caused")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def document(incident: Incident) -> dict[str, str]:
    """The searched text of an incident, by field (each bounded)."""
    post = incident.extra.get("postmortem")
    texts = {
        "title": incident.title,
        "summary": incident.summary or "",
        "timeline": "\n".join(e.text for e in incident.timeline),
        "postmortem": "\n".join(s for s in _strings(post) if s.strip()) if isinstance(post, dict) else "",
    }
    return {key: value[:MAX_FIELD_CHARS] for key, value in texts.items()}


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def fts_queries(query: str) -> tuple[str, str]:
    """(the words as one phrase, every word anywhere) as FTS5 queries: each word is quoted,
    so nothing a person types is FTS5 syntax. InvalidInput-free: the caller checks emptiness."""
    found = list(dict.fromkeys(words(query[:MAX_QUERY])))
    quoted = [f'"{w}"' for w in found]
    return '"' + " ".join(found) + '"', " ".join(quoted)


def similar_words(text: str, limit: int = 24) -> list[str]:
    """The (longer) words of ``text`` that similar incidents are looked for by."""
    return [w for w in dict.fromkeys(words(text)) if len(w) > 2 and not w.isdigit()][:limit]


def any_word_query(found: list[str]) -> str:
    """An FTS5 query matching any of these words (each quoted: never FTS5 syntax)."""
    return " OR ".join(f'"{w}"' for w in found)


def best_line(fields: dict[str, str], query: str) -> tuple[str, str]:
    """(field, line) where the query's words match best: the whole phrase first, then the most
    words, then the earliest field (title, summary, timeline, postmortem)."""
    wanted = list(dict.fromkeys(words(query)))
    phrase = " ".join(wanted)
    best: tuple[tuple[int, int], str, str] | None = None
    for rank, field in enumerate(FIELDS):
        for line in fields.get(field, "").splitlines():
            have = words(line)
            if not have:
                continue
            joined = " ".join(have)
            score = (2 * len(wanted) if phrase and phrase in joined else 0) + sum(
                1 for w in wanted if any(h.startswith(w) for h in have)
            )
            key = (score, -rank)
            if score and (best is None or key > best[0]):
                best = (key, field, line.strip())
    if best is None:
        return ("title", fields.get("title", ""))
    return best[1], best[2][:300]


def alert_names(incident: Incident) -> list[str]:
    """The alert names an incident came from (``alertname`` in its alert group's key)."""
    source = incident.extra.get("source")
    if not isinstance(source, dict):
        return []
    names = _ALERTNAME.findall(str(source.get("group_key") or ""))
    labels = source.get("labels")
    if isinstance(labels, dict) and isinstance(labels.get("alertname"), str):
        names.append(labels["alertname"])
    return list(dict.fromkeys(n for n in names if n))


def fingerprints(incident: Incident) -> list[str]:
    source = incident.extra.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("fingerprints"), list):
        return []
    return [str(f) for f in source["fingerprints"] if f is not None]


def links(incident: Incident) -> list[dict[str, str]]:
    """The incident's links (``links: [{id, as}]``) that make sense."""
    raw = incident.extra.get("links")
    if not isinstance(raw, list):
        return []
    return [
        {"id": str(item["id"]), "as": str(item["as"])}
        for item in raw
        if isinstance(item, dict) and item.get("id") and item.get("as") in STORED_KINDS
    ]


def link_problems(raw: Any) -> list[tuple[str, str]]:
    """What is wrong with a stored ``links:`` list (key, message): an entry ``links`` would drop."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [("links", f"expected a list of {{id, as}}, found {raw!r}")]
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(raw):
        where = f"links[{index}]"
        if not isinstance(item, dict):
            problems.append((where, f"expected {{id, as}}, found {item!r}"))
            continue
        if not isinstance(item.get("id"), str) or not item["id"].strip():
            problems.append((f"{where}.id", f"expected an incident id, found {item.get('id')!r}"))
        if item.get("as") not in STORED_KINDS:
            problems.append((f"{where}.as", f"expected one of {', '.join(STORED_KINDS)}, found {item.get('as')!r}"))
    return problems


def duplicate_of(incident: Incident) -> str | None:
    """The original this incident duplicates, if it was linked as a duplicate."""
    return next((link["id"] for link in links(incident) if link["as"] == "duplicate"), None)


def add_link(incident: Incident, other: str, kind: str) -> bool:
    """Record a link (once); False when it was there already."""
    current = links(incident)
    if {"id": other, "as": kind} in current:
        return False
    incident.extra["links"] = [*current, {"id": other, "as": kind}]
    return True


@dataclass(frozen=True)
class Candidate:
    """What the related ranking knows of another incident."""

    id: str
    title: str
    service: str | None
    started: float
    alerts: tuple[str, ...]
    fingerprints: tuple[str, ...]


# What each thing two incidents share adds to how related they are (related_score).
LINK_WEIGHT = 10
ALERT_WEIGHT = 3  # each alert name of this incident the other one has
FINGERPRINT_WEIGHT = 2  # any alert fingerprint in common
SERVICE_WEIGHT = 1


def related_score(
    this: Candidate,
    other: Candidate,
    *,
    text_score: float,
    alert_counts: dict[str, int],
    linked: str | None,
    window_days: int,
) -> tuple[float, list[str]]:
    """How related ``other`` is to ``this`` and why, in words; (0, []) when not at all.
    ``text_score`` is 0..1 (text similarity); ``alert_counts`` how often each alert name was
    seen in the ``window_days`` before ``this``; ``linked`` the kind of an explicit link."""
    score = 0.0
    reasons: list[str] = []
    if linked:
        score += LINK_WEIGHT
        reasons.append(f"linked as {linked}")
    for name in this.alerts:
        if name in other.alerts:
            score += ALERT_WEIGHT
            count = alert_counts.get(name, 0)
            reasons.append(f"same alert {name}, {count} time{'s' if count != 1 else ''} in {window_days} days")
    shared = set(this.fingerprints) & set(other.fingerprints)
    if shared:
        score += FINGERPRINT_WEIGHT
        reasons.append(f"same alert fingerprint {sorted(shared)[0]}")
    service = service_key(this.service)
    if service is not None and service == service_key(other.service):
        score += SERVICE_WEIGHT
        reasons.append(f"same service {other.service}")
    if text_score > 0.05:
        score += text_score
        reasons.append(f"similar text ({round(text_score * 100)}%)")
    return (round(score, 3), reasons) if reasons else (0.0, [])
