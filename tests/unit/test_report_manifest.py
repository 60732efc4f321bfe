"""The report's manifest and what a page read, without the CLI: a manifest read back is the one
written, or nothing at all; a page's reads replayed give the same text exactly when what they read
is unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from incli.domain import reportdata
from incli.domain.metrics import TIME_FIELDS, Facts
from incli.service.report import Entry, read_manifest, write_manifest

KEY = b"k" * 32
SITE = "a" * 64
text = st.text(max_size=20)
digest = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
items = st.builds(
    reportdata.ActionItem,
    id=text,
    title=text,
    owner=text,
    due=st.none() | st.dates(min_value=date(1970, 1, 1)),
    due_text=text,
    priority=text,
    status=text,
    note=text,
    done_at=text,
    stored_open=st.booleans(),
)
paths = st.lists(
    st.lists(st.sampled_from(["site", "newer", "older"]), min_size=1, max_size=1).map(lambda p: p)
    | st.tuples(st.just("site"), st.sampled_from(["count", "name", "zone_name"])).map(list)
    | st.tuples(st.just("site"), st.just("service_entry"), st.lists(text, max_size=1)).map(list),
    max_size=4,
)
entries = st.builds(
    Entry,
    file=digest,
    stat=st.none() | st.lists(st.integers(min_value=0, max_value=2**62), min_size=4, max_size=4),
    page=digest,
    reads=paths,
    deps=digest,
    flags=st.text(alphabet="01", max_size=4),
    actions=st.lists(items, max_size=3),
    warnings=st.lists(text, max_size=2),
)
manifests = st.dictionaries(st.from_regex(r"INC-[0-9]{8}-[a-z0-9]{5}", fullmatch=True), entries, max_size=5)


@settings(max_examples=60, deadline=None)
@given(pages=manifests)
def test_a_manifest_reads_back_as_written(tmp_path_factory: object, pages: dict[str, Entry]) -> None:
    folder = Path(tmp_path_factory.mktemp("site"))  # type: ignore[attr-defined]
    write_manifest(folder / ".incli-report-manifest", KEY, SITE, pages)
    assert read_manifest(folder, KEY, SITE) == pages
    assert read_manifest(folder, b"o" * 32, SITE) == {}  # signed by another clone
    assert read_manifest(folder, KEY, "b" * 64) == {}  # built with other templates, config, version


@settings(max_examples=60, deadline=None)
@given(pages=manifests.filter(bool), where=st.floats(min_value=0, max_value=1), byte=st.integers(1, 255))
def test_a_manifest_changed_anywhere_gives_nothing(
    tmp_path_factory: object, pages: dict[str, Entry], where: float, byte: int
) -> None:
    folder = Path(tmp_path_factory.mktemp("site"))  # type: ignore[attr-defined]
    path = folder / ".incli-report-manifest"
    write_manifest(path, KEY, SITE, pages)
    data = bytearray(path.read_bytes())
    position = min(int(where * len(data)), len(data) - 2)  # not the final newline, which is read past
    data[position] ^= byte
    path.write_bytes(bytes(data))
    assert read_manifest(folder, KEY, SITE) == {}


def _row(title: str, opened: float) -> reportdata.IncidentRow:
    times = tuple(opened if name in ("opened_at", "started_at", "detected_at") else None for name in TIME_FIELDS)
    facts = Facts("INC-20250101-aaaaa", title, "SEV2", "resolved", None, (), False, times, None, None, ())
    listed = reportdata.Listed(facts)
    return reportdata.IncidentRow(listed, timedelta(minutes=5), "missing", reportdata.incident_href(listed.id))


def _read(site: dict[str, object], newer: reportdata.IncidentRow | None) -> reportdata.Reads:
    """What a page that shows the site's name, its count of incidents, a catalog entry and its newer
    neighbour's title reads."""
    reads = reportdata.Reads()
    view = reportdata.Watched(site, ("site",), reads, calls=frozenset({"service_entry"}))
    assert view.name == site["name"] and view["count"] == site["count"]
    view.service_entry("api")
    reads.add(("newer",), newer is not None)
    if newer is not None:
        assert reportdata.Watched(newer, ("newer",), reads).incident.title == newer.incident.title
    return reads


@settings(max_examples=80, deadline=None)
@given(
    name=text,
    count=st.integers(0, 10**6),
    owners=st.lists(text, max_size=2),
    title=st.none() | text,
    change=st.sampled_from(["none", "name", "count", "owners", "title", "neighbour"]),
)
def test_reads_replayed_are_equal_exactly_when_what_was_read_is(
    name: str, count: int, owners: list[str], title: str | None, change: str
) -> None:
    opened = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    site: dict[str, object] = {"name": name, "count": count, "service_entry": lambda _s: {"owners": owners}}
    newer = _row(title, opened) if title is not None else None
    reads = _read(site, newer)
    now_site = dict(site)
    now_newer = newer
    if change == "name":
        now_site["name"] = name + "!"
    elif change == "count":
        now_site["count"] = count + 1
    elif change == "owners":
        now_site["service_entry"] = lambda _s: {"owners": [*owners, "x"]}
    elif change == "title":
        now_newer = _row((title or "") + "!", opened)
    elif change == "neighbour":
        now_newer = None if newer is not None else _row("", opened)
    replayed = reportdata.replay(reads.paths(), {"site": now_site, "newer": now_newer})
    assert (replayed == reads.digest_text()) == (change == "none")
