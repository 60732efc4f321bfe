"""Notification hooks without the CLI: the hooks section of incli.yaml and the Slack text."""

from __future__ import annotations

import pytest

from incli.domain.config import config_from_dict
from incli.errors import InvalidInput


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ({"opened": [{"run": "echo hi"}]}, "hooks.opened[0]: run must be a list"),
        ({"opened": [{"run": []}]}, "non-empty list"),
        ({"opened": [{"webhook": "ftp://x"}]}, "http:// or https://"),
        (
            {"opened": [{"webhook": "http://127.0.0.1/", "format": "xml"}]},
            "format must be one of json, slack, mattermost",
        ),
        ({"opened": [{"run": ["x"], "webhook": "http://127.0.0.1/"}]}, "exactly one of run, webhook or email"),
        ({"opened": [{"run": ["x"], "timeout": "soon"}]}, "cannot read 'soon' as a duration"),
        ({"opened": "x"}, "must be a list of hooks"),
        ("x", "hooks: must map event names to lists of hooks"),
        ({"opened": ["echo"]}, "hooks.opened[0]: expected {run: [argv...]}, {webhook: URL, format: FORMAT}"),
        ({"opened": [{"run": ["x"], "shell": 1, "args": 2}]}, "hooks.opened[0]: unknown key 'args'; use run"),
        ({"opened": [{"run": ["x"], "format": "slack"}]}, "hooks.opened[0]: format applies to webhooks only"),
        ({"opened": [{"run": [["x"]]}]}, "hooks.opened[0]: run must be a non-empty list of arguments"),
        ({"opened": [{"webhook": 5}]}, "hooks.opened[0]: webhook must be an http:// or https:// URL"),
        ({"opened": [{"run": ["x"], "timeout": True}]}, "hooks.opened[0]: timeout must be a duration such as 10s"),
        ({"opened": [{"run": ["x"], "timeout": 0}]}, "hooks.opened[0]: timeout must be more than zero"),
        ({"opened": [{"run": ["x"], "timeout": "0s"}]}, "hooks.opened[0]: timeout must be more than zero"),
        ({"timeout": -1, "opened": [{"run": ["x"]}]}, "hooks.timeout: timeout must be more than zero"),
        (
            {"opened": [{"webhook": "https://e.example/", "format": "pagerduty", "routing_key": " "}]},
            "hooks.opened[0].routing_key: must be the integration key of a PagerDuty service",
        ),  # fmt: skip
        (
            {"opened": [{"webhook": "https://e.example/", "format": "pagerduty", "routing_key": "a\nb"}]},
            "hooks.opened[0].routing_key: must be the integration key",
        ),  # fmt: skip
        (
            {"opened": [{"webhook": "https://e.example/", "format": "pagerduty", "routing_key_env": "2KEY"}]},
            "hooks.opened[0].routing_key_env: must be the name of an environment variable",
        ),  # fmt: skip
    ],
)
def test_hooks_config_errors_are_one_line(hooks: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        config_from_dict({"hooks": hooks})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_timeouts_default_and_per_hook() -> None:
    hooks = config_from_dict(
        {"hooks": {"timeout": "30s", "opened": [{"run": ["a"]}, {"run": ["b"], "timeout": "2m"}]}}
    ).hooks
    assert [h.timeout for h in hooks["opened"]] == [30.0, 120.0]
    timeouts = [{"run": ["a"], "timeout": value} for value in (5, 2.5, "7", " 1.5 ", "1m")]
    assert [h.timeout for h in config_from_dict({"hooks": {"x": timeouts}}).hooks["x"]] == [5.0, 2.5, 7.0, 1.5, 60.0]
    assert config_from_dict({"hooks": {"x": [{"run": ["a"]}]}}).hooks["x"][0].timeout == 10.0


def test_slack_text_for_reminders_and_rules() -> None:
    from datetime import UTC, datetime

    from incli.domain.hooks import message
    from incli.domain.model import Incident

    at = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    incident = Incident(
        id="INC-20250115-abcde",
        title="Pool exhausted",
        severity="SEV2",
        opened_at=at,
        started_at=at,
        detected_at=at,
        service="checkout",
    )
    assert message("update_overdue", incident, {"due_at": "2025-01-15T15:00:00+00:00"}) == (
        "[SEV2] INC-20250115-abcde stakeholder update overdue: Pool exhausted (checkout) "
        "(due 2025-01-15T15:00:00+00:00)"
    )
    action = {"id": "ACT-7kq2x", "title": "Add pool alert", "owner": "alice", "due": "2025-01-22"}
    assert message("action_overdue", incident, {"action": action}).endswith(
        'Action ACT-7kq2x "Add pool alert" was due 2025-01-22, owner alice'
    )
    rule = {"name": "cpu", "metric": "cpu_usage", "op": ">", "threshold": 0.75}
    assert (
        message("rule_triggered", None, {"rule": rule, "value": 0.88}) == "Rule cpu triggered: cpu_usage = 0.88 > 0.75"
    )
    assert message("rule_triggered", incident, {"rule": rule, "value": 0.88}).endswith("> 0.75 (INC-20250115-abcde)")
    turn = {"schedule": "primary", "incoming": "bob", "outgoing": None}
    assert message("handoff", None, {"handoff": turn}) == "Handoff on primary: bob takes over from nobody"
    assert message("handoff", None, {"handoff": {"schedule": "p"}}) == "Handoff on p: nobody takes over from nobody"
    assert message("ack_overdue", None, {}) == "acknowledgement overdue"
    assert message("some_new_event", None, {}) == "some new event"
    assert message("page", incident, {"page": {"text": "Paged alice (level 1)"}}) == (
        "Paged alice (level 1): [SEV2] INC-20250115-abcde page: Pool exhausted (checkout)"
    )
    assert message("escalated", incident, {"text": "Escalated to level 2"}).startswith("Escalated to level 2: [SEV2]")
    unowned = message("action_overdue", incident, {"action": {**action, "owner": None}})
    assert unowned.endswith("was due 2025-01-22") and "owner" not in unowned


def test_a_message_carries_the_last_note_and_the_template_sees_plain_data() -> None:
    from datetime import UTC, datetime

    from incli.domain.hooks import message, template_data
    from incli.domain.model import Incident, TimelineEntry

    at = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    incident = Incident(
        id="INC-20250115-abcde", title="Pool exhausted", severity="SEV2", opened_at=at, started_at=at, detected_at=at
    )
    incident.add_entry(TimelineEntry(at=at, kind="note", text="Restarted the pool", by="alice"))
    assert message("note", incident, {}) == "[SEV2] INC-20250115-abcde note: Pool exhausted. Restarted the pool"
    assert message("opened", incident, {}) == "[SEV2] INC-20250115-abcde opened: Pool exhausted"
    data = template_data("note", incident, {"x": 1})
    assert {k: data[k] for k in ("event", "phrase", "id", "title", "severity", "status", "service", "commander")} == {
        "event": "note",
        "phrase": "note",
        "id": "INC-20250115-abcde",
        "title": "Pool exhausted",
        "severity": "SEV2",
        "status": "open",
        "service": "",
        "commander": "",
    }
    assert data["headline"] == message("note", incident, {}) and data["extra"] == {"x": 1}
    assert data["incident"]["id"] == "INC-20250115-abcde" and data["summary"] == ""
    empty = template_data("rule_triggered", None, {})
    assert (empty["id"], empty["title"], empty["incident"], empty["phrase"]) == ("", "", {}, "rule triggered")
