"""Every alert source's parser, without the CLI: what it reads, what it refuses (one line,
naming what was expected), and that arbitrary JSON never crashes it (hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incli.domain.config import config_from_dict
from incli.domain.times import epoch_unit, from_epoch
from incli.errors import ConfigError, InvalidInput
from incli.integrations import sources
from incli.integrations.sources import Context, cloudwatch
from tests import sourcepayloads as sp

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAMES = [n for n in sources.SOURCES if n != "generic"] + ["generic:kuma"]
CONFIG = config_from_dict({"sources": {"generic": {"kuma": {"title": "monitor.name", "status": "s", "firing": [0]}}}})


def parse(name: str, payload: Any, path: str = "", query: dict[str, str] | None = None, config: Any = CONFIG) -> Any:
    base, sub = sources.split_name(name)
    data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return sources.source_named(name).parse(data, Context(path=path, query=query or {}, config=config, name=sub))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
# Objects with the keys the sources look for, so the fuzzing reaches past the first check.
KEYS = [
    "alerts", "version", "status", "routing_key", "event_action", "dedup_key", "payload", "summary", "source",
    "severity", "timestamp", "message", "alias", "priority", "details", "tags", "action", "alert", "createdAt",
    "updatedAt", "Type", "Message", "AlarmName", "NewStateValue", "StateChangeTime", "SubscribeURL", "TopicArn",
    "monitor", "name", "s", "links", "labels", "startsAt", "endsAt", "groupKey", "truncatedAlerts",
]  # fmt: skip
shaped = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.one_of(json_values, shaped))
def test_arbitrary_json_is_read_or_refused_never_a_crash(name: str, payload: Any) -> None:
    for path in ("", "/v2/change/enqueue", f"/v2/alerts/{sp.ALIAS}/close"):
        try:
            parse(name, payload, path, {"identifierType": "alias"})
        except InvalidInput as exc:
            assert "\n" not in exc.message


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(data=st.binary(max_size=60))
def test_arbitrary_bytes_are_refused_in_one_line(name: str, data: bytes) -> None:
    try:
        parse(name, data)
    except InvalidInput as exc:
        assert "\n" not in exc.message


@settings(max_examples=40, deadline=None)
@given(
    alert=st.fixed_dictionaries(
        {"message": st.text(min_size=1, max_size=40).filter(str.strip)},
        optional={
            "alias": st.text(min_size=1, max_size=30).filter(str.strip),
            "priority": st.sampled_from(["P1", "P5"]),
        },
    )
)
def test_an_opsgenie_create_is_read_and_its_repeat_is_the_same(alert: dict[str, Any]) -> None:
    first, second = parse("opsgenie", alert), parse("opsgenie", alert)
    assert first == second
    assert first.alerts[0].starts_at is None  # the receipt, assumed


# -- what each source reads -------------------------------------------------------------


def test_grafana_keeps_links_and_its_title() -> None:
    n = parse("grafana", sp.grafana([sp.grafana_alert("eu-1")]))
    assert n.source == "grafana" and n.group_key.startswith("{}/")
    assert n.alerts[0].starts_at == datetime(2025, 1, 15, 14, 28, 3, 157076, tzinfo=UTC)
    assert n.details["title"] == "[FIRING:1] HighMemory (payments)"
    assert n.details["links"]["f1ngerprinteu-1"]["panel"].endswith("viewPanel=4")


def test_pagerduty_trigger_fields() -> None:
    n = parse("pagerduty", sp.pd_trigger(severity="info"))
    (alert,) = n.alerts
    assert (n.group_key, alert.severity, alert.status) == ("checkout/db-pool", "SEV4", "firing")
    assert alert.starts_at == datetime(2025, 1, 15, 14, 28, 3, 512893, tzinfo=UTC)
    assert n.credential == sp.ROUTING_KEY
    assert "in use: 100%" in (alert.annotations["description"])


def test_pagerduty_trigger_without_dedup_key_gets_a_stable_one() -> None:
    first, second = parse("pagerduty", sp.pd_trigger(None)), parse("pagerduty", sp.pd_trigger(None))
    assert first.group_key == second.group_key and len(first.group_key) == 32
    assert parse("pagerduty", sp.pd_trigger(None, summary="other")).group_key != first.group_key


def test_pagerduty_success_and_failure_are_pagerdutys_shapes() -> None:
    from incli.integrations.sources import pagerduty

    assert pagerduty.success({"action": "opened"}, "k") == (
        202,
        {"status": "success", "message": "Event processed", "dedup_key": "k"},
    )
    assert pagerduty.failure(400, "x") == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["x"],
    }


def test_opsgenie_webhook_times() -> None:
    n = parse("opsgenie-webhook", sp.og_webhook("Close", updated_ns=1420452224764002246))
    (alert,) = n.alerts
    assert alert.starts_at == datetime(2025, 1, 15, 14, 28, 3, 103000, tzinfo=UTC)
    assert alert.ends_at == datetime(2015, 1, 5, 10, 3, 44, 764002, tzinfo=UTC)
    note = parse("opsgenie-webhook", sp.og_webhook("Escalate"))
    assert note.kind == "note" and note.note is not None and note.note.startswith("Opsgenie: Escalate by alice@")


def test_cloudwatch_states() -> None:
    alarm = parse("cloudwatch", sp.sns(sp.cw_alarm()))
    assert alarm.alerts[0].labels["alertname"] == "checkout-5xx" and alarm.group_key == sp.ALARM_ARN
    ok = parse("cloudwatch", sp.sns(sp.cw_alarm("OK")))
    assert ok.status == "resolved" and ok.alerts[0].ends_at is not None
    assert parse("cloudwatch", sp.sns_subscription()).kind == "subscription"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription", None),
        ("http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription", "not https"),
        ("https://amazonaws.com.evil.example/x", "amazonaws.com host"),
        ("https://evilamazonaws.com/x", "amazonaws.com host"),
        ("https://user:pw@sns.us-east-1.amazonaws.com/x", "amazonaws.com host"),
        ("https://sns.us-east-1.amazonaws.com:8443/x", "port"),
        ("file:///etc/passwd", "not https"),
    ],
)
def test_only_amazon_https_urls_are_visited_to_confirm(url: str, why: str | None) -> None:
    refusal = cloudwatch.confirmable(url)
    assert (refusal is None) if why is None else (refusal is not None and why in refusal)
    if why is not None:
        with pytest.raises(InvalidInput):
            cloudwatch.confirm(url)


# -- refusals, one line each --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "payload", "path", "words"),
    [
        ("pagerduty", {**sp.pd_trigger(), "event_action": "escalate"}, "", ["'escalate'", "trigger, acknowledge or resolve"]),  # noqa: E501
        ("pagerduty", {k: v for k, v in sp.pd_trigger().items() if k != "event_action"}, "", ["event_action is missing"]),  # noqa: E501
        ("pagerduty", {k: v for k, v in sp.pd_trigger().items() if k != "routing_key"}, "", ["routing_key is missing"]),
        ("pagerduty", {**sp.pd_trigger(), "dedup_key": "k" * 256}, "", ["dedup_key is longer than 255"]),
        ("pagerduty", {**sp.pd_trigger(), "payload": {"summary": "x", "source": "y", "severity": "high"}}, "", ["critical, error, warning or info"]),  # noqa: E501
        ("pagerduty", {**sp.pd_trigger(), "payload": {"source": "y", "severity": "info"}}, "", ["payload.summary is missing"]),  # noqa: E501
        ("pagerduty", sp.pd_event("resolve") | {"dedup_key": None}, "", ["dedup_key is missing"]),
        ("pagerduty", {"routing_key": "k", "payload": {}}, "/v2/change/enqueue", ["payload.summary is missing"]),
        ("opsgenie", {"alias": "a"}, "", ["message is missing"]),
        ("opsgenie", {**sp.og_create(), "priority": "P0"}, "", ["P1, P2, P3, P4, P5"]),
        ("opsgenie", {**sp.og_create(), "tags": "a,b"}, "", ["tags must be a list"]),
        ("opsgenie-webhook", {"action": 3, "alert": {}}, "", ["expected an Opsgenie alert action"]),
        ("opsgenie-webhook", {**sp.og_webhook("Create"), "alert": {"alias": "a", "createdAt": "soon"}}, "", ["createdAt"]),  # noqa: E501
        ("cloudwatch", {"Type": "Notification", "Message": "{"}, "", ["Message"]),
        ("cloudwatch", {"hello": 1}, "", ["SNS Notification"]),
        ("grafana", {"version": "1", "alerts": [{"status": "pending"}]}, "", ["expected firing or resolved"]),
        ("generic:kuma", {"monitor": {"name": "x"}}, "", ["status (s) is not in the payload"]),
        ("generic:kuma", {"monitor": {"name": "x"}, "s": 5}, "", ["status (s) is 5", "0 (firing)"]),
    ],
)  # fmt: skip
def test_refusals_name_what_was_expected(name: str, payload: Any, path: str, words: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(name, payload, path)
    for word in words:
        assert word in caught.value.message
    assert "\n" not in caught.value.message


def test_unknown_sources_are_named() -> None:
    with pytest.raises(InvalidInput, match="one of alertmanager, grafana.*generic:NAME"):
        sources.source_named("nagios")
    with pytest.raises(InvalidInput):
        sources.source_named("generic")


def test_routing() -> None:
    assert sources.name_for_path("/v2/enqueue") == "pagerduty"
    assert sources.name_for_path("/v2/change/enqueue") == "pagerduty"
    assert sources.name_for_path("/v2/alerts") == "opsgenie"
    assert sources.name_for_path("/v2/alerts/abc%2Fdef/acknowledge") == "opsgenie"
    assert sources.name_for_path("/v2/alerts/abc/message") is None  # update_alerts: not read
    assert sources.name_for_path("/generic/sentry") == "generic:sentry"
    assert sources.name_for_path("/generic/Sentry") is None
    assert sources.name_for_path("/grafana") == "grafana"


# -- the sources: section ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "reason"),
    [
        ({"pagerduty": {"routing_key": {"a": "b"}}}, "sources.pagerduty.routing_key", "routing_keys"),
        ({"pagerduty": {"routing_keys": {"a": ""}}}, "sources.pagerduty.routing_keys.a", "must name a service"),
        ({"pagerduty": {"severity": {"critical": "SEV9"}}}, "sources.pagerduty.severity.critical", "SEV9"),
        ({"pagerduty": {"severity": {"fatal": "SEV1"}}}, "sources.pagerduty.severity.fatal", "unknown key"),
        ({"opsgenie": {"priority": {"P6": "SEV1"}}}, "sources.opsgenie.priority.P6", "unknown key"),
        ({"generic": {"Bad Name": {"title": "a"}}}, "sources.generic.Bad Name", "lower-case"),
        ({"generic": {"x": {"titel": "a"}}}, "sources.generic.x.titel", "title"),
        ({"generic": {"x": {"summary": "a"}}}, "sources.generic.x.title", "required"),
        ({"generic": {"x": {"title": "a..b"}}}, "sources.generic.x.title", "dotted path"),
        ({"generic": {"x": {"title": "a", "start_unit": "minutes"}}}, "sources.generic.x.start_unit", "iso, s"),
        ({"generic": {"x": {"title": "a", "firing": [1]}}}, "sources.generic.x.status", "required"),
        ({"generic": {"x": {"title": "a", "status": "s", "firing": [1], "resolved": ["1"]}}}, "sources.generic.x.resolved", "shares"),  # noqa: E501
        ({"slack": {}}, "sources.slack", "unknown key"),
    ],
)  # fmt: skip
def test_the_sources_section_is_checked(section: dict[str, Any], key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"sources": section})
    assert caught.value.key == key
    assert reason in caught.value.reason


def test_default_maps_keep_only_levels_the_repository_has() -> None:
    config = config_from_dict({"severities": [{"id": "SEV1"}, {"id": "SEV2"}, {"id": "SEV3"}]})
    assert config.sources.pagerduty.severity == {"critical": "SEV1", "error": "SEV2", "warning": "SEV3"}
    assert "P4" not in config.sources.opsgenie.priority


# -- epoch times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1736951283, None, datetime(2025, 1, 15, 14, 28, 3, tzinfo=UTC)),
        (1736951283103, None, datetime(2025, 1, 15, 14, 28, 3, 103000, tzinfo=UTC)),
        (1736951283103456, None, datetime(2025, 1, 15, 14, 28, 3, 103456, tzinfo=UTC)),
        (1736951283103456789, None, datetime(2025, 1, 15, 14, 28, 3, 103456, tzinfo=UTC)),
        ("1736951283.5", None, datetime(2025, 1, 15, 14, 28, 3, 500000, tzinfo=UTC)),
        (1736951283.25, "s", datetime(2025, 1, 15, 14, 28, 3, 250000, tzinfo=UTC)),
        (1736951283, "ms", datetime(1970, 1, 21, 2, 29, 11, 283000, tzinfo=UTC)),
    ],
)
def test_epoch_times_to_the_microsecond(value: Any, unit: str | None, expected: datetime) -> None:
    assert from_epoch(value, unit) == expected


@settings(max_examples=50, deadline=None)
@given(ns=st.integers(min_value=0, max_value=4102444800 * 10**9 - 1))
def test_epoch_nanoseconds_are_exact_in_every_unit(ns: int) -> None:
    for unit, divisor in (("ns", 1), ("us", 1000), ("ms", 10**6), ("s", 10**9)):
        value = ns // divisor
        moment = from_epoch(value, unit)
        assert moment == EPOCH + timedelta(microseconds=value * divisor // 1000)


@pytest.mark.parametrize("value", [-1, "soon", True, None, [], "1e9", 10**21])
def test_epoch_refuses_what_is_not_a_time(value: Any) -> None:
    with pytest.raises(InvalidInput):
        from_epoch(value)


def test_epoch_unit_by_magnitude() -> None:
    assert [epoch_unit(n) for n in (1e9, 1e12, 1e15, 1e18)] == ["s", "ms", "us", "ns"]
    edges = (10**11 - 1, 10**11, 10**14 - 1, 10**14, 10**17 - 1, 10**17)
    assert [epoch_unit(n) for n in edges] == ["s", "ms", "ms", "us", "us", "ns"]
    assert [epoch_unit(-n) for n in edges] == ["s", "ms", "ms", "us", "us", "ns"]
    # 10**11 of each unit is the same instant: 1973-03-03 09:46:40.
    assert {from_epoch(n) for n in (10**11, 10**14, 10**17)} == {datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)}


def test_a_float_written_with_an_exponent_is_read_exactly() -> None:
    assert from_epoch(1.7e18) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)  # repr: 1.7e+18
    assert from_epoch(1.7e15) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_what_is_not_an_epoch_time_is_named_in_the_refusal() -> None:
    with pytest.raises(InvalidInput, match=r"^createdAt is \[1\], not a number of seconds since 1970$"):
        from_epoch([1], what="createdAt")
    with pytest.raises(InvalidInput, match=r"^time is True, not a number of seconds since 1970$"):
        from_epoch(True)


def test_an_epoch_time_out_of_range_is_named_in_the_refusal() -> None:
    """Each refusal names the field and the value as the payload gave it."""
    with pytest.raises(InvalidInput, match=r"^startsAt: unknown unit 'hours'; one of s, ms, us, ns$"):
        from_epoch(5, "hours", what="startsAt")
    with pytest.raises(InvalidInput, match=r"^startsAt 5000000000000 is not a time incli can store$"):
        from_epoch(5 * 10**12, "s", what="startsAt")
    with pytest.raises(
        InvalidInput, match=r"^startsAt: '99999999999' is in the year 5138, far in the future; give a time from 1970"
    ):
        from_epoch(99999999999, "s", what="startsAt")
