"""inc search, inc related, inc link (issue 17): full-text search over a few thousand incidents
(SQLite FTS5 in .incli/, rebuilt when missing or stale), past incidents of a recurring alert,
and duplicates left out of metrics."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import check_refused, inc, shared

COUNT = 1500
PHRASE = "retry storm from the billing cron"
WORDS = ("disk", "latency", "timeout", "queue", "certificate", "cache", "dns", "memory", "deploy", "quota")


def incident_yaml(ident: str, start: datetime, title: str, extra: str = "", service: str = "api") -> str:
    at = start.isoformat()
    return (
        f"schema: 1\nid: {ident}\ntitle: {title}\nseverity: SEV3\nstatus: resolved\nservice: {service}\n"
        f"summary: Customers saw errors\nopened_at: '{at}'\nstarted_at: '{at}'\ndetected_at: '{at}'\n"
        f"acknowledged_at: '{at}'\nmitigated_at: '{at}'\nresolved_at: '{(start + timedelta(hours=1)).isoformat()}'\n"
        f"timeline:\n- at: '{at}'\n  kind: opened\n  by: ann\n  text: 'Opened as SEV3: {title}'\n"
        f"- at: '{at}'\n  kind: note\n  by: ann\n  text: 'Looked at the {title.split()[-1]} dashboard'\n{extra}"
    )


def alert_source(name: str, fingerprint: str) -> str:
    return (
        f"source:\n  kind: alertmanager\n  group_key: '{{}}:{{alertname=\"{name}\"}}'\n"
        f"  fingerprints: [{fingerprint}]\n  firing: []\n"
    )


@pytest.fixture(scope=shared)
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("search") / "repo"
    inc("init", root)
    folder = root / "incidents"
    rng = random.Random(17)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(COUNT):
        title = f"Elevated {rng.choice(WORDS)} errors on {rng.choice(WORDS)}"
        ident = f"INC-20240101-g{index:04d}"
        (folder / f"{ident}.yaml").write_text(incident_yaml(ident, start + timedelta(hours=index), title))
    post = f"postmortem:\n  state: draft\n  impact: |-\n    Payments were slow.\n    It was the {PHRASE}, again.\n"
    (folder / "INC-20240301-needle.yaml").write_text(
        incident_yaml("INC-20240301-needle", datetime(2024, 3, 1, tzinfo=UTC), "Slow payments", post)
    )
    for day, ident in ((0, "INC-20250101-pool1"), (19, "INC-20250120-pool2"), (39, "INC-20250209-pool3")):
        when = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day)
        text = incident_yaml(ident, when, "Checkout errors", alert_source("DBConnectionPoolExhausted", "fbab"), "db")
        (folder / f"{ident}.yaml").write_text(text)
    old = time.time() - 3600
    for path in folder.glob("*.yaml"):
        os.utime(path, (old, old))
    yield root


def test_search_finds_a_phrase_in_one_postmortem_among_thousands(big: Path) -> None:
    found = inc("search", "billing cron retry storm", "--json", root=big).json
    assert found[0]["id"] == "INC-20240301-needle"
    assert found[0]["match"] == {"field": "postmortem", "text": f"It was the {PHRASE}, again."}
    assert set(found[0]) == {"id", "title", "score", "match"} and found[0]["score"] > 0
    assert len(found) == 1
    table = inc("search", PHRASE, root=big).stdout
    assert "INC-20240301-needle" in table and "postmortem" in table
    assert (big / ".incli" / "index-search.sqlite").is_file()
    stemmed = inc("search", "storms", "--json", root=big).json
    assert [r["id"] for r in stemmed] == ["INC-20240301-needle"]


def test_ranking_puts_the_title_above_a_timeline_mention(big: Path) -> None:
    found = inc("search", "checkout", "--json", "--limit", "5", root=big).json
    assert [r["match"]["field"] for r in found][:3] == ["title", "title", "title"]
    assert len(inc("search", "errors", "--json", "--limit", "7", root=big).json) == 7


def test_the_index_follows_edits_deletions_and_its_own_loss(big: Path) -> None:
    needle = big / "incidents" / "INC-20240301-needle.yaml"
    original = needle.read_text()
    try:
        needle.write_text(original.replace("billing cron", "ledger job"))
        assert inc("search", "billing cron", "--json", root=big).json == []
        assert inc("search", "ledger job", "--json", root=big).json[0]["id"] == "INC-20240301-needle"
        needle.unlink()
        assert inc("search", "ledger", "--json", root=big).json == []
    finally:
        needle.write_text(original)
    index = big / ".incli" / "index-search.sqlite"
    index.write_bytes(b"not a database at all")
    assert inc("search", PHRASE, "--json", root=big).json[0]["id"] == "INC-20240301-needle"


def test_many_files_changed_at_once_are_all_indexed(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pull that changes more files than are read one by one (search.BULK) goes through the
    derived index, one incident at a time."""
    from incli.storage import search as storage_search

    monkeypatch.setattr(storage_search, "BULK", 2)
    folder = repo / "incidents"
    start = datetime(2024, 5, 1, tzinfo=UTC)
    names = [f"INC-2024050{n}-bulk{n}" for n in range(1, 5)]
    for n, ident in enumerate(names):
        (folder / f"{ident}.yaml").write_text(incident_yaml(ident, start + timedelta(days=n), f"Old title {n}"))
    assert sorted(r["id"] for r in inc("search", "old title", "--json").json) == names
    for n, ident in enumerate(names[:3]):
        (folder / f"{ident}.yaml").write_text(incident_yaml(ident, start + timedelta(days=n), f"Fresh words {n}"))
    (folder / "INC-20240509-named.yaml").write_text(incident_yaml("INC-20240509-other", start, "Misnamed pager"))
    assert sorted(r["id"] for r in inc("search", "fresh words", "--json").json) == sorted(names[:3])
    assert [r["id"] for r in inc("search", "old title", "--json").json] == [names[3]]
    assert inc("search", "misnamed pager", "--json").json == []  # a file inc validate refuses is not indexed


def test_similar_text_means_the_rarer_words(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """inc related scores at most SIMILAR_POSTINGS incidents for text, taking the rarest words
    first: here 'checkout' and 'errors' (in four of ten incidents, over the limit of three) make
    none similar, 'zebra' (in two) does, and inc show's time does not grow with the repository."""
    from incli.storage import search as storage_search

    monkeypatch.setattr(storage_search, "SIMILAR_POSTINGS", 3)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    titles = ["Checkout errors zebra", "Checkout errors", "Checkout errors", "Zebra crossing"]
    titles += [f"Disk {word}" for word in ("alpha", "bravo", "delta", "echo", "golf")] + ["Checkout errors again"]
    for n, title in enumerate(titles):
        ident = f"INC-202405{n + 1:02d}-sim{n}"
        (repo / "incidents" / f"{ident}.yaml").write_text(incident_yaml(ident, start + timedelta(days=n), title))
    found = inc("related", "INC-20240510-sim9", "--json").json
    assert [r for r in found if any(x.startswith("similar text") for x in r["reasons"])] == []
    found = inc("related", "INC-20240504-sim3", "--json").json
    similar = [(r["id"], x) for r in found for x in r["reasons"] if x.startswith("similar text")]
    assert similar == [("INC-20240501-sim0", "similar text (100%)")]


def test_the_limit_counts_the_documents_of_every_word_kept(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two words each in two incidents, the limit three: the rarer (the first, on a tie) is kept,
    the second would take the total to four, so an incident sharing only it is not similar."""
    from incli.storage import search as storage_search

    monkeypatch.setattr(storage_search, "SIMILAR_POSTINGS", 3)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    titles = ["Zebra stampede", "Giraffe sighting", "Zebra giraffe"]
    for n, title in enumerate(titles):
        ident = f"INC-202405{n + 1:02d}-lim{n}"
        (repo / "incidents" / f"{ident}.yaml").write_text(incident_yaml(ident, start + timedelta(days=n), title))
    found = inc("related", "INC-20240503-lim2", "--json").json
    similar = [r["id"] for r in found if any(x.startswith("similar text") for x in r["reasons"])]
    assert similar == ["INC-20240501-lim0"]


def test_search_text_is_never_fts_syntax_and_bad_queries_are_refused(big: Path) -> None:
    assert inc("search", '"billing" cron* (storm', "--json", root=big).json[0]["id"] == "INC-20240301-needle"
    assert inc("search", "title:billing", "--json", root=big).json == []  # no column filters
    check_refused(inc("search", "  ?! ", root=big, code=None), ExitCode.INVALID, "words")
    check_refused(inc("search", "x" * 600, root=big, code=None), ExitCode.INVALID, "characters")


def test_related_names_the_recurring_alert(big: Path) -> None:
    found = inc("related", "INC-20250209-pool3", "--json", root=big).json
    assert [r["id"] for r in found[:2]] == ["INC-20250120-pool2", "INC-20250101-pool1"]
    reasons = found[0]["reasons"]
    assert "same alert DBConnectionPoolExhausted, 3 times in 90 days" in reasons
    assert "same alert fingerprint fbab" in reasons and "same service db" in reasons
    assert set(found[0]) == {"id", "title", "score", "reasons"}
    assert all(r["id"] != "INC-20250209-pool3" for r in found)
    # only past incidents: the first occurrence has none with that alert
    first = inc("related", "INC-20250101-pool1", "--json", root=big).json
    assert all("DBConnection" not in " ".join(r["reasons"]) for r in first)
    shown = inc("show", "INC-20250209-pool3", root=big).stdout
    assert "Related" in shown and "INC-20250120-pool2" in shown


def test_the_postmortem_lists_previous_occurrences(big: Path) -> None:
    text = inc("postmortem", "render", "INC-20250209-pool3", root=big).stdout
    section = text.split("## Previous occurrences\n\n")[1].split("\n\n")[0].splitlines()
    first = "- INC-20250120-pool2 (2025-01-20): Checkout errors (same alert DBConnectionPoolExhausted"
    assert section[0].startswith(first)
    assert len(section) == 2


def test_link_keeps_both_sides_and_a_duplicate_leaves_metrics(repo: Path) -> None:
    first = inc("open", "Checkout down", "-s", "SEV2", "--service", "web").stdout.strip()
    second = inc("open", "Checkout is down", "-s", "SEV2", "--service", "web").stdout.strip()
    assert inc("metrics", "--json").json["count"] == 2
    inc("link", second, first, "--as", "duplicate", "--by", "ann")
    assert inc("metrics", "--json").json["count"] == 1
    one, two = inc("show", second, "--json").json, inc("show", first, "--json").json
    assert one["links"] == [{"id": first, "as": "duplicate"}]
    assert two["links"] == [{"id": second, "as": "duplicated-by"}]
    assert one["timeline"][-1]["text"] == f"Linked as a duplicate of {first}"
    assert f"links:\n- id: {first}\n  as: duplicate\n" in (repo / "incidents" / f"{second}.yaml").read_text()
    related = inc("related", first, "--json").json
    assert related[0]["id"] == second and "linked as duplicated-by" in related[0]["reasons"]
    inc("validate")


def test_bad_links_are_refused_and_change_nothing(repo: Path, snapshot: object) -> None:
    first = inc("open", "A", "-s", "SEV2").stdout.strip()
    second = inc("open", "B", "-s", "SEV2").stdout.strip()
    inc("link", first, second, "--as", "duplicate")
    before = {p.name: p.read_bytes() for p in (repo / "incidents").glob("*.yaml")}
    check_refused(inc("link", first, first, code=None), ExitCode.INVALID, "itself")
    check_refused(inc("link", first, second, "--as", "twin", code=None), ExitCode.INVALID, "duplicate, caused-by")
    check_refused(inc("link", first, second, "--as", "duplicate", code=None), ExitCode.CONFLICT, "already")
    check_refused(inc("link", second, first, "--as", "duplicate", code=None), ExitCode.CONFLICT, "original")
    assert {p.name: p.read_bytes() for p in (repo / "incidents").glob("*.yaml")} == before


def test_related_reads_only_what_could_rank_and_ranks_as_a_full_scan_would(tmp_path: Path) -> None:
    """inc related (and inc show) no longer read every incident: the candidates are found by shared
    alert, fingerprint, text, link and the latest of the service. The ranking must be exactly
    the one scoring every incident gives (computed here the old way, over all of them)."""
    import json

    from incli.domain import search as ds
    from incli.service.repository import open_service
    from incli.service.search import WINDOW_DAYS, _index

    root = tmp_path / "r"
    inc("init", root)
    rng = random.Random(23)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ids = []
    for index in range(160):
        ident = f"INC-20240101-r{index:04d}"
        ids.append(ident)
        extra = ""
        if rng.random() < 0.6:
            extra = alert_source(
                rng.choice(("PoolFull", "DiskFull", "CertExpiry")), rng.choice(("aa", "bb", "cc", "dd"))
            )
        if index > 5 and rng.random() < 0.1:
            extra += f"links:\n- id: {ids[rng.randrange(index)]}\n  as: related\n"
        title = f"Errors in {rng.choice(WORDS)} q{index}"
        when = start + timedelta(hours=rng.randrange(24 * 200))
        service = rng.choice(("api", "db", "web", "Api"))
        (root / "incidents" / f"{ident}.yaml").write_text(incident_yaml(ident, when, title, extra, service))
    svc = open_service(root, lambda _m: None)
    for ident in rng.sample(ids, 25):
        got = [(r["id"], r["reasons"]) for r in inc("related", ident, "--json", "--limit", "10", root=root).json]
        incident = svc.get(ident)
        linked = {link["id"]: link["as"] for link in ds.links(incident)}
        with _index(svc) as (index, db):  # the old way: every incident a candidate
            everyone = index._candidates(db.execute(f"SELECT {index.COLUMNS} FROM meta").fetchall())
            similar = index.search(db, index.similar_query(db, f"{incident.title}\n{incident.summary or ''}"), 50)
        this = next(c for c in everyone if c.id == ident)
        best = min((s for i, s, _f in similar if i != ident), default=0.0)
        text_scores = {i: (s / best if best else 0.0) for i, s, _f in similar if i != ident}
        since = this.started - WINDOW_DAYS * 86400
        counts = {
            a: sum(1 for c in everyone if a in c.alerts and since <= c.started <= this.started) for a in this.alerts
        }
        rows = []
        for other in everyone:
            if other.id == ident or (other.started > this.started and other.id not in linked):
                continue
            score, reasons = ds.related_score(
                this,
                other,
                text_score=text_scores.get(other.id, 0.0),
                alert_counts=counts,
                linked=linked.get(other.id),
                window_days=WINDOW_DAYS,
            )
            if reasons:
                rows.append((-score, -other.started, other.id, reasons))
        rows.sort(key=lambda r: r[:3])
        assert got == [(r[2], r[3]) for r in rows[:10]], json.dumps(ident)


def _one_incident(repo: Path, title: str) -> Path:
    path = repo / "incidents" / "INC-20240501-same1.yaml"
    path.write_text(incident_yaml("INC-20240501-same1", datetime(2024, 5, 1, tzinfo=UTC), title))
    return path


def _found(word: str) -> list[str]:
    return [r["id"] for r in inc("search", word, "--json").json]


def test_a_file_changed_within_the_clock_tick_of_its_indexing_is_read_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a coarse clock an edit in place can keep the size and every time stamp of the file;
    a file indexed while that could still happen is recorded as unsettled and read again."""
    from incli.storage import search as storage_search

    path = _one_incident(repo, "Alpha outage")
    now = time.time_ns()
    frozen = {path.name: (now, now, path.stat().st_size, path.stat().st_ino)}  # a clock that never ticks
    monkeypatch.setattr(storage_search, "scan", lambda folder, leftovers=None: dict(frozen))
    assert _found("alpha") == ["INC-20240501-same1"]
    _one_incident(repo, "Bravo outage")  # the same size, and to this clock the same times
    assert _found("bravo") == ["INC-20240501-same1"] and _found("alpha") == []


def test_once_settled_the_whole_folder_is_checked_at_once_and_a_new_file_is_seen(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incli.storage import search as storage_search

    monkeypatch.setattr(storage_search, "SETTLE_SECONDS", -3600.0)  # every file has settled
    _one_incident(repo, "Alpha outage")
    assert _found("alpha") == ["INC-20240501-same1"]
    assert _found("alpha") == ["INC-20240501-same1"]  # the folder unchanged: answered from the index
    other = repo / "incidents" / "INC-20240502-new22.yaml"
    other.write_text(incident_yaml("INC-20240502-new22", datetime(2024, 5, 2, tzinfo=UTC), "Alpha again"))
    assert sorted(_found("alpha")) == ["INC-20240501-same1", "INC-20240502-new22"]
    other.unlink()
    assert _found("alpha") == ["INC-20240501-same1"]


def test_inc_show_trusts_the_folder_only_once_its_own_change_has_settled(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inc show skips the scan while the folder's stat is the one recorded, so that stat is
    recorded only once no change could hide within its clock tick."""
    from incli.storage import search as storage_search

    first = repo / "incidents" / "INC-20240501-same1.yaml"
    first.write_text(
        incident_yaml("INC-20240501-same1", datetime(2024, 5, 1, tzinfo=UTC), "Zebra outage", service="db")
    )
    real_scan, hour_ago = storage_search.scan, time.time_ns() - 3600 * 10**9

    def settled_files(folder: Path, leftovers: list[str] | None = None) -> dict[str, tuple[int, int, int, int]]:
        return {n: (hour_ago, hour_ago, s, i) for n, (_m, _c, s, i) in real_scan(folder, leftovers).items()}

    now = time.time_ns()  # the folder changed just now, and to this clock it stays that way
    monkeypatch.setattr(storage_search, "scan", settled_files)
    monkeypatch.setattr(storage_search.SearchIndex, "_folder_stat", lambda self: f"{now},{now},42")
    assert "Related" not in inc("show", "INC-20240501-same1").stdout
    older = repo / "incidents" / "INC-20240430-old22.yaml"  # an earlier incident, added by a pull
    older.write_text(
        incident_yaml("INC-20240430-old22", datetime(2024, 4, 30, tzinfo=UTC), "Zebra before", service="db")
    )
    shown = inc("show", "INC-20240501-same1").stdout
    assert "Related" in shown and "INC-20240430-old22" in shown


def test_each_alert_of_an_incident_is_matched_on_its_own(repo: Path) -> None:
    """An incident from two alerts (its group's and its labels'): either one relates it."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    two = (
        "source:\n  kind: alertmanager\n  group_key: '{}:{alertname=\"DiskFull\"}'\n"
        "  labels:\n    alertname: MemoryHigh\n  fingerprints: []\n  firing: []\n"
    )
    (repo / "incidents" / "INC-20240501-two11.yaml").write_text(
        incident_yaml("INC-20240501-two11", start, "Host trouble", two, service="web")
    )
    (repo / "incidents" / "INC-20240502-mem22.yaml").write_text(
        incident_yaml("INC-20240502-mem22", start + timedelta(days=1), "Pods evicted",
                      alert_source("MemoryHigh", "ab12"), service="api")
    )  # fmt: skip
    found = inc("related", "INC-20240502-mem22", "--json").json
    assert [r["id"] for r in found] == ["INC-20240501-two11"]
    assert any(x.startswith("same alert MemoryHigh") for x in found[0]["reasons"]), found


def test_inc_show_skips_the_scan_while_the_settled_folder_is_unchanged(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incli.storage import search as storage_search

    monkeypatch.setattr(storage_search, "SETTLE_SECONDS", -3600.0)  # every change long settled
    for n, title in enumerate(("Zebra outage", "Zebra again")):
        ident = f"INC-2024050{n + 1}-zeb{n}0"
        (repo / "incidents" / f"{ident}.yaml").write_text(
            incident_yaml(ident, datetime(2024, 5, 1 + n, tzinfo=UTC), title, service="db")
        )
    assert "INC-20240501-zeb00" in inc("show", "INC-20240502-zeb10").stdout  # indexed, folder recorded
    scans: list[Path] = []
    real_scan = storage_search.scan
    monkeypatch.setattr(
        storage_search, "scan", lambda folder, leftovers=None: scans.append(folder) or real_scan(folder)
    )
    assert "INC-20240501-zeb00" in inc("show", "INC-20240502-zeb10").stdout
    assert scans == []


def test_after_an_edit_only_the_edited_file_is_indexed_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file's stat is recorded: an edit to one of three reads that one again, not all."""
    from incli.storage import search as storage_search

    monkeypatch.setattr(storage_search, "SETTLE_SECONDS", -3600.0)  # every change long settled
    paths = []
    for n, title in enumerate(("Alpha outage", "Bravo outage", "Charlie outage")):
        ident = f"INC-2024050{n + 1}-abc{n}0"
        paths.append(repo / "incidents" / f"{ident}.yaml")
        paths[-1].write_text(incident_yaml(ident, datetime(2024, 5, 1 + n, tzinfo=UTC), title))
    assert _found("alpha") == ["INC-20240501-abc00"]
    added: list[str] = []
    real_add = storage_search.SearchIndex._add.__func__  # type: ignore[attr-defined]

    def counted(cls: type, db: object, incident: object) -> None:
        added.append(incident.id)  # type: ignore[attr-defined]
        real_add(cls, db, incident)

    monkeypatch.setattr(storage_search.SearchIndex, "_add", classmethod(counted))
    paths[1].write_text(paths[1].read_text().replace("Bravo outage", "Bravo outage again"))
    assert _found("bravo") == ["INC-20240502-abc10"]
    assert added == ["INC-20240502-abc10"]


def test_incidents_without_a_service_are_never_related_by_service(repo: Path) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for n, title in enumerate(("Zebra outage", "Zebra again")):
        ident = f"INC-2024050{n + 1}-nos{n}0"
        (repo / "incidents" / f"{ident}.yaml").write_text(
            incident_yaml(ident, start + timedelta(days=n), title, service="")
        )
    found = inc("related", "INC-20240502-nos10", "--json").json
    assert [r["id"] for r in found] == ["INC-20240501-nos00"]  # by their text
    assert not [reason for r in found for reason in r["reasons"] if "service" in reason], found


def test_search_without_an_incident_folder_finds_nothing(repo: Path) -> None:
    import shutil

    shutil.rmtree(repo / "incidents")
    assert inc("search", "alpha", "--json").json == []
    assert inc("search", "alpha", "--json").json == []  # and again, with the index the first one made


def test_any_fingerprint_of_an_incident_relates_it(repo: Path) -> None:
    """An incident whose alert had several fingerprints: the last one shared relates it too."""
    start = datetime(2024, 5, 1, tzinfo=UTC)
    many = "source:\n  kind: alertmanager\n  fingerprints: [aa11, bb22, cc33]\n  firing: []\n"
    (repo / "incidents" / "INC-20240501-fpa10.yaml").write_text(
        incident_yaml("INC-20240501-fpa10", start, "Zebra outage", many, service="web")
    )
    (repo / "incidents" / "INC-20240502-fpb20.yaml").write_text(
        incident_yaml("INC-20240502-fpb20", start + timedelta(days=1), "Quokka latency", alert_source("X", "cc33"))
    )
    found = inc("related", "INC-20240502-fpb20", "--json").json
    assert [r["id"] for r in found] == ["INC-20240501-fpa10"]
    assert "same alert fingerprint cc33" in found[0]["reasons"], found
