"""The service catalog (issue 17): catalog.yaml listed by inc catalog, checked by inc validate,
named in inc show, grouped by team in inc metrics."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from incli.domain.catalog import parse_catalog
from incli.errors import ExitCode
from tests.conftest import check_refused, inc

CATALOG = """\
services:
  payments:
    owners: [alice, bob]
    team: payments
    tier: 1
    schedule: primary
    escalation: critical
    runbooks: [runbooks/payments.md]
    code: [{repo: ../payments-api, paths: [src/]}]
    depends_on: [db]
  db:
    owners: [carol]
    team: data
    tier: 1
  web:
    team: payments
    depends_on: [payments]
"""


def write_catalog(root: Path, text: str = CATALOG) -> None:
    (root / "runbooks").mkdir(exist_ok=True)
    (root / "runbooks" / "payments.md").write_text("# Payments\n\n1. Check the pool\n")
    (root / "catalog.yaml").write_text(text)


def open_incident(root: Path, title: str, service: str, severity: str = "SEV2") -> str:
    return inc("open", title, "-s", severity, "--service", service, root=root).stdout.strip()


def test_catalog_lists_every_service_as_written(repo: Path) -> None:
    write_catalog(repo)
    open_incident(repo, "Card payments fail", "Payments")
    rows = inc("catalog", "--json").json
    assert [r["name"] for r in rows] == ["payments", "db", "web"]
    payments = rows[0]
    assert payments["owners"] == ["alice", "bob"] and payments["team"] == "payments" and payments["tier"] == 1
    assert payments["schedule"] == "primary" and payments["escalation"] == "critical"
    assert payments["code"] == [{"repo": "../payments-api", "paths": ["src/"]}]
    assert payments["depends_on"] == ["db"] and payments["active_incidents"] == 1
    assert rows[2]["code"] == [] and rows[2]["tier"] is None
    assert [r["public"] for r in rows] == [False, False, False]
    write_catalog(repo, CATALOG.replace("  web:\n", "  web:\n    public: true\n"))
    assert [r["public"] for r in inc("catalog", "--json").json] == [False, False, True]
    table = inc("catalog").stdout
    assert "alice, bob" in table and "carol" in table


def test_without_a_catalog_the_listing_is_empty_and_validate_is_quiet(repo: Path) -> None:
    assert inc("catalog", "--json").json == []
    open_incident(repo, "Something", "anything")
    inc("validate")


def test_a_dependency_on_an_unknown_service_is_reported_but_never_stops_the_catalog(repo: Path) -> None:
    """A problem across entries (a dependency typed wrong) is inc validate's to report; the
    catalog still lists and serves every service (a problem of the file's shape would not)."""
    write_catalog(repo, CATALOG.replace("depends_on: [payments]", "depends_on: [payment]"))
    assert sorted(r["name"] for r in inc("catalog", "--json").json) == ["db", "payments", "web"]
    assert inc("validate", code=ExitCode.PROBLEMS).stdout.count("unknown service 'payment'") == 1
    write_catalog(repo, CATALOG.replace("    tier: 1\n  web:", "    tier: one\n  web:"))
    refused = inc("catalog", code=None)
    assert refused.code == ExitCode.INVALID and "(inc validate lists every problem)" in refused.stderr


def test_validate_reports_unknown_keys_dependencies_runbooks_and_services_with_lines(repo: Path) -> None:
    write_catalog(
        repo,
        CATALOG.replace("    tier: 1\n  web:", "    tire: 1\n  web:")
        .replace("depends_on: [payments]", "depends_on: [payment, web]")
        .replace("runbooks: [runbooks/payments.md]", "runbooks: [runbooks/payments.md, runbooks/gone.md]"),
    )
    ident = open_incident(repo, "Slow queries", "dbb")
    result = inc("validate", code=ExitCode.PROBLEMS)
    lines = result.stdout.splitlines()
    catalog = str(repo / "catalog.yaml")
    assert f"{catalog}:14: services.db.tire: unknown key; did you mean `tier`?" in lines
    assert f"{catalog}:17: services.web.depends_on[0]: unknown service 'payment'; did you mean payments?" in lines
    assert f"{catalog}:17: services.web.depends_on[1]: web depends on itself" in lines
    assert f"{catalog}:8: services.payments.runbooks[1]: no such file runbooks/gone.md" in lines
    assert f"{repo / 'incidents' / ident}.yaml: service 'dbb' is not in catalog.yaml; did you mean db?" in lines
    assert "schedule and escalation names not checked" in result.stderr
    json_findings = inc("validate", "--json", code=ExitCode.PROBLEMS).json["findings"]
    assert len(json_findings) == 5


def test_validate_checks_oncall_names_only_when_an_oncall_config_exists(repo: Path) -> None:
    write_catalog(repo)
    inc("validate")
    (repo / "oncall.yaml").write_text("schedules: {secondary: {}}\nescalation_policies: {critical: {}}\n")
    result = inc("validate", code=ExitCode.PROBLEMS)
    where = repo / "catalog.yaml"
    assert result.stdout.strip() == f"{where}:6: services.payments.schedule: no on-call schedule 'primary'"
    assert "not checked" not in result.stderr


def test_a_runbook_outside_the_repository_is_reported(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("secret")
    write_catalog(repo, CATALOG.replace("runbooks/payments.md]", "runbooks/payments.md, runbooks/link.md]"))
    (repo / "runbooks" / "link.md").symlink_to(secret)
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert "services.payments.runbooks[1]: runbooks/link.md is outside the repository" in result.stdout
    write_catalog(repo, CATALOG.replace("runbooks/payments.md]", "/etc/passwd]"))
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert "'/etc/passwd' is outside the repository" in result.stdout


def test_a_catalog_too_large_or_linked_outside_is_not_read(repo: Path, tmp_path: Path) -> None:
    (repo / "catalog.yaml").write_text("# " + "x" * 1_100_000 + "\n")
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert f"{repo}/catalog.yaml: 1,100,003 bytes is over the limit of 1,048,576 for a settings file\n" in result.stdout
    (repo / "catalog.yaml").unlink()
    (tmp_path / "other.yaml").write_text(CATALOG)
    (repo / "catalog.yaml").symlink_to(tmp_path / "other.yaml")
    refused = inc("catalog", code=None)
    check_refused(refused, ExitCode.INVALID, f"{repo}/catalog.yaml: is a link to {tmp_path}/other.yaml, outside")


def test_a_broken_catalog_refuses_inc_catalog_with_file_and_line_but_not_show(repo: Path) -> None:
    write_catalog(repo, CATALOG.replace("tier: 1\n    schedule", "tier: first\n    schedule"))
    ident = open_incident(repo, "Card payments fail", "payments")
    check_refused(inc("catalog", code=None), ExitCode.INVALID, "catalog.yaml:5:", "services.payments.tier")
    shown = inc("show", ident)
    assert "Card payments fail" in shown.stdout and "service catalog not shown" in shown.stderr


def test_show_names_owners_team_and_tier(repo: Path) -> None:
    write_catalog(repo)
    ident = open_incident(repo, "Card payments fail", "PAYMENTS")
    shown = inc("show", ident).stdout
    assert "Service payments" in shown
    assert "alice, bob" in shown and "Tier" in shown and "runbooks/payments.md" in shown
    other = open_incident(repo, "Unknown thing", "elsewhere")
    assert "Owners" not in inc("show", other).stdout


def test_metrics_by_team_groups_services_by_their_owning_team(repo: Path) -> None:
    write_catalog(repo)
    for title, name in (("a", "payments"), ("b", "web"), ("c", "db"), ("d", "nowhere")):
        open_incident(repo, title, name)
    groups = {g["key"]: g["count"] for g in inc("metrics", "--by", "team", "--json").json["groups"]}
    assert groups == {"payments": 2, "data": 1, None: 1}
    assert "(no team)" in inc("metrics", "--by", "team").stdout


def test_dependencies_are_followed_through_the_catalog_and_cycles_end() -> None:
    catalog, problems = parse_catalog(
        {"services": {"web": {"depends_on": ["api"]}, "api": {"depends_on": ["db", "web"]}, "db": None}}
    )
    assert problems == []
    assert catalog.dependencies("WEB") == ["api", "db"]
    assert catalog.dependencies("db") == []
    assert catalog.dependencies("unknown") == []
    deep, _problems = parse_catalog(
        {
            "services": {
                "web": {"depends_on": ["API", "db"]},
                "api": {"depends_on": ["db", "cache"]},
                "db": {"depends_on": ["Storage"]},
                "cache": {"depends_on": ["api"]},  # a cycle that does not pass through web
            }
        }
    )
    # Reached once each, in order, under the catalog's spelling; a name it does not have as written.
    assert deep.dependencies("web") == ["api", "db", "cache", "Storage"]
    assert deep.dependencies("cache") == ["api", "db", "Storage"]


def test_an_unknown_dependency_is_named_with_the_nearest_name_or_the_known_ones() -> None:
    catalog, _problems = parse_catalog(
        {"services": {"payments": {"depends_on": ["paymnets", "zzz"]}, "search": {"depends_on": ["search"]}}}
    )
    assert catalog.problems() == [
        (("services", "payments", "depends_on", 0), "unknown service 'paymnets'; did you mean payments?"),
        (("services", "payments", "depends_on", 1), "unknown service 'zzz'; known: payments, search"),
        (("services", "search", "depends_on", 0), "search depends on itself"),
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
        max_leaves=12,
    )
)
def test_any_yaml_shape_is_a_catalog_or_problems_never_a_crash(data: object) -> None:
    for shaped in (data, {"services": data}, {"services": {"x": data}}, {"services": {"x": {"code": data}}}):
        catalog, problems = parse_catalog(shaped)
        assert all(isinstance(message, str) and message for _key, message in problems)
        for item in catalog.services:
            assert isinstance(item.name, str)
            assert all(isinstance(o, str) for o in item.owners)


def test_the_report_names_owners_and_tier(repo: Path, tmp_path: Path) -> None:
    write_catalog(repo)
    ident = open_incident(repo, "Card payments fail", "payments")
    inc("report", "-o", tmp_path / "site")
    page = (tmp_path / "site" / "incidents" / f"{ident}.html").read_text()
    assert "<dt>Owners</dt><dd>alice, bob (team payments)</dd>" in page and "<dt>Tier</dt><dd>1</dd>" in page


def test_a_catalog_that_is_not_yaml_is_one_line_with_its_line(repo: Path) -> None:
    (repo / "catalog.yaml").write_text("services:\n  web:\n    tier: [1\n")
    refused = inc("catalog", code=ExitCode.INVALID)
    [line] = refused.err_lines
    assert line.startswith(f"inc: error: {repo / 'catalog.yaml'}:4: not valid YAML: "), line


def _padded(text: str, size: int) -> bytes:
    """``text`` and a comment that makes it exactly ``size`` bytes."""
    data = text.encode()
    return data + b"#" + b"x" * (size - len(data) - 2) + b"\n"


def test_config_files_of_exactly_the_limit_are_read_and_one_byte_more_is_not(repo: Path) -> None:
    limit = 1024 * 1024
    config = (repo / "incli.yaml").read_text()
    catalog = "services:\n  db:\n    team: data\n"
    # each file, and a command that reads it
    for name, text, command in (
        ("catalog.yaml", catalog, "validate"),
        ("freezes.yaml", "freezes: []\n", "gate"),
        ("incli.yaml", config, "list"),
    ):
        (repo / name).write_bytes(_padded(text, limit))
        assert len((repo / name).read_bytes()) == limit
        inc(command)
        (repo / name).write_bytes(_padded(text, limit + 1))
        refused = inc(command, code=None)
        assert refused.code != 0, name
        said = refused.stdout + refused.stderr
        assert f"{name}: " in said and "over the limit of 1,048,576" in said, (name, said)
        (repo / name).write_bytes(_padded(text, limit))
