"""``format: googlechat``: a Google Chat incoming webhook message: ``text`` and one card
(``cardsV2``) whose header is the incident's title and whose widgets are its id, severity,
status and the event. Card text reads a little HTML, so every value there is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome, cut
from incli.integrations.notifiers.slack import encode
from incli.integrations.notifiers.webhook import post

NAME = "googlechat"
MAX_TEXT = 4000


def send(hook: Hook, delivery: Delivery) -> Outcome:
    return post(hook, encode(message(delivery)))


def _text(text: str) -> str:
    """Chat's text reads ``<users/all>`` as a mention of everyone: angle brackets become lookalikes."""
    return text.replace("<", "\u2039").replace(">", "\u203a")


def message(delivery: Delivery) -> dict[str, Any]:
    ident = delivery.field("id") or delivery.event
    widgets = [
        {"decoratedText": {"topLabel": label, "text": escape(cut(value, 1000))}} for label, value in delivery.facts()
    ]
    widgets.append({"textParagraph": {"text": escape(cut(delivery.text, MAX_TEXT))}})
    header = {"title": cut(delivery.field("title") or delivery.line, 200)}
    if delivery.field("id"):
        header["subtitle"] = " \u00b7 ".join(v for v in (delivery.field("id"), delivery.field("severity")) if v)
    return {
        "text": _text(cut(delivery.text, MAX_TEXT)),
        "cardsV2": [{"cardId": f"incli-{ident}", "card": {"header": header, "sections": [{"widgets": widgets}]}}],
    }
