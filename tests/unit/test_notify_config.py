"""The hooks: section for the new notifiers: formats, e-mail and PagerDuty settings, refused in one line."""

from __future__ import annotations

import pytest

from incli.domain.config import config_from_dict
from incli.domain.hooks import Smtp
from incli.errors import InvalidInput

SMTP = {"host": "smtp.example.com", "from": "incli@example.com"}


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        ({"email": "oncall@example.com", "smtp": {**SMTP, "password": "x"}}, "credentials never live in incli.yaml"),
        ({"email": "oncall@example.com", "smtp": {**SMTP, "username": "x"}}, "set INC_SMTP_USERNAME"),
        ({"email": "not an address", "smtp": SMTP}, "is not an e-mail address"),
        ({"email": "a@example.com\r\nBcc: b@example.com", "smtp": SMTP}, "is not an e-mail address"),
        ({"email": "a@example.com"}, "give the server"),
        ({"email": "a@example.com", "smtp": {**SMTP, "security": "tls"}}, "must be one of starttls, ssl, none"),
        ({"email": "a@example.com", "smtp": {**SMTP, "port": "587"}}, "port number"),
        ({"email": "a@example.com", "smtp": {"host": "smtp.example.com"}}, "sender's address"),
        ({"email": "a@example.com", "smtp": {**SMTP, "password_env": "not a name"}}, "environment variable"),
        ({"email": "a@example.com", "smtp": SMTP, "format": "slack"}, "format applies to webhooks only"),
        ({"webhook": "https://x.example/", "email": "a@example.com"}, "exactly one of run, webhook or email"),
        ({"webhook": "https://x.example/", "routing_key": "k"}, "format: pagerduty only"),
        ({"webhook": "https://x.example/", "smtp": SMTP}, "smtp applies to email hooks only"),
    ],
)
def test_bad_notifier_settings_are_one_line(hook: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        config_from_dict({"hooks": {"opened": [hook]}})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_pagerduty_only_under_events_it_can_send() -> None:
    with pytest.raises(InvalidInput, match="use it under opened, reopened, page, acknowledged, resolved"):
        config_from_dict(
            {"hooks": {"note": [{"webhook": "https://events.pagerduty.com/v2/enqueue", "format": "pagerduty"}]}}
        )
    config = config_from_dict({"hooks": {"page": [{"webhook": "https://e.example/v2/enqueue", "format": "pagerduty"}]}})
    (hook,) = config.hooks["page"]
    assert hook.routing_key is None and hook.routing_key_env == "INC_PAGERDUTY_ROUTING_KEY"


def test_email_defaults_port_by_security() -> None:
    config = config_from_dict(
        {
            "hooks": {
                "opened": [
                    {"email": "a@example.com", "smtp": SMTP},
                    {"email": ["a@example.com", "b@example.com"], "smtp": {**SMTP, "security": "ssl"}},
                ]
            }
        }
    )
    first, second = config.hooks["opened"]
    assert first.smtp == Smtp("smtp.example.com", 587, "starttls", "incli@example.com")
    assert second.smtp is not None and second.smtp.port == 465 and second.email == ("a@example.com", "b@example.com")
    assert first.describe() == "hooks.opened[0] (email a@example.com)"
