"""Amazon CloudWatch alarms delivered by SNS to an HTTP(S) subscription (``POST /cloudwatch``).

SNS wraps the alarm in an envelope whose ``Message`` is the alarm as a JSON string
(``AlarmName``, ``AlarmDescription``, ``NewStateValue``, ``NewStateReason``,
``StateChangeTime`` such as ``2015-06-03T17:43:27.123+0000``, ``Trigger``); a raw-delivery
subscription sends the alarm itself, and both are read. The title is ``AlarmName``,
the summary ``AlarmDescription``, the start ``StateChangeTime``. ``ALARM`` opens or adds,
``OK`` mitigates (at its ``StateChangeTime``), ``INSUFFICIENT_DATA`` is a note.

A ``SubscriptionConfirmation`` is logged with its ``SubscribeURL``; ``confirm`` visits it
(only ``https`` and only a ``*.amazonaws.com`` host), which ``inc ingest serve
--confirm-sns`` does. SNS signatures are not checked here: put the endpoint behind a
reverse proxy that checks them (or a token in the subscription URL's user info:
``https://incli:TOKEN@host/cloudwatch``, sent as Basic authentication).
"""

from __future__ import annotations

import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from incli.domain.alerts import Alert, Notification
from incli.domain.times import to_iso
from incli.errors import InvalidInput, StorageError
from incli.integrations.sources import fields, safejson
from incli.integrations.sources.alertmanager import parse_alert_time

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "cloudwatch"
LABEL = "CloudWatch"
PATHS = ("/cloudwatch",)
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
SUBSCRIPTION_TYPES = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
CONFIRM_TIMEOUT = 10


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    raw = fields.obj(safejson.loads(data), "the payload", "an SNS message holding a CloudWatch alarm")
    kind = raw.get("Type")
    if kind in SUBSCRIPTION_TYPES:
        return _subscription(raw, str(kind))
    if kind == "Notification":
        message = raw.get("Message")
        if not isinstance(message, str):
            raise InvalidInput("Message must be text: the CloudWatch alarm as a JSON string")
        try:
            alarm = safejson.loads(message, "Message")
        except InvalidInput as exc:
            raise InvalidInput(f"Message is not a CloudWatch alarm as JSON text: {exc.message}") from None
        if not isinstance(alarm, dict) or "AlarmName" not in alarm:
            raise InvalidInput("Message is not a CloudWatch alarm: it has no AlarmName")
    elif kind is None and "AlarmName" in raw:
        alarm = raw  # raw message delivery: the alarm without the envelope
    else:
        raise InvalidInput(
            f"Type is {kind!r}; expected an SNS Notification (or SubscriptionConfirmation) holding a CloudWatch alarm"
        )
    return _alarm(alarm)


def _subscription(raw: dict[str, Any], kind: str) -> Notification:
    topic = fields.key(raw.get("TopicArn"), "TopicArn", 1000, required=True)
    url = fields.text(raw.get("SubscribeURL"), "SubscribeURL", 4000, required=kind == "SubscriptionConfirmation")
    return Notification(
        status="firing",
        group_key=topic or "",
        receiver="",
        alerts=[],
        source=NAME,
        source_label=LABEL,
        kind="subscription",
        details={"type": kind, "topic_arn": topic, **({"subscribe_url": url} if url else {})},
        opens=False,
    )


def _alarm(alarm: dict[str, Any]) -> Notification:
    name = fields.key(alarm.get("AlarmName"), "AlarmName", 255, required=True)
    assert name is not None
    state = alarm.get("NewStateValue")
    if state not in STATES:
        raise InvalidInput(f"NewStateValue is {state!r}; expected ALARM, OK or INSUFFICIENT_DATA")
    changed = parse_alert_time(alarm.get("StateChangeTime"), "StateChangeTime")
    arn = fields.key(alarm.get("AlarmArn"), "AlarmArn", 1000)
    account = fields.text(alarm.get("AWSAccountId"), "AWSAccountId", 64)
    region = fields.text(alarm.get("Region"), "Region", 100)
    group_key = arn or ":".join([account or "", region or "", name])
    reason = fields.text(alarm.get("NewStateReason"), "NewStateReason", 2000)
    trigger = alarm.get("Trigger")
    labels = {"alertname": name}
    if region:
        labels["region"] = region
    if isinstance(trigger, dict):
        for field, label in (("Namespace", "namespace"), ("MetricName", "metric")):
            if (value := fields.text(trigger.get(field), f"Trigger.{field}", 255)) is not None:
                labels[label] = value
    description = fields.text(alarm.get("AlarmDescription"), "AlarmDescription", 2000)
    annotations = {"description": description} if description else {}
    common: dict[str, Any] = {"group_key": group_key, "receiver": account or "", "source": NAME, "source_label": LABEL}
    if state == "INSUFFICIENT_DATA":
        when = to_iso(changed) if changed else "an unknown time"
        text = f"CloudWatch alarm {name} is INSUFFICIENT_DATA since {when}" + (f": {reason}" if reason else "")
        return Notification(status="firing", alerts=[], kind="note", note=text, at=changed, opens=False, **common)
    firing = state == "ALARM"
    alert = Alert(
        status="firing" if firing else "resolved",
        labels=labels,
        annotations=annotations,
        starts_at=changed if firing else None,
        ends_at=None if firing else changed,
        fingerprint=group_key,
    )
    details: dict[str, Any] = {}
    if arn:
        details["alarm_arn"] = arn
    return Notification(
        status=alert.status,
        alerts=[alert],
        common_labels=labels,
        common_annotations=annotations,
        details=details,
        **common,
    )


def confirmable(url: str) -> str | None:
    """Why ``url`` will not be visited to confirm a subscription, or None: only https,
    only a host under amazonaws.com, no user info and no port but 443."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return f"SubscribeURL is not https: {url}"
    if not host.endswith(".amazonaws.com") or parts.username is not None or parts.password is not None:
        return f"SubscribeURL is not on an amazonaws.com host: {url}"
    try:
        port = parts.port
    except ValueError:
        return f"SubscribeURL has a bad port: {url}"
    if port not in (None, 443):
        return f"SubscribeURL has a port other than 443: {url}"
    return None


def confirm(url: str) -> int:
    """Visit SubscribeURL (an HTTP GET), which confirms the subscription; the HTTP status."""
    refusal = confirmable(url)
    if refusal is not None:
        raise InvalidInput(refusal)
    request = urllib.request.Request(url, method="GET", headers={"User-Agent": "incli"})
    opener = urllib.request.build_opener(_NoRedirect)  # a redirect could leave amazonaws.com
    try:
        with opener.open(request, timeout=CONFIRM_TIMEOUT) as response:
            response.read(65536)
            return int(response.status)
    except OSError as exc:
        raise StorageError(f"could not confirm the SNS subscription at {url}: {exc}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
