"""What ``inc validate`` says of each mistake in catalog.yaml (issue 17): the key path and the
message of every problem, and what is still read of an entry that has one. The CLI adds only
the file and line (tests/cli/test_catalog.py)."""

from __future__ import annotations

from typing import Any

import pytest

from incli.domain.catalog import MAX_SERVICES, CodeRef, parse_catalog

P = ("services", "payments")


def one(entry: Any) -> tuple[Any, list[Any]]:
    """The payments entry read from ``entry`` and the problems found in it."""
    catalog, problems = parse_catalog({"services": {"payments": entry, "db": {"team": "data"}}})
    assert catalog.names() == ["payments", "db"]  # the entry after a broken one is read too
    payments = catalog.get("payments")
    assert payments is not None
    return payments, problems


def test_services_that_are_not_a_mapping_or_too_many_are_refused_whole() -> None:
    example = "services: {payments: {owners: [alice], team: payments, tier: 1}}"
    assert parse_catalog({"services": ["payments"]})[1] == [
        (("services",), f"must be a mapping of service names, such as {example}")
    ]
    assert parse_catalog([1])[1] == [((), f"expected a mapping such as {example}")]
    many = {f"s{n}": None for n in range(MAX_SERVICES)}
    catalog, problems = parse_catalog({"services": many})
    assert problems == [] and len(catalog.services) == MAX_SERVICES
    many["one more"] = None
    catalog, problems = parse_catalog({"services": many})
    assert catalog.services == ()
    assert problems == [(("services",), f"{MAX_SERVICES + 1} services is over the limit of {MAX_SERVICES}")]


def test_a_service_without_a_name_or_named_twice_is_reported_and_the_rest_read() -> None:
    catalog, problems = parse_catalog(
        {"services": {None: {}, True: {}, "  ": {}, "Payments": {"tier": 1}, "payments ": {"tier": 2}, "db": {}}}
    )
    assert problems == [
        (("services", "None"), "a service needs a name"),
        (("services", "True"), "a service needs a name"),
        (("services", "  "), "a service needs a name"),
        (("services", "payments "), "payments is named twice (also as Payments)"),
    ]
    assert catalog.names() == ["Payments", "db"]
    payments = catalog.get("PAYMENTS")
    assert payments is not None and payments.tier == 1


def test_unknown_keys_name_the_nearest_known_one_or_list_them() -> None:
    _catalog, problems = parse_catalog({"servics": {}, "services": {"payments": {"tire": 1, "colour": "red"}}})
    known = "owners, team, tier, schedule, escalation, runbooks, code, depends_on, public"
    assert problems == [
        (("servics",), "unknown key; did you mean `services`?"),
        ((*P, "tire"), "unknown key; did you mean `tier`?"),
        ((*P, "colour"), f"unknown key; known: {known}"),
    ]


def test_an_entry_that_is_not_a_mapping_is_reported_and_kept_by_name() -> None:
    payments, problems = one("alice")
    assert problems == [(P, "must be a mapping of owners, team, tier, runbooks, code and depends_on")]
    assert payments.owners == () and payments.tier is None


@pytest.mark.parametrize("tier", [-1, "1", True, 1.5])
def test_a_tier_must_be_a_whole_number_not_below_zero(tier: object) -> None:
    payments, problems = one({"tier": tier, "team": "payments"})
    assert problems == [((*P, "tier"), "must be a whole number such as 1 (most critical)")]
    assert payments.tier is None and payments.team == "payments"


def test_tier_zero_is_a_tier() -> None:
    payments, problems = one({"tier": 0})
    assert problems == [] and payments.tier == 0


def test_public_must_be_true_or_false() -> None:
    payments, problems = one({"public": "yes"})
    assert problems == [((*P, "public"), "must be true or false (true: a component of the status page)")]
    assert payments.public is False
    assert one({"public": True})[0].public is True
    assert one({})[0].public is False


def test_lists_must_be_lists_each_with_its_own_example() -> None:
    payments, problems = one({"owners": "alice", "runbooks": "run.md", "depends_on": "db", "code": "src/"})
    assert problems == [
        ((*P, "runbooks"), "must be a list such as [runbooks/payments.md]"),
        ((*P, "owners"), "must be a list such as [alice, bob]"),
        ((*P, "code"), "must be a list such as [{repo: ../payments-api, paths: [src/]}]"),
        ((*P, "depends_on"), "must be a list such as [db]"),
    ]
    assert (payments.owners, payments.runbooks, payments.code, payments.depends_on) == ((), (), (), ())


def test_names_must_be_text_each_reported_where_it_is() -> None:
    payments, problems = one(
        {
            "owners": ["alice", "", True, ["bob"], "alice", 7, " carol "],
            "team": ["payments"],
            "schedule": {"name": "primary"},
            "escalation": "   ",
            "depends_on": [None, "db", "db"],
        }
    )
    assert problems == [
        ((*P, "owners", 1), "must be text"),
        ((*P, "owners", 2), "must be text"),
        ((*P, "owners", 3), "must be text"),
        ((*P, "team"), "must be text"),
        ((*P, "schedule"), "must be text"),
        ((*P, "escalation"), "must be text"),
    ]
    # What could be read is kept: trimmed, numbers as text, each name once, a null item skipped.
    assert payments.owners == ("alice", "7", "carol")
    assert payments.team is None and payments.schedule is None and payments.escalation is None
    assert payments.depends_on == ("db",)
    named, problems = one({"team": 42, "schedule": " primary ", "escalation": "critical"})
    assert problems == []
    assert (named.team, named.schedule, named.escalation) == ("42", "primary", "critical")


def test_a_runbook_outside_the_repository_is_reported_and_dropped() -> None:
    payments, problems = one({"runbooks": ["/etc/passwd", "runbooks/payments.md", "../other/run.md"]})
    assert problems == [
        ((*P, "runbooks", 0), "'/etc/passwd' is outside the repository; give a path inside it"),
        ((*P, "runbooks", 2), "'../other/run.md' is outside the repository; give a path inside it"),
    ]
    assert payments.runbooks == ("runbooks/payments.md",)


def test_each_code_entry_is_read_on_its_own() -> None:
    payments, problems = one(
        {
            "code": [
                "../payments-api",
                {"repo": "../payments-api", "paths": ["/srv", "src/", "../x", "C:/work", "a\\..\\..\\b", "lib/"]},
                {"repo": True, "paths": "src/", "branch": "main"},
                {"repo": "../web", "paths": ["web/", 3, "web/"]},
                {"repu": "../typo"},
            ]
        }
    )
    at = (*P, "code")
    assert problems == [
        ((*at, 0), "must be a mapping such as {repo: ../payments-api, paths: [src/]}"),
        ((*at, 1, "paths"), "'/srv' is outside the code repository; give a path inside it"),
        ((*at, 2, "branch"), "unknown key; known: repo, paths"),
        ((*at, 2, "repo"), "must be text"),
        ((*at, 2, "paths"), "must be a list such as [src/]"),
        ((*at, 4, "repu"), "unknown key; did you mean `repo`?"),
    ]
    assert payments.code == (
        CodeRef(repo="../payments-api", paths=("src/", "lib/")),
        CodeRef(repo=None, paths=()),
        CodeRef(repo="../web", paths=("web/", "3")),
        CodeRef(repo=None, paths=()),
    )


@pytest.mark.parametrize("path", ["/srv/app", "../app", "C:/app", "C:app", "a\\..\\..\\app", "\\\\host\\share\\app"])
def test_a_code_path_that_leaves_the_repository_is_named_first_of_its_kind(path: str) -> None:
    payments, problems = one({"code": [{"paths": ["src/", path, "lib/"]}]})
    message = f"{path!r} is outside the code repository; give a path inside it"
    assert problems == [((*P, "code", 0, "paths"), message)]
    assert payments.code == (CodeRef(paths=("src/", "lib/")),)
