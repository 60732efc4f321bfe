"""Alertmanager webhook notifications for the tests, modelled on real ones
(version 4, nanosecond timestamps, the zero endsAt, offsets)."""

from __future__ import annotations

import copy
import json
from typing import Any

ZERO = "0001-01-01T00:00:00Z"
GROUP_KEY = '{}/{severity=~"critical|warning"}:{alertname="DBConnectionPoolExhausted"}'


def alert(
    instance: str,
    *,
    status: str = "firing",
    starts: str = "2025-01-15T14:28:03.512893021Z",
    ends: str = ZERO,
    severity: str = "critical",
    fingerprint: str | None = None,
    summary: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": status,
        "labels": {
            "alertname": "DBConnectionPoolExhausted",
            "instance": instance,
            "job": "checkout-api",
            "service": "checkout",
            "severity": severity,
        },
        "annotations": {
            "description": f"{instance}: 100% of the connection pool in use for 2 minutes",
            **({"summary": summary} if summary else {}),
        },
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=db_pool_in_use+%2F+db_pool_size+%3E+0.95",
    }
    if fingerprint is not None:
        data["fingerprint"] = fingerprint
    return data


def notification(
    alerts: list[dict[str, Any]],
    *,
    status: str | None = None,
    group_key: str = GROUP_KEY,
    summary: str | None = "Database connection pool exhausted",
) -> dict[str, Any]:
    if status is None:
        status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    common = {"alertname": "DBConnectionPoolExhausted", "job": "checkout-api", "service": "checkout"}
    severities = {a["labels"]["severity"] for a in alerts}
    if len(severities) == 1:
        common["severity"] = severities.pop()
    return {
        "receiver": "incli",
        "status": status,
        "alerts": copy.deepcopy(alerts),
        "groupLabels": {"alertname": "DBConnectionPoolExhausted"},
        "commonLabels": common,
        "commonAnnotations": {"summary": summary} if summary else {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
    }


def firing_two() -> dict[str, Any]:
    """Two alerts in one group: one in UTC with nanoseconds, one with a +02:00 offset."""
    return notification(
        [
            alert("db-1:9187", fingerprint="a1b2c3d4e5f60718", starts="2025-01-15T14:28:03.512893021Z"),
            alert(
                "db-2:9187", fingerprint="0f1e2d3c4b5a6978", starts="2025-01-15T16:27:30.1+02:00", severity="warning"
            ),
        ]
    )


def resolved_two(
    ends1: str = "2025-01-15T14:40:03.512893021Z", ends2: str = "2025-01-15T16:39:00+02:00"
) -> dict[str, Any]:
    return notification(
        [
            alert(
                "db-1:9187",
                status="resolved",
                fingerprint="a1b2c3d4e5f60718",
                starts="2025-01-15T14:28:03.512893021Z",
                ends=ends1,
            ),
            alert(
                "db-2:9187",
                status="resolved",
                fingerprint="0f1e2d3c4b5a6978",
                starts="2025-01-15T16:27:30.1+02:00",
                ends=ends2,
                severity="warning",
            ),
        ]
    )


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data)
