"""``format: slack``: a Slack incoming-webhook message ``{"text": ...}``."""

from __future__ import annotations

import json
import re

from incli.domain.hooks import Hook
from incli.integrations.notifiers import Delivery, Outcome, cut
from incli.integrations.notifiers.webhook import post

NAME = "slack"
MAX_TEXT = 3000  # Slack shortens longer messages; Mattermost and Rocket.Chat take this too

# Mentions that page a whole channel when typed as plain words (Mattermost, Rocket.Chat).
_MENTIONS = re.compile(r"@(channel|here|all|everyone)\b", re.IGNORECASE)


def send(hook: Hook, delivery: Delivery) -> Outcome:
    return post(hook, encode(message(delivery)))


def message(delivery: Delivery) -> dict[str, str]:
    """The Slack-compatible body: the text escaped (``<!channel>``, links and mentions in
    incident text stay text) and at most MAX_TEXT characters."""
    return {"text": cut(escape(delivery.text), MAX_TEXT)}


def escape(text: str) -> str:
    """Slack's three escapes; a ``@channel`` word in the text is broken with a zero-width space."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MENTIONS.sub("@\u200b\\1", text)


def encode(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
