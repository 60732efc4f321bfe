"""``inc watch``: apply the prevention rules to current metric values.

- action ``open`` opens an incident, once while one opened by the rule is active
  (``source: {kind: rule, rule: NAME, ...}``); its ``opened`` hooks fire as usual.
- action ``notify`` fires the ``rule_triggered`` hooks; ``run`` runs the rule's
  own command (argv, no shell; INC_RULE, INC_METRIC, INC_VALUE, INC_THRESHOLD,
  INC_OP, INC_LABELS in its environment, the evaluation as JSON on stdin).
  Both act once per breach: again only after the rule has been seen below its
  threshold (``repeat: true`` acts on every run). Which rules are in breach is
  remembered in ``.incli/rules.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incli.domain.alertgroup import source_of
from incli.domain.hooks import Hook
from incli.domain.model import Incident, TimelineEntry
from incli.domain.rules import Evaluation, Rule, Sample, evaluate, format_value, number
from incli.domain.times import to_iso
from incli.errors import InvalidInput
from incli.integrations.notifiers.command import run_command
from incli.service.hooks import Hooks, hook_env
from incli.service.incidents import Service
from incli.storage import statefile

EVENT = "rule_triggered"
ACTOR = "inc watch"


@dataclass
class RuleReport:
    """What inc watch did for one rule."""

    evaluation: Evaluation
    outcome: str
    incident_id: str | None = None

    @property
    def rule(self) -> Rule:
        return self.evaluation.rule

    def line(self) -> str:
        return f"{self.rule.name}: {self.evaluation.describe()} -> {self.outcome}"

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.to_json(),
            "status": self.evaluation.status,
            "crossing": [s.to_json() for s in self.evaluation.crossing],
            "outcome": self.outcome,
            "incident": self.incident_id,
        }


def _payload(ev: Evaluation) -> dict[str, Any]:
    worst = ev.worst()
    return {
        "rule": ev.rule.to_json(),
        "value": number(worst.value) if worst else None,
        "crossing": [s.to_json() for s in ev.crossing],
    }


def _env(ev: Evaluation) -> dict[str, str]:
    worst = ev.worst()
    return {
        "INC_RULE": ev.rule.name,
        "INC_METRIC": ev.rule.metric,
        "INC_VALUE": format_value(worst.value) if worst else "",
        "INC_THRESHOLD": format_value(ev.rule.threshold),
        "INC_OP": ev.rule.op,
        "INC_LABELS": json.dumps(worst.labels if worst else {}, sort_keys=True),
    }


def _rule_incidents(svc: Service) -> dict[str, Incident]:
    found: dict[str, Incident] = {}
    for incident in svc.store.load_all():
        source = source_of(incident)
        if incident.active and source.get("kind") == "rule" and isinstance(source.get("rule"), str):
            found[source["rule"]] = incident
    return found


def _new_incident(svc: Service, ev: Evaluation) -> Incident:
    rule = ev.rule
    worst = ev.worst()
    assert worst is not None and rule.severity is not None
    now = svc.now()
    title = (
        rule.title
        or f"{rule.name}: {worst.selector()} = {format_value(worst.value)} {rule.op} {format_value(rule.threshold)}"
    )
    incident = Incident(
        id="",
        title=title,
        severity=rule.severity,
        opened_at=now,
        started_at=now,
        detected_at=now,
        service=rule.service or worst.labels.get("service") or None,
        summary=f"Rule {rule.name} ({rule.metric} {rule.op} {format_value(rule.threshold)}): {ev.describe()}",
        extra={
            "source": {
                "kind": "rule",
                "rule": rule.name,
                "metric": rule.metric,
                "op": rule.op,
                "threshold": format_value(rule.threshold),
                "value": format_value(worst.value),
                "labels": dict(worst.labels),
            },
            # The rule saw the breach now (detection); when the impact began nobody knows.
            "assumed": ["started_at"],
        },
    )
    incident.add_entry(
        TimelineEntry(
            at=now, kind="opened", by=ACTOR, text=f"Opened as {rule.severity} by rule {rule.name}: {ev.describe()}"
        )
    )  # noqa: E501
    return incident


def watch(svc: Service, hooks: Hooks, samples: list[Sample], dry_run: bool = False) -> list[RuleReport]:
    rules = svc.config.rules
    if not rules:
        raise InvalidInput("no rules in incli.yaml; add a rules: section (see README: Alerts, rules and notifications)")
    evaluations = [evaluate(rule, samples) for rule in rules]
    if dry_run:
        return _dry_run(svc, hooks, evaluations)
    reports: dict[str, RuleReport] = {}
    events: list[tuple[str, Incident, list[Path]]] = []
    with statefile.held(svc.repo, "rules") as state_path:
        state = statefile.load(state_path)
        known = state.get("breached") if isinstance(state.get("breached"), dict) else {}
        # Rules removed or renamed since are forgotten.
        breached: dict[str, Any] = {k: v for k, v in (known or {}).items() if k in {r.name for r in rules}}
        opening = [ev for ev in evaluations if ev.rule.action == "open" and ev.status == "firing"]
        if opening:
            with svc.store.locked():
                active = _rule_incidents(svc)
                for ev in opening:
                    existing = active.get(ev.rule.name)
                    if existing is not None:
                        reports[ev.rule.name] = RuleReport(ev, f"already open: {existing.id}", existing.id)
                        continue
                    incident = _new_incident(svc, ev)
                    path = svc.store.create(incident)
                    assert path is not None
                    events.append(("opened", incident, [path]))
                    reports[ev.rule.name] = RuleReport(ev, f"opened {incident.id} ({incident.severity})", incident.id)
        for ev in evaluations:
            rule = ev.rule
            if ev.status == "ok":
                breached.pop(rule.name, None)
            if rule.name in reports:
                continue
            if ev.status != "firing":
                reports[rule.name] = RuleReport(ev, "ok" if ev.status == "ok" else "skipped")
                continue
            if rule.name in breached and not rule.repeat:
                since = breached[rule.name].get("since", "?")
                reports[rule.name] = RuleReport(
                    ev, f"already {'notified' if rule.action == 'notify' else 'ran'} for this breach (since {since})"
                )
                continue
            outcome, ok = _act(svc, hooks, ev)
            if ok:
                breached[rule.name] = {"since": to_iso(svc.now()), "value": _payload(ev)["value"]}
            reports[rule.name] = RuleReport(ev, outcome)
        state["breached"] = breached
        statefile.save(state_path, state)
    for event in events:
        svc.emit(*event)
    return [reports[rule.name] for rule in rules]


def _act(svc: Service, hooks: Hooks, ev: Evaluation) -> tuple[str, bool]:
    rule = ev.rule
    if rule.action == "notify":
        configured = hooks.for_event(EVENT)
        if not configured:
            return f"no hooks configured for {EVENT}", False
        outcomes = hooks.fire(EVENT, None, extra=_payload(ev), env=_env(ev))
        failed = [o for o in outcomes if not o.ok]
        if failed:
            return f"notified: {len(outcomes) - len(failed)} of {len(outcomes)} hooks ran", False
        return f"notified ({len(outcomes)} hook{'s' if len(outcomes) != 1 else ''})", True
    assert rule.run is not None
    hook = Hook(f"rules.{rule.name}", 0, run=rule.run, timeout=rule.timeout)
    stdin = (json.dumps(_payload(ev), indent=2) + "\n").encode("utf-8")
    outcome = run_command(hook, stdin, hook_env(EVENT, None, svc.repo.root, _env(ev)), svc.repo.root)
    if not outcome.ok:
        hooks.warn(f"rule {rule.name}: {rule.run[0]} {outcome.detail}")
        return f"run failed: {outcome.detail}", False
    return f"ran {rule.run[0]}", True


def _dry_run(svc: Service, hooks: Hooks, evaluations: list[Evaluation]) -> list[RuleReport]:
    active = _rule_incidents(svc)
    state = statefile.load(svc.repo.state_dir / "rules.json")
    breached = state.get("breached") if isinstance(state.get("breached"), dict) else {}
    reports = []
    for ev in evaluations:
        rule = ev.rule
        if ev.status != "firing":
            reports.append(RuleReport(ev, "ok" if ev.status == "ok" else "skipped"))
        elif rule.action == "open":
            existing = active.get(rule.name)
            reports.append(
                RuleReport(ev, f"already open: {existing.id}", existing.id)
                if existing
                else RuleReport(ev, f"would open a {rule.severity} incident")
            )
        elif rule.name in (breached or {}) and not rule.repeat:
            reports.append(RuleReport(ev, "already acted on for this breach"))
        elif rule.action == "notify":
            count = len(hooks.for_event(EVENT))
            reports.append(RuleReport(ev, f"would notify ({count} {EVENT} hook{'s' if count != 1 else ''})"))
        else:
            assert rule.run is not None
            reports.append(RuleReport(ev, f"would run {' '.join(rule.run)}"))
    return reports
