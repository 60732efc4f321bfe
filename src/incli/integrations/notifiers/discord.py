"""``format: discord``: a Discord webhook message: ``content`` (the text) and one embed with
the incident's title and its id, severity, status and the event as fields. Mentions in
incident text never ping anyone (``allowed_mentions`` is empty)."""

from __future__ import annotations

from typing import Any

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome, cut
from incli.integrations.notifiers.slack import encode
from incli.integrations.notifiers.webhook import post

NAME = "discord"
# Discord's limits: content 2000, embed title 256, description 4096, field value 1024.
MAX_CONTENT = 2000
COLOURS = {
    "opened": 0xD93F0B,
    "reopened": 0xD93F0B,
    "acknowledged": 0xFBCA04,
    "mitigated": 0x1D76DB,
    "resolved": 0x0E8A16,
}


def send(hook: Hook, delivery: Delivery) -> Outcome:
    return post(hook, encode(message(delivery)))


def message(delivery: Delivery) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": cut(delivery.field("title") or delivery.line, 256),
        "description": cut(delivery.text, 4096),
        "fields": [{"name": label, "value": cut(value, 1024), "inline": True} for label, value in delivery.facts()],
    }
    if delivery.event in COLOURS:
        embed["color"] = COLOURS[delivery.event]
    return {
        "content": cut(delivery.text, MAX_CONTENT),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }
