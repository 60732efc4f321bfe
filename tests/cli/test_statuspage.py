"""inc statuspage (issue 18): the page a customer reads, built only from what is public."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from incli.errors import ExitCode
from tests.conftest import Run, inc, shared, take_snapshot

ATOM = "{http://www.w3.org/2005/Atom}"
CONFIG = """
statuspage:
  title: Acme status
  links:
    - {name: Support, url: "https://acme.example/support"}
  components:
    - checkout
    - {id: api, name: Public API, services: [api-gateway, auth]}
    - search
  hostnames: ["*.internal"]
"""
COMPONENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "position", "description", "showcase",
    "start_date", "group_id", "page_id", "group", "only_show_if_degraded",
}  # fmt: skip
INCIDENT_KEYS = {
    "id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at", "impact",
    "shortlink", "started_at", "page_id", "incident_updates", "components",
}  # fmt: skip
UPDATE_KEYS = {
    "id", "status", "body", "incident_id", "created_at", "updated_at", "display_at",
    "affected_components", "deliver_notifications", "custom_tweet", "tweet_id",
}  # fmt: skip


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def opened(*args: str, root: Path | None = None) -> str:
    return inc("open", *args, root=root).stdout.strip()


@pytest.fixture(scope=shared)
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two active incidents of different severities, a private one, a maintenance window
    running and one ahead, public and internal updates (built once for the module)."""
    top = tmp_path_factory.mktemp("statuspage")
    repo = top / "repo"
    inc("init", repo)
    with (repo / "incli.yaml").open("a") as handle:
        handle.write(CONFIG)

    def run(*args: object) -> str:
        return inc(*args, root=repo).stdout.strip()

    sev1 = run(
        "open", "DB pool exhausted on pg-primary", "-s", "SEV1", "--service", "checkout", "--started-at", "40m ago",
        "--commander", "Fox Mulder", "--public-title", "Checkout is failing",
    )  # fmt: skip
    sev3 = run("open", "Auth p99 up", "-s", "SEV3", "--service", "auth", "--started-at", "2h ago")
    secret = run("open", "Payroll export leaked", "-s", "SEV2", "--service", "search", "--private")
    run("update", sev1, "--public", "We are seeing errors at checkout and are working on a fix.")
    run("update", sev1, "pg-primary.internal at 10.0.0.5 is saturated; Fox is on it")
    run("update", sev3, "--public", "Logins are slower than usual.")
    run("update", secret, "--public", "Search is degraded.")
    run("maintenance", "add", "--service", "search", "--from", iso(timedelta(days=1)),
        "--to", iso(timedelta(days=1, hours=1)), "Search index upgrade; results may be stale.")  # fmt: skip
    run("maintenance", "add", "--service", "checkout", "--from", "10m ago", "--to", iso(timedelta(minutes=50)),
        "Payment provider maintenance.")  # fmt: skip
    out = top / "status"
    assert run("statuspage", "-o", out) == str(out / "index.html")
    return {"out": out, "sev1": sev1, "sev3": sev3, "secret": secret, "repo": repo}


def test_the_page_shows_state_components_and_public_updates_only(site: dict[str, object]) -> None:
    out = Path(str(site["out"]))
    html = (out / "index.html").read_text()
    assert "<script" not in html and "Major outage" in html
    assert "Checkout is failing" in html and "Degraded performance on Public API" in html
    assert "on auth" not in html  # the component's name, not the internal service's
    assert "We are seeing errors at checkout" in html and "Logins are slower than usual." in html
    for private in ("DB pool exhausted", "pg-primary", "10.0.0.5", "Fox", "Payroll", "Search is degraded"):
        assert not any(private in p.read_text() for p in out.rglob("*") if p.is_file()), private
    assert str(site["secret"]) not in "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "Payment provider maintenance." in html and "Search index upgrade" in html
    assert html.count('class="day ') == 270  # three components, 90 days each
    assert (out / "style.css").is_file() and (out / "badges" / "api.svg").is_file()
    assert (out / f"incidents/{site['sev1']}.html").is_file()
    month = datetime.now(UTC).strftime("%Y-%m")
    assert "Checkout is failing" in (out / "history" / f"{month}.html").read_text()


def test_summary_json_has_statuspage_shape(site: dict[str, object]) -> None:
    out = Path(str(site["out"]))
    summary = json.loads((out / "api/v2/summary.json").read_text())
    assert set(summary) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(summary["page"]) == {"id", "name", "url", "time_zone", "updated_at"}
    assert summary["status"] == {"indicator": "critical", "description": "Major outage"}
    states = {c["name"]: c["status"] for c in summary["components"]}
    # checkout: SEV1 beats its running maintenance; search: its only incident is private.
    assert states == {"checkout": "major_outage", "Public API": "degraded_performance", "search": "operational"}
    assert all(set(c) == COMPONENT_KEYS for c in summary["components"])
    assert [i["impact"] for i in summary["incidents"]] == ["critical", "minor"]
    for incident in summary["incidents"]:
        assert set(incident) == INCIDENT_KEYS
        assert incident["status"] == "investigating"
        assert all(set(u) == UPDATE_KEYS for u in incident["incident_updates"])
        times = [u["created_at"] for u in incident["incident_updates"]]
        assert times == sorted(times, reverse=True)  # newest first
    maintenance = {m["status"] for m in summary["scheduled_maintenances"]}
    assert maintenance == {"in_progress", "scheduled"}
    assert all({"scheduled_for", "scheduled_until"} <= set(m) for m in summary["scheduled_maintenances"])
    listed = json.loads((out / "api/v2/incidents.json").read_text())
    assert set(listed) == {"page", "incidents"} and len(listed["incidents"]) == 2


def test_atom_and_rss_have_one_entry_per_public_update(site: dict[str, object]) -> None:
    out = Path(str(site["out"]))
    feed = ET.parse(out / "feed.atom").getroot()
    assert feed.tag == f"{ATOM}feed" and feed.findtext(f"{ATOM}title") == "Acme status"
    entries = feed.findall(f"{ATOM}entry")
    bodies = sorted(e.findtext(f"{ATOM}content") or "" for e in entries)
    assert bodies == ["Logins are slower than usual.", "We are seeing errors at checkout and are working on a fix."]
    for entry in entries:
        assert entry.findtext(f"{ATOM}id") and entry.findtext(f"{ATOM}updated")
    items = ET.parse(out / "feed.rss").getroot().findall("channel/item")
    assert len(items) == 2 and all(i.findtext("pubDate") and i.findtext("guid") for i in items)


def test_a_hostile_public_title_and_update_are_text(repo: Path, tmp_path: Path) -> None:
    ident = opened("x", "-s", "SEV2", "--service", "checkout", "--public-title", "<script>alert(1)</script>")
    inc("update", ident, "--public", "<img src=x onerror=alert(2)> & more")
    out = tmp_path / "s"
    inc("statuspage", "-o", out)
    for page in (out / "index.html", out / f"incidents/{ident}.html"):
        text = page.read_text()
        assert "<script>alert" not in text and "<img src=x" not in text
        assert (
            "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;img src=x onerror=alert(2)&gt; &amp; more" in text
        )
    title = ET.parse(out / "feed.atom").getroot().find(f"{ATOM}entry/{ATOM}title")
    assert title is not None and (title.text or "").startswith("<script>alert(1)</script>")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Write to oncall@acme.example for updates", "an e-mail address (oncall@acme.example)"),
        ("Rotated ghp_0123456789abcdefghijABCDEFGHIJ012345 already", "what looks like a GitHub token (ghp_...)"),
        ("Key Zx0123456789abcdefABCDEFGHIJKLMNOP was rotated", "what looks like a secret (Zx01...)"),
        ("We set pwd:0123456789abcdef", "what looks like a credential (pwd:...)"),
    ],
)
def test_private_text_is_refused_and_nothing_is_written(repo: Path, tmp_path: Path, text: str, named: str) -> None:
    ident = opened("x", "-s", "SEV2", "--service", "checkout")
    out = tmp_path / "s"
    inc("statuspage", "-o", out)
    before = take_snapshot(out)
    inc("update", ident, "--public", text)
    for args in (("statuspage", "--check"), ("statuspage", "-o", out)):
        result = inc(*args, code=ExitCode.PROBLEMS)
        lines = result.err_lines
        assert len(lines) == 1 and lines[0].startswith(f"inc: error: {ident} public update at "), result.stderr
        assert named in lines[0]
        assert "0123456789abcdef" not in result.stderr  # a secret is not echoed
    assert take_snapshot(out) == before


def test_people_from_the_repository_are_refused(repo: Path) -> None:
    ident = opened("x", "-s", "SEV2", "--service", "checkout", "--commander", "Dana Scully")
    inc("update", ident, "--public", "Scully restarted the service")
    result = inc("statuspage", "--check", code=ExitCode.PROBLEMS)
    assert "the name of a person in this repository (Scully)" in result.stderr
    assert not (repo / "statuspage").exists()


def test_private_command_and_default_folder(repo: Path) -> None:
    ident = opened("Internal thing", "-s", "SEV1", "--service", "checkout")
    inc("update", ident, "--public", "Checkout is down.")
    inc("private", ident)
    inc("private", ident, code=ExitCode.CONFLICT)
    inc("statuspage")
    out = repo / "statuspage"
    assert "Checkout is down." not in (out / "index.html").read_text()
    assert (out / ".gitignore").is_file() and (out / ".incli-statuspage").is_file()
    summary = json.loads((out / "api/v2/summary.json").read_text())
    assert summary["incidents"] == [] and summary["status"]["indicator"] == "none"


def test_public_title_command(repo: Path, tmp_path: Path) -> None:
    ident = opened("Internal", "-s", "SEV2", "--service", "checkout")
    inc("public-title", ident, "Slow checkout")
    assert "public_title: Slow checkout" in (repo / "incidents" / f"{ident}.yaml").read_text()
    inc("statuspage", "-o", tmp_path / "s")
    assert "Slow checkout" in (tmp_path / "s/index.html").read_text()


def test_a_folder_that_is_not_a_status_page_is_left_alone(repo: Path, tmp_path: Path, run: Run) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    result = run("statuspage", "-o", mine)
    assert result.code == ExitCode.CONFLICT and ".incli-statuspage" in result.stderr
    assert (mine / "notes.txt").read_text() == "keep"


def test_maintenance_file_and_refusals(repo: Path, run: Run) -> None:
    ident = inc("maintenance", "add", "--service", "db", "--from", iso(timedelta(hours=1)), "--to",
                iso(timedelta(hours=2)), "Database upgrade").stdout.strip()  # fmt: skip
    path = repo / "maintenance" / f"{ident}.yaml"
    assert ident.startswith("MNT-") and "kind: maintenance" in path.read_text()
    assert [w["id"] for w in inc("maintenance", "list", "--json").json] == [ident]
    # (full times: "10:00" and "09:00" would depend on the hour the test runs at)
    result = run("maintenance", "add", "--service", "db", "--from", iso(timedelta(hours=2)), "--to",
                 iso(timedelta(hours=1)), "x")  # fmt: skip
    assert result.code == ExitCode.CONFLICT
    assert run("maintenance", "add", "--service", " ", "--from", "10:00", "--to", "11:00", "x").code == 4


def test_a_window_given_a_bare_clock_end_runs_overnight(repo: Path) -> None:
    """'--to 02:00' after a 22:00 start is the next morning, whatever hour the command runs at."""
    made = inc("maintenance", "add", "--service", "db", "--from", "2027-03-01T22:00Z", "--to", "02:00", "--json", "x")
    assert (made.json["starts_at"], made.json["ends_at"]) == ("2027-03-01T22:00:00+00:00", "2027-03-02T02:00:00+00:00")


def test_templates_in_the_repository_override(repo: Path, tmp_path: Path) -> None:
    own = repo / "templates" / "statuspage"
    own.mkdir(parents=True)
    (own / "style.css").write_text("body { color: rebeccapurple; }\n")
    inc("statuspage", "-o", tmp_path / "s")
    assert "rebeccapurple" in (tmp_path / "s/style.css").read_text()


def test_validate_names_a_broken_maintenance_file(repo: Path, run: Run) -> None:
    folder = repo / "maintenance"
    folder.mkdir()
    (folder / "MNT-20250301-abcde.yaml").write_text("id: MNT-20250301-abcde\nkind: maintenance\n")
    result = run("validate")
    assert result.code == ExitCode.PROBLEMS and "MNT-20250301-abcde.yaml" in result.stdout + result.stderr


def test_a_resolved_incident_is_postmortem_once_its_public_summary_is_published(repo: Path, tmp_path: Path) -> None:
    ident = opened("Checkout down", "-s", "SEV2", "--service", "checkout")
    inc("update", ident, "--public", "Checkout is failing.")
    inc("resolve", ident)

    def status() -> str:
        inc("statuspage", "-o", tmp_path / "s")
        [listed] = json.loads((tmp_path / "s/api/v2/incidents.json").read_text())["incidents"]
        return str(listed["status"])

    assert status() == "resolved"
    inc("postmortem", "new", ident)
    inc("postmortem", "add", ident, "public_summary", "A bad deploy broke checkout; we now canary every deploy.")
    assert status() == "resolved"  # not published yet
    for state in ("in-review", "reviewed", "published"):
        inc("postmortem", "review", ident, "--state", state)
    assert status() == "postmortem"


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00
def test_an_incident_in_the_statuspage_api_with_each_update(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "statuspage:\n  components: [checkout]\n")
    ident = opened("Checkout errors", "-s", "SEV2", "--service", "checkout", "--at", "2026-06-01T06:00Z")
    inc("ack", ident, "--at", "2026-06-01T06:05Z")
    inc("update", ident, "--public", "We are looking into it.", "--at", "2026-06-01T06:10Z")
    inc("mitigate", ident, "--at", "2026-06-01T06:30Z")
    inc("statuspage", "-o", tmp_path / "s")
    [listed] = json.loads((tmp_path / "s/api/v2/incidents.json").read_text())["incidents"]
    assert {
        k: listed[k] for k in ("status", "created_at", "updated_at", "monitoring_at", "resolved_at", "shortlink")
    } == {
        "status": "monitoring",
        "created_at": "2026-06-01T06:00:00+00:00",
        "updated_at": "2026-06-01T06:30:00+00:00",
        "monitoring_at": "2026-06-01T06:30:00+00:00",
        "resolved_at": None,
        "shortlink": f"incidents/{ident}.html",
    }
    assert [(u["id"], u["status"], u["body"], u["created_at"]) for u in listed["incident_updates"]] == [
        (f"{ident}-mitigated_at", "monitoring", "A fix has been put in place and we are monitoring the results.",
         "2026-06-01T06:30:00+00:00"),
        (f"{ident}-u1", "identified", "We are looking into it.", "2026-06-01T06:10:00+00:00"),
        (f"{ident}-acknowledged_at", "identified", "The issue has been identified and a fix is being worked on.",
         "2026-06-01T06:05:00+00:00"),
        (f"{ident}-opened_at", "investigating", "We are investigating this issue.", "2026-06-01T06:00:00+00:00"),
    ]  # fmt: skip
    assert listed["incident_updates"][0]["affected_components"] == [
        {"code": "checkout", "name": "checkout", "old_status": "operational", "new_status": "partial_outage"}
    ]
    inc("resolve", ident, "--at", "2026-06-01T07:00Z")
    inc("postmortem", "new", ident)
    inc("postmortem", "add", ident, "public-summary", "A bad deploy; we now canary every deploy.")
    for state in ("in-review", "reviewed", "published"):
        inc("postmortem", "review", ident, "--state", state)
    inc("statuspage", "-o", tmp_path / "s")
    assert "A bad deploy; we now canary every deploy." in (tmp_path / f"s/incidents/{ident}.html").read_text()


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00
def test_each_bar_day_says_its_minutes_of_impact_and_maintenance(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "statuspage:\n  components: [checkout]\n  url: https://status.acme.test/\n")
    one = opened("Blip", "-s", "SEV3", "--service", "checkout", "--at", "2026-05-30T10:00Z")
    inc("mitigate", one, "--at", "2026-05-30T10:01Z")
    two = opened("Slow", "-s", "SEV3", "--service", "checkout", "--at", "2026-05-31T10:00Z")
    inc("mitigate", two, "--at", "2026-05-31T10:02Z")
    inc("maintenance", "add", "--service", "checkout", "--from", "2026-05-31T20:00Z", "--to", "2026-05-31T21:30Z",
        "Upgrade")  # fmt: skip
    inc("statuspage", "-o", tmp_path / "s")
    html = (tmp_path / "s/index.html").read_text()
    assert 'title="2026-05-30: Degraded performance, 1 minute of impact"' in html
    assert 'title="2026-05-31: Degraded performance, 2 minutes of impact, 1h 30m of maintenance"' in html
    summary = json.loads((tmp_path / "s/api/v2/summary.json").read_text())
    assert summary["page"]["url"] == "https://status.acme.test/"
    [component] = summary["components"]
    assert {k: component[k] for k in ("position", "showcase", "group", "only_show_if_degraded", "group_id")} == {
        "position": 1,
        "showcase": True,
        "group": False,
        "only_show_if_degraded": False,
        "group_id": None,
    }
    listed = json.loads((tmp_path / "s/api/v2/incidents.json").read_text())["incidents"]
    assert {i["shortlink"] for i in listed} == {f"https://status.acme.test/incidents/{i}.html" for i in (one, two)}


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00
def test_the_api_files_badges_and_feed_as_clients_read_them(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(
        config.read_text() + "statuspage:\n  components: [{id: cafe, name: Café & Co, services: [cafe]}]\n"
    )
    first = opened("Espresso machine down", "-s", "SEV2", "--service", "cafe", "--at", "2026-06-01T08:00Z")
    inc("update", first, "--public", "Brewing by hand.", "--at", "2026-06-01T08:10Z")
    second = opened("Card reader slow", "-s", "SEV3", "--service", "cafe", "--at", "2026-06-01T09:00Z")
    inc("update", second, "--public", "Cash works.", "--at", "2026-06-01T09:05Z")
    out = tmp_path / "s"
    inc("statuspage", "-o", out)
    api = out / "api/v2"
    status_text = (api / "status.json").read_text()
    assert status_text.startswith('{\n  "page": {\n    "id": "status",') and status_text.endswith("}\n")
    assert json.loads(status_text)["status"] == {"indicator": "major", "description": "Partial outage"}
    components = json.loads((api / "components.json").read_text())
    assert set(components) == {"page", "components"} and components["components"][0]["name"] == "Café & Co"
    assert "Café & Co" in (api / "components.json").read_text()  # not escaped to \\u00e9
    unresolved = json.loads((api / "incidents/unresolved.json").read_text())
    assert set(unresolved) == {"page", "incidents"} and [i["id"] for i in unresolved["incidents"]] == [second, first]
    assert [i["id"] for i in json.loads((api / "incidents.json").read_text())["incidents"]] == [second, first]
    assert set(json.loads((api / "scheduled-maintenances.json").read_text())) == {"page", "scheduled_maintenances"}
    assert (out / "badges/cafe.svg").read_text() == (
        '<svg xmlns="http://www.w3.org/2000/svg" width="173" height="20" role="img" '
        'aria-label="Café &amp; Co: Partial outage">\n'
        "<title>Café &amp; Co: Partial outage</title>\n"
        '<rect width="70" height="20" fill="#555"/>\n'
        '<rect x="70" width="103" height="20" fill="#e65100"/>\n'  # 12 + 6.5 px a character, each side
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">\n'
        '<text x="6" y="14">Café &amp; Co</text>\n'
        '<text x="76" y="14">Partial outage</text>\n'
        "</g>\n</svg>\n"
    )
    feed = ET.parse(out / "feed.atom").getroot()
    assert feed.tag == f"{ATOM}feed" and (out / "feed.atom").read_text().count("ns0:") == 0
    assert feed.findtext(f"{ATOM}id") == "tag:incli.statuspage,2026:status/feed"
    assert [e.findtext(f"{ATOM}id") for e in feed.findall(f"{ATOM}entry")] == [
        f"tag:incli.statuspage,2026:status/{second}-u1",
        f"tag:incli.statuspage,2026:status/{first}-u1",
    ]
    config.write_text(config.read_text() + "  url: https://status.acme.test\n")
    inc("statuspage", "-o", out)
    assert ET.parse(out / "feed.atom").getroot().findtext(f"{ATOM}id") == "https://status.acme.test"


ATOM_TEXT = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom"><id>https://status.acme.test</id><title>Acme status</title>'
    "<updated>2026-06-01T06:40:00+00:00</updated>"
    '<link href="https://status.acme.test/index.html" rel="alternate" type="text/html" />'
    '<link href="https://status.acme.test/feed.atom" rel="self" type="application/atom+xml" />'
    "<author><name>Acme status</name></author>"
    "<entry><id>tag:incli.statuspage,2026:acme-status/ID-u2</id>"
    "<title>Degraded performance on checkout: Monitoring</title>"
    "<updated>2026-06-01T06:40:00+00:00</updated><published>2026-06-01T06:40:00+00:00</published>"
    '<link href="https://status.acme.test/incidents/ID.html" rel="alternate" type="text/html" />'
    '<content type="text">Fixed &amp; monitoring &lt;now&gt;.</content></entry>'
    "<entry><id>tag:incli.statuspage,2026:acme-status/ID-u1</id>"
    "<title>Degraded performance on checkout: Investigating</title>"
    "<updated>2026-06-01T06:10:00+00:00</updated><published>2026-06-01T06:10:00+00:00</published>"
    '<link href="https://status.acme.test/incidents/ID.html" rel="alternate" type="text/html" />'
    '<content type="text">We are looking into it.</content></entry></feed>\n'
)
RSS_TEXT = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<rss version="2.0"><channel><title>Acme status</title><link>https://status.acme.test/index.html</link>'
    "<description>Status updates from Acme status</description>"
    "<lastBuildDate>Mon, 01 Jun 2026 12:00:00 +0000</lastBuildDate>"
    "<item><title>Degraded performance on checkout: Monitoring</title>"
    "<link>https://status.acme.test/incidents/ID.html</link>"
    "<description>Fixed &amp; monitoring &lt;now&gt;.</description><pubDate>Mon, 01 Jun 2026 06:40:00 +0000</pubDate>"
    '<guid isPermaLink="false">tag:incli.statuspage,2026:acme-status/ID-u2</guid></item>'
    "<item><title>Degraded performance on checkout: Investigating</title>"
    "<link>https://status.acme.test/incidents/ID.html</link>"
    "<description>We are looking into it.</description><pubDate>Mon, 01 Jun 2026 06:10:00 +0000</pubDate>"
    '<guid isPermaLink="false">tag:incli.statuspage,2026:acme-status/ID-u1</guid></item></channel></rss>\n'
)


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00
def test_the_feeds_as_written(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(
        config.read_text()
        + "statuspage:\n  title: Acme status\n  url: https://status.acme.test\n  components: [checkout]\n"
    )
    ident = opened("Checkout errors", "-s", "SEV2", "--service", "checkout", "--at", "2026-06-01T06:00Z")
    inc("update", ident, "--public", "We are looking into it.", "--at", "2026-06-01T06:10Z")
    inc("mitigate", ident, "--at", "2026-06-01T06:30Z")
    inc("update", ident, "--public", "Fixed & monitoring <now>.", "--at", "2026-06-01T06:40Z")
    inc("statuspage", "-o", tmp_path / "s")
    assert (tmp_path / "s/feed.atom").read_text() == ATOM_TEXT.replace("ID", ident)
    assert (tmp_path / "s/feed.rss").read_text() == RSS_TEXT.replace("ID", ident)


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00; the 90-day bar starts 2026-03-04
def test_the_page_covers_its_90_days_and_an_incident_on_no_component(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "statuspage:\n  components: [checkout, search]\n")
    gone = opened("Long ago", "-s", "SEV2", "--service", "checkout", "--at", "2026-03-03T22:00Z")
    inc("mitigate", gone, "--at", "2026-03-03T23:59Z")
    inc("resolve", gone, "--at", "2026-03-03T23:59Z")
    edge = opened("On the edge", "-s", "SEV2", "--service", "checkout", "--at", "2026-03-03T23:00Z")
    inc("mitigate", edge, "--at", "2026-03-04T00:00Z")  # its impact ends as the bar begins: still shown
    inc("resolve", edge, "--at", "2026-03-04T00:00Z")
    out = tmp_path / "s"
    inc("statuspage", "-o", out)
    assert [i["id"] for i in json.loads((out / "api/v2/incidents.json").read_text())["incidents"]] == [edge]
    assert sorted(p.name for p in (out / "history").iterdir()) == [
        "2026-03.html", "2026-04.html", "2026-05.html", "2026-06.html", "index.html",
    ]  # fmt: skip
    assert "<h1>March 2026</h1>" in (out / "history/2026-03.html").read_text()
    html = (out / "index.html").read_text()
    assert html.count('<span class="day day-') == 180 and "100.00%" in html  # two bars of 90 days
    assert 'class="day day-operational" title="2026-03-04: Operational"' in html
    summary = json.loads((out / "api/v2/summary.json").read_text())
    assert summary["status"]["indicator"] == "none"
    opened("Payments down", "-s", "SEV1", "--service", "payments")  # on no component of the page
    inc("statuspage", "-o", out)
    summary = json.loads((out / "api/v2/summary.json").read_text())
    assert {c["status"] for c in summary["components"]} == {"operational"}
    assert summary["status"] == {"indicator": "critical", "description": "Major outage"}


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00 UTC
def test_the_90_days_are_the_days_of_the_page_time_zone(repo: Path, tmp_path: Path) -> None:
    """At 2026-06-01 12:00 UTC it is already 2 June at UTC+14: the page's 90 days begin on 5 March
    there (10:00 UTC on 4 March), not on the 4th as in UTC."""
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "statuspage:\n  timezone: Pacific/Kiritimati\n  components: [checkout]\n")
    before = opened("Ended the day before", "-s", "SEV2", "--service", "checkout", "--at", "2026-03-04T08:00Z")
    inc("resolve", before, "--at", "2026-03-04T09:00Z")
    within = opened("Ended on the first day", "-s", "SEV2", "--service", "checkout", "--at", "2026-03-04T08:00Z")
    inc("resolve", within, "--at", "2026-03-04T11:00Z")
    out = tmp_path / "s"
    inc("statuspage", "-o", out)
    html = (out / "index.html").read_text()
    assert [i["id"] for i in json.loads((out / "api/v2/incidents.json").read_text())["incidents"]] == [within]
    assert 'title="2026-03-05: ' in html and 'title="2026-03-04: ' not in html
    assert 'title="2026-06-02: ' in html
