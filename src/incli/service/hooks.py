"""Notification hooks: fire the configured notifiers when something happens.

The ``hooks:`` section of incli.yaml is read by ``incli.domain.hooks`` (its docstring
shows the shape); each hook is delivered by a notifier in ``incli.integrations.notifiers``.

Events are the timeline kinds (opened, acknowledged, mitigated, resolved,
reopened, note, update, severity_changed, assigned), the ones other features emit
(postmortem_published) and the ones ``inc remind`` and ``inc watch`` fire
(ack_overdue, update_overdue, action_overdue, rule_triggered), the on-call ones
(page, escalated: service/paging.py; handoff: service/oncall.py), and edited and
imported (inc edit, inc import: a batch, with no incident). Any event name is
accepted, so a feature added later needs no change here.

A ``run`` hook gets the incident as JSON on stdin and INC_ID, INC_EVENT,
INC_SEVERITY, INC_STATUS, INC_TITLE and INC_DIR in its environment; incident text
never goes into its command line. Environment values are made safe (``env_value``:
no NUL or other control characters, at most 4096 characters); stdin has the exact text.
A ``webhook`` gets a POST: ``{"event": ..., "incident": {...}}`` (json) or
``{"text": ...}`` (a Slack incoming-webhook message).

A hook that fails (non-zero exit, timeout, HTTP error, unreachable) is a warning:
the incident was saved before hooks run and stays saved.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from incli.domain.config import Config
from incli.domain.hooks import Hook, message
from incli.domain.model import Incident
from incli.integrations.notifiers import Delivery, Outcome, notifier_for

DEPTH_VAR = "INC_HOOK_DEPTH"
MAX_DEPTH = 2  # a hook that runs inc, whose hooks run inc, ...: stop there


MAX_ENV_CHARS = 4096  # an alert's text can be any length; an environment cannot
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def env_value(text: str) -> str:
    """Text safe for an environment variable: the OS refuses NUL, so control characters
    (NUL, newlines, escapes; tab is kept) become a space, a lone surrogate becomes U+FFFD,
    and it is cut to MAX_ENV_CHARS. The exact text is in the JSON on stdin."""
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text))
    return text if len(text) <= MAX_ENV_CHARS else text[: MAX_ENV_CHARS - 1] + "\u2026"


def _env_name(name: str) -> bool:
    return bool(name) and "=" not in name and env_value(name) == name


def hook_env(event: str, incident: Incident | None, root: Path, env: Mapping[str, str]) -> dict[str, str]:
    # Never hand the ingest endpoint's secret to hook commands.
    result = {k: v for k, v in os.environ.items() if k != "INC_INGEST_TOKEN"}
    ours = {
        "INC_EVENT": event,
        "INC_DIR": str(root),
        "INC_ID": incident.id if incident else "",
        "INC_SEVERITY": incident.severity if incident else "",
        "INC_STATUS": incident.status if incident else "",
        "INC_TITLE": incident.title if incident else "",
        DEPTH_VAR: str(_depth() + 1),
        **env,
    }
    result.update({name: env_value(str(value)) for name, value in ours.items() if _env_name(name)})
    return result


def _depth() -> int:
    try:
        return int(os.environ.get(DEPTH_VAR, "0"))
    except ValueError:
        return 0


class Hooks:
    """Fires the configured hooks; usable as a Service listener.

    ``warn`` receives one line per failing hook (the write itself stands).
    """

    def __init__(self, config: Config, root: Path, warn: Callable[[str], None]) -> None:
        self.config = config
        self.root = root
        self.warn = warn

    def for_event(self, event: str) -> list[Hook]:
        return self.config.hooks.get(event, [])

    def __call__(self, event: str, incident: Incident | None, paths: list[Path]) -> None:
        self.fire(event, incident, None if incident is not None else {"count": len(paths)})

    def fire(
        self,
        event: str,
        incident: Incident | None,
        extra: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        stdin: Any = None,
    ) -> list[Outcome]:
        """Run every hook for ``event``; failures are warned about and returned."""
        hooks = self.for_event(event)
        if not hooks:
            return []
        if _depth() >= MAX_DEPTH:
            self.warn(f"{event} hooks not run: called from a hook {_depth()} levels deep")
            return []
        extra = dict(extra or {})
        data = stdin if stdin is not None else (incident.to_json() if incident else extra)
        stdin_bytes = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        delivery = Delivery(
            event=event,
            incident=incident.to_json() if incident else None,
            text=message(event, incident, extra),
            extra=extra,
            stdin=stdin_bytes,
            env=hook_env(event, incident, self.root, env or {}),
            cwd=self.root,
        )
        outcomes = []
        for hook in hooks:
            try:
                outcome = notifier_for(hook).send(hook, delivery)
            except Exception as exc:  # a notifier's bug is this hook's failure, never the next hook's
                outcome = Outcome(hook, False, f"{type(exc).__name__}: {exc}")
            if not outcome.ok:
                about = f" on {incident.id}" if incident else ""
                saved = "; the incident is saved" if incident else ""
                self.warn(f"hook {hook.describe()} for {event}{about} failed: {outcome.detail}{saved}")
            outcomes.append(outcome)
        return outcomes
