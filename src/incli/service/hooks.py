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

Other formats (teams, mattermost, rocketchat, discord, googlechat, pagerduty) and the
``email`` hook are notifiers of their own (``incli.integrations.notifiers``). The
message every notifier sends is rendered from a template (``render.notify_text``):
``templates/notify/EVENT.txt.j2`` or ``templates/notify/default.txt.j2`` in the
repository, else the built-in one (the one-line headline). A broken repository
template is one warning, and the built-in one is used.

A hook that fails (non-zero exit, timeout, HTTP error, unreachable) is a warning:
the incident was saved before hooks run and stays saved. A failing delivery of a
write's event is kept in ``.incli/pending-hooks.json`` (at most MAX_PENDING, each tried
at most MAX_ATTEMPTS times) and ``inc remind`` retries it on its next run
(``retry_pending``), to the same hook only (see ``Hook.fingerprint``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incli.domain.config import Config
from incli.domain.hooks import Hook, message, template_data
from incli.domain.model import Incident
from incli.domain.times import to_iso
from incli.errors import InvalidInput
from incli.integrations.notifiers import Delivery, Outcome, notifier_for
from incli.storage.repo import Repository

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


def hook_env(
    event: str, incident: Incident | Mapping[str, Any] | None, root: Path, env: Mapping[str, str]
) -> dict[str, str]:
    """The environment of a ``run`` hook; ``incident`` is the incident or its --json form."""
    # Never hand the ingest endpoint's secret to hook commands.
    result = {k: v for k, v in os.environ.items() if k != "INC_INGEST_TOKEN"}
    data = incident.to_json() if isinstance(incident, Incident) else dict(incident or {})
    ours = {
        "INC_EVENT": event,
        "INC_DIR": str(root),
        "INC_ID": str(data.get("id") or ""),
        "INC_SEVERITY": str(data.get("severity") or ""),
        "INC_STATUS": str(data.get("status") or ""),
        "INC_TITLE": str(data.get("title") or ""),
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


PENDING = "pending-hooks"  # .incli/pending-hooks.json: deliveries that failed, for inc remind
MAX_PENDING = 100
MAX_ATTEMPTS = 24
MAX_PENDING_BYTES = 512 * 1024  # one kept delivery; a larger one is not kept


@dataclass(frozen=True)
class Retried:
    """One kept delivery that ``inc remind`` tried again."""

    hook: str  # Hook.describe()
    event: str
    incident: str  # its id, or ""
    ok: bool
    detail: str

    def line(self) -> str:
        about = f" on {self.incident}" if self.incident else ""
        return f"retried {self.event}{about} to {self.hook}: {self.detail}"


class Hooks:
    """Fires the configured hooks; usable as a Service listener.

    ``warn`` receives one line per failing hook (the write itself stands). Given
    ``repo``, a failing delivery of a write's event is kept for ``retry_pending``.
    """

    def __init__(self, config: Config, root: Path, warn: Callable[[str], None], repo: Repository | None = None) -> None:
        self.config = config
        self.root = root
        self.warn = warn
        self.repo = repo

    @property
    def templates(self) -> Path:
        return self.repo.templates_dir if self.repo is not None else self.root / self.config.templates_dir

    def for_event(self, event: str) -> list[Hook]:
        return self.config.hooks.get(event, [])

    def __call__(self, event: str, incident: Incident | None, paths: list[Path]) -> None:
        self.fire(event, incident, None if incident is not None else {"count": len(paths)}, keep_failed=True)

    def text(self, event: str, incident: Incident | None, extra: Mapping[str, Any]) -> str:
        """The message for ``event``: the repository's template, else the built-in one."""
        from incli import render

        data = template_data(event, incident, extra)
        try:
            return render.notify_text(event, data, self.templates)
        except InvalidInput as exc:
            self.warn(f"{exc.message}; the built-in message is sent instead")
        return render.notify_text(event, data, None)

    def fire(
        self,
        event: str,
        incident: Incident | None,
        extra: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        stdin: Any = None,
        keep_failed: bool = False,
    ) -> list[Outcome]:
        """Run every hook for ``event``; failures are warned about and returned (and, with
        ``keep_failed``, kept for ``retry_pending``)."""
        hooks = self.for_event(event)
        if not hooks:
            return []
        if _depth() >= MAX_DEPTH:
            self.warn(f"{event} hooks not run: called from a hook {_depth()} levels deep")
            return []
        extra = dict(extra or {})
        data = stdin if stdin is not None else (incident.to_json() if incident else extra)
        kept = {
            "event": event,
            "incident": incident.to_json() if incident else None,
            "text": self.text(event, incident, extra),
            "headline": message(event, incident, extra),
            "extra": extra,
            "env": dict(env or {}),
            "stdin": data,
        }
        delivery = self._delivery(kept)
        outcomes = []
        failed: list[Hook] = []
        for hook in hooks:
            outcome = self._send(hook, delivery)
            if not outcome.ok:
                about = f" on {incident.id}" if incident else ""
                saved = "; the incident is saved" if incident else ""
                retry = "; inc remind retries it" if keep_failed and self.repo is not None else ""
                self.warn(f"hook {hook.describe()} for {event}{about} failed: {outcome.detail}{saved}{retry}")
                failed.append(hook)
            outcomes.append(outcome)
        if failed and keep_failed and self.repo is not None:
            self._keep(failed, kept, outcomes)
        return outcomes

    def _delivery(self, kept: Mapping[str, Any]) -> Delivery:
        stdin_bytes = json.dumps(kept["stdin"], ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        return Delivery(
            event=kept["event"],
            incident=kept["incident"],
            text=kept["text"],
            headline=kept["headline"],
            extra=kept["extra"],
            stdin=stdin_bytes,
            env=hook_env(kept["event"], kept["incident"], self.root, kept["env"]),
            cwd=self.root,
        )

    @staticmethod
    def _send(hook: Hook, delivery: Delivery) -> Outcome:
        try:
            return notifier_for(hook).send(hook, delivery)
        except Exception as exc:  # a notifier's bug is this hook's failure, never the next hook's
            return Outcome(hook, False, f"{type(exc).__name__}: {exc}")

    # -- failed deliveries, kept for inc remind ---------------------------------

    def _keep(self, failed: list[Hook], kept: dict[str, Any], outcomes: list[Outcome]) -> None:
        from incli.storage import statefile

        assert self.repo is not None
        now = to_iso(datetime.now(UTC))
        details = {o.hook: o.detail for o in outcomes}
        entries = []
        for hook in failed:
            entry = {
                **kept,
                "hook": hook.describe(),
                "fingerprint": hook.fingerprint(),
                "index": hook.index,
                "failed_at": now,
                "attempts": 1,
                "detail": details.get(hook, ""),
            }
            encoded = json.dumps(entry, ensure_ascii=False, sort_keys=True)
            if len(encoded.encode("utf-8")) > MAX_PENDING_BYTES:
                self.warn(f"hook {hook.describe()} for {kept['event']}: too large to keep for a retry")
                continue
            entry["id"] = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]
            entries.append(entry)
        if not entries:
            return
        try:
            with statefile.held(self.repo, PENDING) as path:
                pending = _entries(statefile.load(path))
                pending.extend(entries)
                if len(pending) > MAX_PENDING:
                    dropped = len(pending) - MAX_PENDING
                    self.warn(f"{dropped} older failed deliveries dropped: at most {MAX_PENDING} are kept for a retry")
                    pending = pending[dropped:]
                statefile.save(path, {"pending": pending})
        except Exception as exc:  # noqa: BLE001 - keeping a retry must never fail the command
            self.warn(f"cannot keep the failed delivery for a retry: {exc}")

    def pending(self) -> list[dict[str, Any]]:
        """The deliveries kept for a retry, oldest first."""
        from incli.storage import statefile

        if self.repo is None:
            return []
        return _entries(statefile.load(self.repo.state_dir / f"{PENDING}.json"))

    def retry_pending(self) -> list[Retried]:
        """Try every kept delivery once more, oldest first, to the hook it failed on; a delivered
        one is forgotten, a failing one kept (until MAX_ATTEMPTS), one whose hook is gone dropped.
        Sending happens outside the lock; results are merged back under it."""
        from incli.storage import statefile

        if self.repo is None or not self.pending():
            return []
        with statefile.held(self.repo, PENDING) as path:
            taken = _entries(statefile.load(path))
        results: list[Retried] = []
        done: set[str] = set()
        retried: dict[str, dict[str, Any]] = {}
        for entry in taken:
            hook = next(
                (h for h in self.for_event(str(entry.get("event"))) if h.fingerprint() == entry.get("fingerprint")),
                None,
            )
            ident = str((entry.get("incident") or {}).get("id") or "")
            if hook is None:
                done.add(entry["id"])
                results.append(
                    Retried(
                        str(entry.get("hook")),
                        str(entry.get("event")),
                        ident,
                        False,
                        "dropped: the hook is no longer configured",
                    )
                )
                continue
            try:
                delivery = self._delivery(entry)
            except (KeyError, TypeError, ValueError):
                done.add(entry["id"])
                results.append(Retried(hook.describe(), str(entry.get("event")), ident, False, "dropped: unreadable"))
                continue
            outcome = self._send(hook, delivery)
            if outcome.ok:
                done.add(entry["id"])
                results.append(Retried(hook.describe(), delivery.event, ident, True, f"delivered ({outcome.detail})"))
                continue
            attempts = int(entry.get("attempts") or 1) + 1
            if attempts >= MAX_ATTEMPTS:
                done.add(entry["id"])
                detail = f"failed {attempts} times, given up: {outcome.detail}"
            else:
                retried[entry["id"]] = {**entry, "attempts": attempts, "detail": outcome.detail}
                detail = f"failed again ({outcome.detail}); kept for the next run"
            self.warn(f"hook {hook.describe()} for {delivery.event}{f' on {ident}' if ident else ''}: {detail}")
            results.append(Retried(hook.describe(), delivery.event, ident, False, detail))
        with statefile.held(self.repo, PENDING) as path:
            current = _entries(statefile.load(path))
            merged = [retried.get(e["id"], e) for e in current if e["id"] not in done]
            statefile.save(path, {"pending": merged})
        return results


def _entries(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    items = data.get("pending")
    if not isinstance(items, list):
        return []
    return [e for e in items if isinstance(e, dict) and isinstance(e.get("id"), str)]
