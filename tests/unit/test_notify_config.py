"""The hooks: section for the new notifiers: formats, e-mail and PagerDuty settings, refused in one line."""

from __future__ import annotations

import pytest

from incli.domain.config import config_from_dict
from incli.domain.hooks import Smtp
from incli.errors import InvalidInput

SMTP = {"host": "smtp.example.com", "from": "incli@example.com"}


CREDENTIALS = (
    "credentials never live in incli.yaml: set INC_SMTP_USERNAME and INC_SMTP_PASSWORD "
    "(or name other variables with username_env and password_env)"
)
UNKNOWN = "unknown key; use host, port, security, from, username_env, password_env"
SERVER = "give the server: {host: smtp.example.com, from: incli@example.com}"
ENV = "must be the name of an environment variable, such as INC_SMTP_PASSWORD"


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        ({"email": "oncall@example.com", "smtp": {**SMTP, "password": "x"}}, f"smtp.password: {CREDENTIALS}"),
        ({"email": "oncall@example.com", "smtp": {**SMTP, "pass": "x"}}, f"smtp.pass: {CREDENTIALS}"),
        ({"email": "oncall@example.com", "smtp": {**SMTP, "username": "x"}}, f"smtp.username: {CREDENTIALS}"),
        ({"email": "oncall@example.com", "smtp": {**SMTP, "user": "x"}}, f"smtp.user: {CREDENTIALS}"),
        ({"email": "a@example.com", "smtp": {**SMTP, "tls": 1, "auth": 2}}, f"smtp.auth: {UNKNOWN}"),
        (
            {"email": "not an address", "smtp": SMTP},
            "email: 'not an address' is not an e-mail address such as oncall@example.com",
        ),  # fmt: skip
        ({"email": "a@example.com\r\nBcc: b@example.com", "smtp": SMTP}, "is not an e-mail address"),
        ({"email": ["a@example.com", 7], "smtp": SMTP}, "email: 7 is not an e-mail address"),
        ({"email": [], "smtp": SMTP}, "email: must be an address or a list of addresses"),
        ({"email": {"to": "a@example.com"}, "smtp": SMTP}, "email: must be an address or a list of addresses"),
        ({"email": [f"p{n}@example.com" for n in range(51)], "smtp": SMTP}, "email: at most 50 addresses"),
        ({"email": "a" * 243 + "@example.com", "smtp": SMTP}, "is not an e-mail address"),  # 255 characters
        ({"email": "a@example.com"}, f"smtp: {SERVER}"),
        ({"email": "a@example.com", "smtp": "smtp.example.com"}, f"smtp: {SERVER}"),
        (
            {"email": "a@example.com", "smtp": {**SMTP, "security": "tls"}},
            "smtp.security: must be one of starttls, ssl, none, not 'tls'",
        ),  # fmt: skip
        ({"email": "a@example.com", "smtp": {**SMTP, "port": "587"}}, "smtp.port: must be a port number such as 587"),
        ({"email": "a@example.com", "smtp": {**SMTP, "port": True}}, "smtp.port: must be a port number"),
        ({"email": "a@example.com", "smtp": {**SMTP, "port": 0}}, "smtp.port: must be a port number"),
        ({"email": "a@example.com", "smtp": {**SMTP, "port": 65536}}, "smtp.port: must be a port number"),
        (
            {"email": "a@example.com", "smtp": {"host": "smtp.example.com"}},
            "smtp.from: must be the sender's address, such as incli@example.com",
        ),  # fmt: skip
        (
            {"email": "a@example.com", "smtp": {"from": "incli@example.com"}},
            "smtp.host: must be the SMTP server's host name",
        ),  # fmt: skip
        ({"email": "a@example.com", "smtp": {**SMTP, "host": " "}}, "smtp.host: must be the SMTP server's host name"),
        ({"email": "a@example.com", "smtp": {**SMTP, "host": "smtp example.com"}}, "smtp.host: must be the SMTP"),
        ({"email": "a@example.com", "smtp": {**SMTP, "host": "smtp\x7f.example.com"}}, "smtp.host: must be the SMTP"),
        ({"email": "a@example.com", "smtp": {**SMTP, "host": "smtp\n.example.com"}}, "smtp.host: must be the SMTP"),
        ({"email": "a@example.com", "smtp": {**SMTP, "password_env": "not a name"}}, f"smtp.password_env: {ENV}"),
        ({"email": "a@example.com", "smtp": {**SMTP, "username_env": "1ST"}}, f"smtp.username_env: {ENV}"),
        ({"email": "a@example.com", "smtp": SMTP, "format": "slack"}, "format applies to webhooks only"),
        ({"webhook": "https://x.example/", "email": "a@example.com"}, "exactly one of run, webhook or email"),
        ({"webhook": "https://x.example/", "routing_key": "k"}, "format: pagerduty only"),
        ({"webhook": "https://x.example/", "smtp": SMTP}, "smtp applies to email hooks only"),
    ],
)
def test_bad_notifier_settings_are_one_line_naming_the_key(hook: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        config_from_dict({"hooks": {"opened": [hook]}})
    assert message in str(info.value)
    if message.startswith(("email:", "smtp:", "smtp.")):  # the key path in full, then the reason
        assert str(info.value).startswith(f"hooks.opened[0].{message}")
    assert "\n" not in str(info.value)


def test_the_largest_settings_are_accepted() -> None:
    hook = {
        "email": [f"p{n}@example.com" for n in range(49)] + ["a" * 242 + "@example.com"],  # 50; 254 characters
        "smtp": {
            **SMTP,
            "host": " smtp.example.com ",
            "port": 65535,
            "from": " incli@example.com ",
            "username_env": "MY_USER",
            "password_env": "MY_PASS",
        },  # fmt: skip
    }
    (parsed,) = config_from_dict({"hooks": {"opened": [hook]}}).hooks["opened"]
    assert parsed.email is not None and len(parsed.email) == 50
    assert parsed.smtp == Smtp("smtp.example.com", 65535, "starttls", "incli@example.com", "MY_USER", "MY_PASS")
    (one,) = config_from_dict({"hooks": {"opened": [{"email": " a@example.com ", "smtp": {**SMTP, "port": 1}}]}}).hooks[
        "opened"
    ]
    assert one.email == ("a@example.com",) and one.smtp is not None and one.smtp.port == 1


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
