"""``format: slack``: a Slack incoming-webhook message ``{"text": ...}`` (Mattermost and
Rocket.Chat read the same shape)."""

from __future__ import annotations

import json

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome
from incli.integrations.notifiers.webhook import post

NAME = "slack"


def send(hook: Hook, delivery: Delivery) -> Outcome:
    body = {"text": _slack_escape(delivery.text)}
    return post(hook, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
