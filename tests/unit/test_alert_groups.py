"""What an incident opened from a group of alerts is called and says (domain/alerts.py, issue 19: the
mutation run found these choices untested): the title, the description, the service, the severity,
and the one line each alert gets in the timeline."""

from __future__ import annotations

from typing import Any

from incli.domain.alerts import (
    Alert,
    AlertSettings,
    Notification,
    describe_alert,
    group_description,
    group_service,
    group_severity,
    group_title,
)
from incli.domain.severity import Severities

SETTINGS = AlertSettings(severity_map={"critical": "SEV1", "warning": "SEV3"}, default_severity="SEV3")


def alert(labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None, **kw: Any) -> Alert:
    return Alert("firing", labels or {}, annotations or {}, None, None, **kw)


def group(*alerts: Alert, **kw: Any) -> Notification:
    return Notification("firing", "g", "incli", list(alerts), **kw)


def test_the_title_is_the_common_summary_then_the_shared_one_then_the_alert_name() -> None:
    two = [alert({"alertname": "A"}, {"summary": "Pool full"}), alert({"alertname": "A"}, {"summary": "Pool full "})]
    assert group_title(group(*two, common_annotations={"summary": " Checkout down "})) == "Checkout down"
    assert group_title(group(*two)) == "Pool full"  # every alert says the same
    differ = [alert({"alertname": "A"}, {"summary": "x"}), alert({"alertname": "A"}, {"summary": "y"})]
    assert group_title(group(*differ, common_labels={"alertname": "HighLatency"})) == "HighLatency"
    assert group_title(group(*differ, group_labels={"alertname": "FromGroup"})) == "FromGroup"
    assert group_title(group(alert({"alertname": "First"}), alert({"alertname": "Second"}))) == "First"
    assert group_title(group(alert({"alertname": " "}), source_label="Grafana")) == "Grafana alert"
    no_shared = group(alert(), alert(annotations={"summary": "only one"}))  # one says it, one does not
    assert group_title(no_shared) == "Alertmanager alert"
    long = "word " * 60
    assert group_title(group(alert(annotations={"summary": long}))) == ("word " * 40)[:199].rstrip() + "…"


def test_the_description_is_the_common_one_or_the_only_alert_s() -> None:
    assert group_description(group(alert(), common_annotations={"description": " All of it \n"})) == "All of it"
    assert group_description(group(alert(annotations={"description": " Its own "}))) == "Its own"
    two = [alert(annotations={"description": "a"}), alert(annotations={"description": "a"})]
    assert group_description(group(*two)) is None  # not common: not said
    assert group_description(group(alert(annotations={"description": "  "}))) is None


def test_the_service_is_the_source_s_then_the_common_label_then_the_label_all_share() -> None:
    settings = AlertSettings(service_label="app")
    shared = [alert({"app": "checkout"}), alert({"app": "checkout"})]
    assert group_service(group(*shared, service="payments"), settings) == "payments"
    assert group_service(group(*shared, common_labels={"app": "search"}), settings) == "search"
    assert group_service(group(*shared), settings) == "checkout"
    assert group_service(group(alert({"app": "a"}), alert({"app": "b"})), settings) is None
    assert group_service(group(alert({"app": ""})), settings) is None
    assert group_service(group(alert({"service": "checkout"})), settings) is None  # not the configured label


def test_the_severity_is_the_worst_alert_s_by_the_repository_scale() -> None:
    scale = Severities()
    alerts = [alert({"severity": "warning"}), alert({"severity": "CRITICAL "}), alert({"severity": "page"})]
    assert group_severity(group(*alerts), SETTINGS, scale).id == "SEV1"
    assert group_severity(group(alert(), common_labels={"severity": "critical"}), SETTINGS, scale).id == "SEV1"
    assert group_severity(group(alert({"severity": "page"})), SETTINGS, scale).id == "SEV3"  # unknown: default
    assert group_severity(group(alert(severity="SEV2"), alert({"severity": "warning"})), SETTINGS, scale).id == "SEV2"
    # SEV4 sorts after SEV1..3 by rank, not by its text ("SEV10" would sort first as text).
    assert group_severity(group(alert(severity="SEV4"), alert(severity="SEV2")), SETTINGS, scale).id == "SEV2"


def test_an_alert_s_line_names_what_sets_it_apart_and_its_summary() -> None:
    common = {"alertname": "PoolFull", "job": "api"}
    one = alert({"alertname": "PoolFull", "job": "api", "instance": "db-1", "summary": "x", "description": "y"})
    assert describe_alert(one, group(one, common_labels=common)) == "PoolFull (instance=db-1): x"  # summary label
    busy = alert({"alertname": "A", **{f"l{n}": str(n) for n in range(6)}}, {"summary": "Pool full"})
    assert describe_alert(busy, group(busy)) == "A (l0=0, l1=1, l2=2, l3=3, …): Pool full"
    described = alert({"alertname": "A"}, {"description": "from the description"})
    assert describe_alert(described, group(described)) == "A: from the description"
    labelled = alert({"alertname": "A", "summary": "from a label"})
    assert describe_alert(labelled, group(labelled, common_labels={"alertname": "A", "summary": "from a label"})) == (
        "A: from a label"
    )
    long = alert({"alertname": "A"}, {"summary": "z" * 500})
    assert describe_alert(long, group(long)) == "A: " + "z" * 396 + "…"
