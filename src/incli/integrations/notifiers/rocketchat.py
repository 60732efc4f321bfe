"""``format: rocketchat``: a Rocket.Chat incoming webhook, which reads Slack's ``{"text": ...}``."""

from __future__ import annotations

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome
from incli.integrations.notifiers.slack import encode, message
from incli.integrations.notifiers.webhook import post

NAME = "rocketchat"


def send(hook: Hook, delivery: Delivery) -> Outcome:
    return post(hook, encode(message(delivery)))
