"""The sources: section of incli.yaml (domain/alertsources.py): each refusal in one line naming its key,
the defaults a repository's own severity scale keeps, and a generic source read in full (issue 19: the
mutation run found these untested)."""

from __future__ import annotations

from typing import Any

import pytest

from incli.domain.alertsources import GenericSource, status_text
from incli.domain.config import config_from_dict
from incli.errors import InvalidInput

PATH = "must be a dotted path into the payload, such as alert.title"


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("pagerduty", "sources: must be a mapping of pagerduty, opsgenie and generic"),
        ({"pagerduty": "k"}, "sources.pagerduty: must be a mapping of routing_keys and severity"),
        ({"pagerduty": {"routing_keys": []}}, "sources.pagerduty.routing_keys: must map routing keys to services"),
        ({"pagerduty": {"routing_keys": {}}}, "sources.pagerduty.routing_keys: must map routing keys to services"),
        ({"pagerduty": {"routing_keys": {" k": "a"}}}, "sources.pagerduty.routing_keys: ' k' is not a routing key"),
        ({"pagerduty": {"routing_keys": {"clé": "a"}}}, "sources.pagerduty.routing_keys: 'clé' is not a routing key"),
        ({"pagerduty": {"routing_keys": {5: "a"}}}, "sources.pagerduty.routing_keys: 5 is not a routing key"),
        ({"pagerduty": {"routing_keys": {"K1": " "}}}, "sources.pagerduty.routing_keys.K1: must name a service"),
        ({"pagerduty": {"routing_keys": {"K1": 3}}}, "sources.pagerduty.routing_keys.K1: must name a service"),
        ({"pagerduty": {"severity": "high"}}, "sources.pagerduty.severity: must map values to severities"),
        ({"pagerduty": {"severity": {"critical": "SEV9"}}}, "sources.pagerduty.severity.critical: unknown severity"),
        ({"pagerduty": {"severity": {"urgent": "SEV1"}}}, "sources.pagerduty.severity.urgent: unknown key"),
        ({"opsgenie": ["P1"]}, "sources.opsgenie: must be a mapping such as {priority: {P1: SEV1}}"),
        ({"opsgenie": {"priority": {"P6": "SEV1"}}}, "sources.opsgenie.priority.P6: unknown key"),
        ({"opsgenie": {"levels": {}}}, "sources.opsgenie.levels: unknown key"),
        ({"generic": ["sentry"]}, "sources.generic: must map source names to their fields"),
        ({"generic": {"Sentry": {"title": "a"}}}, "sources.generic.Sentry: a source name is lower-case letters"),
        ({"generic": {"sentry": "title"}}, "sources.generic.sentry: must be a mapping with at least title: PATH"),
        ({"generic": {"sentry": {"status": "s"}}}, "sources.generic.sentry.title: is required"),
        ({"generic": {"sentry": {"title": ".a"}}}, f"sources.generic.sentry.title: {PATH}"),
        ({"generic": {"sentry": {"title": "a."}}}, f"sources.generic.sentry.title: {PATH}"),
        ({"generic": {"sentry": {"title": "a b"}}}, f"sources.generic.sentry.title: {PATH}"),
        ({"generic": {"sentry": {"title": 5}}}, f"sources.generic.sentry.title: {PATH}"),
        (
            {"generic": {"sentry": {"title": "a..b"}}},
            "sources.generic.sentry.title: must be a dotted path of at most 16",
        ),
        ({"generic": {"sentry": {"title": ".".join("abcdefghijklmnopq")}}}, "at most 16 names"),
        ({"generic": {"sentry": {"title": "t", "summary": "x y"}}}, f"sources.generic.sentry.summary: {PATH}"),
        (
            {"generic": {"sentry": {"title": "t", "start_unit": "min"}}},
            "sources.generic.sentry.start_unit: is 'min'; one of iso, s, ms, us, ns",
        ),  # fmt: skip
        (
            {"generic": {"sentry": {"title": "t", "status": "s", "firing": []}}},
            "sources.generic.sentry.firing: must be a value or a list of values",
        ),  # fmt: skip
        (
            {"generic": {"sentry": {"title": "t", "status": "s", "resolved": [{"a": 1}]}}},
            "sources.generic.sentry.resolved: must be a value or a list of values",
        ),  # fmt: skip
        (
            {"generic": {"sentry": {"title": "t", "status": "s", "firing": ["on", None]}}},
            "sources.generic.sentry.firing: must be a value or a list of values",
        ),  # fmt: skip
        (
            {"generic": {"sentry": {"title": "t", "status": "s", "firing": "ok", "resolved": "OK"}}},
            "sources.generic.sentry.resolved: shares a value with firing",
        ),  # fmt: skip
        ({"generic": {"sentry": {"title": "t", "firing": "on"}}}, "sources.generic.sentry.status: is required"),
        ({"generic": {"sentry": {"title": "t", "resolved": "off"}}}, "sources.generic.sentry.status: is required"),
    ],
)
def test_a_bad_source_setting_is_one_line_naming_its_key(sources: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        config_from_dict({"sources": sources})
    assert message in str(refused.value) and "\n" not in str(refused.value)
    if message.startswith("sources"):
        assert str(refused.value).startswith(message)


def test_the_defaults_keep_only_the_repository_s_levels_and_given_maps_add_to_them() -> None:
    three = {"severities": [{"id": "SEV1"}, {"id": "SEV2"}, {"id": "SEV3"}]}
    sources = config_from_dict(three).sources
    assert sources.pagerduty.severity == {"critical": "SEV1", "error": "SEV2", "warning": "SEV3"}
    assert sources.opsgenie.priority == {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3"}
    given = config_from_dict(
        {
            **three,
            "sources": {
                "pagerduty": {"routing_keys": {"K1": " checkout "}, "severity": {"info": "SEV3"}},
                "opsgenie": {"priority": {"P5": 3}},
            },
        }  # fmt: skip
    ).sources
    assert given.pagerduty.routing_keys == {"K1": "checkout"}
    assert given.pagerduty.severity == {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV3"}
    assert given.opsgenie.priority == {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P5": "SEV3"}
    assert config_from_dict({"sources": {"pagerduty": None, "opsgenie": None}}).sources == config_from_dict({}).sources


def test_a_generic_source_read_in_full() -> None:
    raw = {
        "title": " alert.title ",
        "dedupe_key": "alert.id",
        "status": "alert.state",
        "firing": ["Alerting", True, 1],
        "resolved": "OK",
        "start": "alert.started",
        "start_unit": "ms",
        "severity": "alert.level",
        "service": "alert.tags.0.value",
        "summary": "alert.text",
    }
    [(name, source)] = config_from_dict({"sources": {"generic": {"grafana-legacy": raw}}}).sources.generic.items()
    assert name == "grafana-legacy"
    assert source == GenericSource(
        name="grafana-legacy",
        title=("alert", "title"),
        dedupe_key=("alert", "id"),
        status=("alert", "state"),
        firing=("alerting", "true", "1"),
        resolved=("ok",),
        start=("alert", "started"),
        start_unit="ms",
        severity=("alert", "level"),
        service=("alert", "tags", "0", "value"),
        summary=("alert", "text"),
    )
    plain = config_from_dict({"sources": {"generic": {"x": {"title": "t"}}}}).sources.generic["x"]
    assert (plain.firing, plain.resolved, plain.status, plain.start_unit) == (("firing",), ("resolved",), None, None)
    assert [status_text(v) for v in (True, False, " Firing ", 2)] == ["true", "false", "firing", "2"]
