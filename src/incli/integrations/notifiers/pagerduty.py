"""``format: pagerduty``: PagerDuty Events API v2 out, so incli can page through PagerDuty.

``opened``, ``reopened`` and ``page`` send ``trigger``, ``acknowledged`` sends
``acknowledge`` and ``resolved`` sends ``resolve``, each with ``dedup_key`` = the
incident id, so PagerDuty's alert follows the incident. The routing key is the
hook's ``routing_key``, else the environment variable ``routing_key_env`` names
(INC_PAGERDUTY_ROUTING_KEY by default).
"""

from __future__ import annotations

import os
from typing import Any

from incli.domain.hooks import PAGERDUTY_ACTIONS, Hook
from incli.integrations.notifiers import Delivery, Outcome, cut
from incli.integrations.notifiers.slack import encode
from incli.integrations.notifiers.webhook import post

NAME = "pagerduty"
MAX_SUMMARY = 1024  # PagerDuty's limit
MAX_DEDUP = 255
# incli's first severities to PagerDuty's four; anything lower (or unknown) is info.
SEVERITIES = {"SEV1": "critical", "SEV2": "error", "SEV3": "warning"}


def routing_key(hook: Hook) -> str:
    return hook.routing_key or os.environ.get(hook.routing_key_env, "").strip()


def event(hook: Hook, delivery: Delivery) -> dict[str, Any]:
    """The Events API v2 event for this delivery (without checking the routing key)."""
    action = PAGERDUTY_ACTIONS[delivery.event]
    body: dict[str, Any] = {
        "routing_key": routing_key(hook),
        "event_action": action,
        "dedup_key": cut(delivery.field("id") or delivery.event, MAX_DEDUP),
    }
    if action == "trigger":
        details = {k: v for k, v in (delivery.incident or {}).items() if k != "timeline"}
        payload: dict[str, Any] = {
            # The page's words: the first line of the event's template (the headline by default).
            "summary": cut((delivery.text.strip().splitlines() or [delivery.line])[0] or delivery.line, MAX_SUMMARY),
            "source": delivery.field("service") or "incli",
            "severity": SEVERITIES.get(delivery.field("severity"), "info"),
            "custom_details": {"message": delivery.text, **details},
        }
        if delivery.field("opened_at"):
            payload["timestamp"] = delivery.field("opened_at")
        if delivery.field("service"):
            payload["component"] = delivery.field("service")
        body["payload"] = payload
        body["client"] = "incli"
    return body


def send(hook: Hook, delivery: Delivery) -> Outcome:
    if delivery.event not in PAGERDUTY_ACTIONS:
        return Outcome(hook, True, f"nothing to send to PagerDuty for {delivery.event}")
    if not routing_key(hook):
        return Outcome(hook, False, f"no routing key: set routing_key or {hook.routing_key_env}")
    return post(hook, encode(event(hook, delivery)))
