"""The service catalog, ``catalog.yaml``: who owns a service, how critical it is, where its
runbooks and code are, and what it depends on.

Pure: ``parse_catalog`` turns the parsed YAML into a ``Catalog`` and collects every problem
it sees as ``(key path, message)`` (``("services", "payments", "tier")``), so that
``inc validate`` can report them all with file and line; an entry with a problem is still
kept with what could be read of it. ``Catalog.problems`` adds what needs the whole catalog
(a dependency on a service it does not name). Names compare like incidents' services do
(``domain.model.service_key``: trimmed, without regard to case).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from incli.domain.model import service_key

TOP_KEYS = ("services",)
SERVICE_KEYS = ("owners", "team", "tier", "schedule", "escalation", "runbooks", "code", "depends_on", "public")
CODE_KEYS = ("repo", "paths")
MAX_SERVICES = 5000
EXAMPLE = "services: {payments: {owners: [alice], team: payments, tier: 1}}"

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]


@dataclass(frozen=True)
class CodeRef:
    """Where a service's code is: a git repository (relative to the incident repository;
    None: the incident repository's own) and the paths in it (empty: all of it)."""

    repo: str | None = None
    paths: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"repo": self.repo, "paths": list(self.paths)}


@dataclass(frozen=True)
class ServiceEntry:
    """One service of catalog.yaml."""

    name: str
    owners: tuple[str, ...] = ()
    team: str | None = None
    tier: int | None = None
    schedule: str | None = None
    escalation: str | None = None
    runbooks: tuple[str, ...] = ()
    code: tuple[CodeRef, ...] = ()
    depends_on: tuple[str, ...] = ()
    public: bool = False  # shown on the status page (inc statuspage) by default

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "owners": list(self.owners),
            "team": self.team,
            "tier": self.tier,
            "schedule": self.schedule,
            "escalation": self.escalation,
            "runbooks": list(self.runbooks),
            "code": [c.to_json() for c in self.code],
            "depends_on": list(self.depends_on),
            "public": self.public,
        }


@dataclass(frozen=True)
class Catalog:
    """catalog.yaml as typed entries, found by name."""

    services: tuple[ServiceEntry, ...] = ()
    _by_key: dict[str, ServiceEntry] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for item in self.services:
            key = service_key(item.name)
            if key is not None:
                self._by_key.setdefault(key, item)

    def get(self, name: str | None) -> ServiceEntry | None:
        """The entry for a service name as incidents write it (any case)."""
        key = service_key(name)
        return self._by_key.get(key) if key is not None else None

    def names(self) -> list[str]:
        return [s.name for s in self.services]

    def nearest(self, name: str) -> str | None:
        """The catalog's name closest to ``name`` (a typo), or None when none is close."""
        keys = list(self._by_key)
        # n and the cutoff only trim the matches after the best one (no mutant of this line shows).
        near = difflib.get_close_matches(service_key(name) or "", keys, n=1)  # pragma: no mutate
        return self._by_key[near[0]].name if near else None

    def dependencies(self, name: str) -> list[str]:
        """Every service ``name`` depends on, directly or through others (cycles are cut),
        in the order they are reached; names the catalog does not have are kept as written."""
        found: list[str] = []
        seen = {service_key(name)}
        start = self.get(name)
        todo = list(start.depends_on) if start else []
        while todo:
            other = todo.pop(0)
            key = service_key(other)
            if key in seen:
                continue
            seen.add(key)
            entry = self.get(other)
            found.append(entry.name if entry else other)
            if entry:
                todo.extend(entry.depends_on)
        return found

    def problems(self) -> list[Problem]:
        """What is wrong across entries: a dependency on a service the catalog does not name,
        or on the service itself."""
        found: list[Problem] = []
        for item in self.services:
            for index, other in enumerate(item.depends_on):
                where: KeyPath = ("services", item.name, "depends_on", index)
                if service_key(other) == service_key(item.name):
                    found.append((where, f"{item.name} depends on itself"))
                elif self.get(other) is None:
                    near = self.nearest(other)
                    hint = f"; did you mean {near}?" if near else f"; known: {', '.join(self.names())}"
                    found.append((where, f"unknown service {other!r}{hint}"))
        return found


def dotted(path: KeyPath) -> str:
    """``services.payments.code[0].repo``: a key path as one line of text."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _unknown(section: dict[Any, Any], known: tuple[str, ...], where: KeyPath, problems: list[Problem]) -> None:
    for key in section:
        if key not in known:
            # Only the best match is shown: n and the cutoff (0.6 is the default) trim what follows it.
            near = difflib.get_close_matches(str(key), known, n=1)  # pragma: no mutate
            hint = f"did you mean `{near[0]}`?" if near else f"known: {', '.join(known)}"
            problems.append(((*where, str(key)), f"unknown key; {hint}"))


def _text(value: Any, where: KeyPath, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        problems.append((where, "must be text"))
        return None
    return str(value).strip()


def _texts(value: Any, where: KeyPath, problems: list[Problem], example: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append((where, f"must be a list such as {example}"))
        return ()
    found = []
    for index, item in enumerate(value):
        text = _text(item, (*where, index), problems)
        if text is not None and text not in found:
            found.append(text)
    return tuple(found)


def relative_path(text: str) -> bool:
    """Is ``text`` a path inside the folder it is relative to (not absolute, no ``..``)?"""
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    return not (posix.is_absolute() or windows.drive or ".." in posix.parts or ".." in windows.parts)


def _code(value: Any, where: KeyPath, problems: list[Problem]) -> tuple[CodeRef, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append((where, "must be a list such as [{repo: ../payments-api, paths: [src/]}]"))
        return ()
    refs = []
    for index, item in enumerate(value):
        at = (*where, index)
        if not isinstance(item, dict):
            problems.append((at, "must be a mapping such as {repo: ../payments-api, paths: [src/]}"))
            continue
        _unknown(item, CODE_KEYS, at, problems)
        repo = _text(item.get("repo"), (*at, "repo"), problems)
        paths = _texts(item.get("paths"), (*at, "paths"), problems, "[src/]")
        bad = [p for p in paths if not relative_path(p)]
        if bad:
            problems.append(((*at, "paths"), f"{bad[0]!r} is outside the code repository; give a path inside it"))
            paths = tuple(p for p in paths if p not in bad)
        refs.append(CodeRef(repo=repo, paths=paths))
    return tuple(refs)


def _service(name: str, raw: Any, problems: list[Problem]) -> ServiceEntry:
    where: KeyPath = ("services", name)
    if raw is None:
        return ServiceEntry(name=name)
    if not isinstance(raw, dict):
        problems.append((where, "must be a mapping of owners, team, tier, runbooks, code and depends_on"))
        return ServiceEntry(name=name)
    _unknown(raw, SERVICE_KEYS, where, problems)
    tier = raw.get("tier")
    if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int) or tier < 0):
        problems.append(((*where, "tier"), "must be a whole number such as 1 (most critical)"))
        tier = None
    public = raw.get("public", False)
    if not isinstance(public, bool):
        problems.append(((*where, "public"), "must be true or false (true: a component of the status page)"))
        public = False
    runbooks = _texts(raw.get("runbooks"), (*where, "runbooks"), problems, "[runbooks/payments.md]")
    for index, path in enumerate(runbooks):
        if not relative_path(path):
            problems.append(((*where, "runbooks", index), f"{path!r} is outside the repository; give a path inside it"))
    return ServiceEntry(
        name=name,
        owners=_texts(raw.get("owners"), (*where, "owners"), problems, "[alice, bob]"),
        team=_text(raw.get("team"), (*where, "team"), problems),
        tier=tier,
        schedule=_text(raw.get("schedule"), (*where, "schedule"), problems),
        escalation=_text(raw.get("escalation"), (*where, "escalation"), problems),
        runbooks=tuple(p for p in runbooks if relative_path(p)),
        code=_code(raw.get("code"), (*where, "code"), problems),
        depends_on=_texts(raw.get("depends_on"), (*where, "depends_on"), problems, "[db]"),
        public=public,
    )


def parse_catalog(data: Any) -> tuple[Catalog, list[Problem]]:
    """The catalog in ``data`` (parsed YAML) and every problem of its shape."""
    problems: list[Problem] = []
    if data is None:
        return Catalog(), problems
    if not isinstance(data, dict):
        return Catalog(), [((), f"expected a mapping such as {EXAMPLE}")]
    _unknown(data, TOP_KEYS, (), problems)
    raw = data.get("services")
    if raw is None:
        return Catalog(), problems
    if not isinstance(raw, dict):
        return Catalog(), [*problems, (("services",), f"must be a mapping of service names, such as {EXAMPLE}")]
    if len(raw) > MAX_SERVICES:
        return Catalog(), [*problems, (("services",), f"{len(raw)} services is over the limit of {MAX_SERVICES}")]
    services: list[ServiceEntry] = []
    seen: dict[str, str] = {}
    for name, entry in raw.items():
        text = str(name).strip() if not isinstance(name, bool) and name is not None else ""
        if not text:
            problems.append((("services", str(name)), "a service needs a name"))
            continue
        # text is not blank here, so service_key never gives None: the fallback is for the type only.
        key = service_key(text) or ""  # pragma: no mutate
        if key in seen:
            problems.append((("services", str(name)), f"{text} is named twice (also as {seen[key]})"))
            continue
        seen[key] = text
        services.append(_service(str(name), entry, problems))
    return Catalog(services=tuple(services)), problems
