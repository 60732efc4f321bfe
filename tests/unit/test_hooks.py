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
