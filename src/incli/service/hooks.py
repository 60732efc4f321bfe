"""Notification hooks: run a command or POST a webhook when something happens.

Configured in incli.yaml::

    hooks:
      timeout: 10s                # default for every hook (10s when left out)
      opened:
        - run: [notify-send, "Incident opened"]   # argv as written; never a shell
        - webhook: https://hooks.slack.com/services/T000/B000/XXXX
          format: slack           # json (default) or slack
          timeout: 5s
      mitigated:
        - webhook: http://127.0.0.1:8080/incidents

Events are the timeline kinds (opened, acknowledged, mitigated, resolved,
reopened, note, update, severity_changed, assigned), the ones other features emit
(postmortem_published) and the ones ``inc remind`` and ``inc watch`` fire
(ack_overdue, update_overdue, action_overdue, rule_triggered). Any event name is
accepted, so a feature added later needs no change here.

A ``run`` hook gets the incident as JSON on stdin and INC_ID, INC_EVENT,
INC_SEVERITY, INC_STATUS, INC_TITLE and INC_DIR in its environment; incident text
never goes into its command line. A ``webhook`` gets a POST: ``{"event": ...,
"incident": {...}}`` (json) or ``{"text": ...}`` (a Slack incoming-webhook message).

A hook that fails (non-zero exit, timeout, HTTP error, unreachable) is a warning:
the incident was saved before hooks run and stays saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incli.domain.config import Config
from incli.domain.model import Incident
from incli.domain.rules import command_arg
from incli.domain.times import parse_duration
from incli.errors import InvalidInput

DEFAULT_TIMEOUT = 10.0
FORMATS = ("json", "slack")
DEPTH_VAR = "INC_HOOK_DEPTH"
MAX_DEPTH = 2  # a hook that runs inc, whose hooks run inc, ...: stop there

EVENT_PHRASES = {
    "opened": "opened",
    "acknowledged": "acknowledged",
    "mitigated": "mitigated",
    "resolved": "resolved",
    "reopened": "reopened",
    "note": "note",
    "update": "status update",
    "severity_changed": "severity changed",
    "assigned": "role assigned",
    "postmortem_published": "postmortem published",
    "ack_overdue": "acknowledgement overdue",
    "update_overdue": "stakeholder update overdue",
    "action_overdue": "action item overdue",
    "rule_triggered": "rule triggered",
}


@dataclass(frozen=True)
class Hook:
    event: str
    index: int
    run: tuple[str, ...] | None = None
    webhook: str | None = None
    format: str = "json"
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        if self.run is not None:
            return f"hooks.{self.event}[{self.index}] (run {self.run[0]})"
        return f"hooks.{self.event}[{self.index}] (webhook {self.webhook})"


@dataclass(frozen=True)
class Outcome:
    hook: Hook
    ok: bool
    detail: str


def _timeout(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise InvalidInput(f"{where}: timeout must be a duration such as 10s")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            # A bare number is seconds here (parse_duration reads it as minutes).
            seconds = float(text) if text.replace(".", "", 1).isdigit() else parse_duration(text).total_seconds()
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc}") from None
    if seconds <= 0:
        raise InvalidInput(f"{where}: timeout must be more than zero")
    return seconds


def parse_hooks(config: Config, where: str = "incli.yaml") -> dict[str, list[Hook]]:
    """The ``hooks:`` section, checked; InvalidInput names the first problem in one line."""
    raw = config.section("hooks")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: 'hooks' must map event names to lists of hooks")
    default = _timeout(raw["timeout"], f"{where}: hooks.timeout") if "timeout" in raw else DEFAULT_TIMEOUT
    found: dict[str, list[Hook]] = {}
    for event, items in raw.items():
        if event == "timeout" or items is None:
            continue
        event = str(event)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise InvalidInput(f"{where}: hooks.{event} must be a list of hooks ({{run: [...]}} or {{webhook: URL}})")
        hooks = []
        for index, item in enumerate(items):
            hooks.append(_hook(event, index, item, default, f"{where}: hooks.{event}[{index}]"))
        found[event] = hooks
    return found


def _hook(event: str, index: int, item: Any, default: float, where: str) -> Hook:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where}: expected {{run: [argv...]}} or {{webhook: URL, format: json|slack}}")
    unknown = set(item) - {"run", "webhook", "format", "timeout"}
    if unknown:
        raise InvalidInput(f"{where}: unknown key {sorted(unknown)[0]!r}; use run or webhook, format, timeout")
    if ("run" in item) == ("webhook" in item):
        raise InvalidInput(f"{where}: give exactly one of run or webhook")
    timeout = _timeout(item["timeout"], where) if "timeout" in item else default
    if "run" in item:
        argv = item["run"]
        if isinstance(argv, str):
            raise InvalidInput(
                f"{where}: run must be a list of arguments such as [notify-send, Incident] (incli never runs a shell)"
            )
        if not isinstance(argv, list) or not argv or not all(isinstance(a, (str, int, float)) for a in argv):
            raise InvalidInput(f"{where}: run must be a non-empty list of arguments")
        if "format" in item:
            raise InvalidInput(f"{where}: format applies to webhooks only")
        return Hook(event, index, run=tuple(command_arg(a) for a in argv), timeout=timeout)
    url = item["webhook"]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{where}: webhook must be an http:// or https:// URL")
    fmt = item.get("format", "json")
    if fmt not in FORMATS:
        raise InvalidInput(f"{where}: format must be json or slack, not {fmt!r}")
    return Hook(event, index, webhook=url, format=fmt, timeout=timeout)


# -- what hooks receive --------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(event: str, incident: Incident | None, extra: Mapping[str, Any]) -> str:
    """One line for people: what happened to which incident."""
    phrase = EVENT_PHRASES.get(event, event.replace("_", " "))
    if event == "rule_triggered" and "rule" in extra:
        rule = extra["rule"]
        head = (
            f"Rule {rule.get('name')} triggered: {rule.get('metric')} = {extra.get('value')} "
            f"{rule.get('op')} {rule.get('threshold')}"
        )
        return head + (f" ({incident.id})" if incident else "")
    if incident is None:
        return f"{phrase}"
    text = f"[{incident.severity}] {incident.id} {phrase}: {incident.title}"
    if incident.service:
        text += f" ({incident.service})"
    if event == "action_overdue" and "action" in extra:
        action = extra["action"]
        owner = f", owner {action.get('owner')}" if action.get("owner") else ""
        text += f'. Action {action.get("id")} "{action.get("title")}" was due {action.get("due")}{owner}'
    elif "due_at" in extra:
        text += f" (due {extra['due_at']})"
    else:
        entry = incident.last_entry(event)
        if entry is not None and event in ("note", "update", "severity_changed", "assigned") and entry.text:
            text += f". {entry.text}"
    return text


def webhook_body(hook: Hook, event: str, incident: Incident | None, extra: Mapping[str, Any]) -> bytes:
    if hook.format == "slack":
        body: dict[str, Any] = {"text": _slack_escape(message(event, incident, extra))}
    else:
        body = {"event": event, "incident": incident.to_json() if incident else None, **extra}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def hook_env(event: str, incident: Incident | None, root: Path, env: Mapping[str, str]) -> dict[str, str]:
    # Never hand the ingest endpoint's secret to hook commands.
    result = {k: v for k, v in os.environ.items() if k != "INC_INGEST_TOKEN"}
    result.update(
        {
            "INC_EVENT": event,
            "INC_DIR": str(root),
            "INC_ID": incident.id if incident else "",
            "INC_SEVERITY": incident.severity if incident else "",
            "INC_STATUS": incident.status if incident else "",
            "INC_TITLE": incident.title if incident else "",
            DEPTH_VAR: str(_depth() + 1),
        }
    )
    result.update(env)
    return result


def _depth() -> int:
    try:
        return int(os.environ.get(DEPTH_VAR, "0"))
    except ValueError:
        return 0


# -- running them --------------------------------------------------------------


def run_command(hook: Hook, stdin: bytes, env: dict[str, str], cwd: Path) -> Outcome:
    import signal
    import subprocess

    assert hook.run is not None
    try:
        proc = subprocess.Popen(
            list(hook.run),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills what it started too
        )
    except FileNotFoundError:
        return Outcome(hook, False, f"command not found: {hook.run[0]}")
    except OSError as exc:
        return Outcome(hook, False, f"cannot run {hook.run[0]}: {exc.strerror or exc}")
    try:
        _out, err = proc.communicate(stdin, timeout=hook.timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
        proc.communicate()
        return Outcome(hook, False, f"timed out after {hook.timeout:g}s and was stopped")
    if proc.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()
        why = f": {last[-1][:200]}" if last else ""
        return Outcome(hook, False, f"exited with status {proc.returncode}{why}")
    return Outcome(hook, True, "ran")


def post(hook: Hook, body: bytes) -> Outcome:
    import urllib.error
    import urllib.parse
    import urllib.request

    from incli import __version__

    assert hook.webhook is not None
    request = urllib.request.Request(
        hook.webhook,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"incli/{__version__}"},
    )
    host = (urllib.parse.urlsplit(hook.webhook).hostname or "").lower()
    # Loopback never goes through a proxy (HTTP_PROXY may be set for the outside world).
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback else urllib.request.build_opener()
    try:
        with opener.open(request, timeout=hook.timeout) as response:
            response.read(65536)
            status = response.status
    except urllib.error.HTTPError as exc:
        return Outcome(hook, False, f"HTTP {exc.code} {exc.reason}")
    except urllib.error.URLError as exc:
        return Outcome(hook, False, f"unreachable: {exc.reason}")
    except TimeoutError:
        return Outcome(hook, False, f"no answer within {hook.timeout:g}s")
    except OSError as exc:
        return Outcome(hook, False, f"failed: {exc}")
    return Outcome(hook, True, f"HTTP {status}")


class Hooks:
    """Fires the configured hooks; usable as a Service listener.

    ``warn`` receives one line per failing hook. A broken ``hooks:`` section is
    reported once through ``warn`` and no hook runs (the write itself stands).
    """

    def __init__(self, config: Config, root: Path, warn: Callable[[str], None]) -> None:
        self.config = config
        self.root = root
        self.warn = warn
        self._hooks: dict[str, list[Hook]] | None = None

    def hooks(self) -> dict[str, list[Hook]]:
        if self._hooks is None:
            try:
                self._hooks = parse_hooks(self.config)
            except InvalidInput as exc:
                self.warn(f"no hooks run: {exc}")
                self._hooks = {}
        return self._hooks

    def for_event(self, event: str) -> list[Hook]:
        return self.hooks().get(event, [])

    def __call__(self, event: str, incident: Incident, paths: list[Path]) -> None:
        self.fire(event, incident)

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
        outcomes = []
        for hook in hooks:
            if hook.run is not None:
                outcome = run_command(hook, stdin_bytes, hook_env(event, incident, self.root, env or {}), self.root)
            else:
                outcome = post(hook, webhook_body(hook, event, incident, extra))
            if not outcome.ok:
                about = f" on {incident.id}" if incident else ""
                saved = "; the incident is saved" if incident else ""
                self.warn(f"hook {hook.describe()} for {event}{about} failed: {outcome.detail}{saved}")
            outcomes.append(outcome)
        return outcomes
