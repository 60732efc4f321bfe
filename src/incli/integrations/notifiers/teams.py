"""``format: teams``: Microsoft Teams through a Workflows (Power Automate) webhook.

The body is a ``message`` with one attachment of contentType
``application/vnd.microsoft.card.adaptive`` whose content is an Adaptive Card: the
incident's title, the message text, and the incident's id, severity, status and the
event as facts (Office 365 connectors and their MessageCard are retired).
"""

from __future__ import annotations

from typing import Any

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome, cut
from incli.integrations.notifiers.slack import encode
from incli.integrations.notifiers.webhook import post

NAME = "teams"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.4"
MAX_TEXT = 8000


def send(hook: Hook, delivery: Delivery) -> Outcome:
    return post(hook, encode(message(delivery)))


def _plain(text: str) -> str:
    """Adaptive Card text reads a little Markdown: a ``[text](url)`` in incident text would be
    a link under words of its author's choosing, so it is broken with a zero-width space."""
    return text.replace("](", "]\u200b(")


def card(delivery: Delivery) -> dict[str, Any]:
    title = delivery.field("title") or delivery.line
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _plain(cut(title, 500)), "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": _plain(cut(delivery.text, MAX_TEXT)), "wrap": True},
    ]
    facts = [{"title": label, "value": _plain(value)} for label, value in delivery.facts()]
    if facts:
        body.append({"type": "FactSet", "facts": facts})
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }


def message(delivery: Delivery) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card(delivery)}],
    }
