"""``inc remind``: fire hooks for what is overdue, once per overdue item. Fit for cron.

Events (hooks configured under these names in incli.yaml):

- ``ack_overdue``: an active incident not acknowledged within its severity's
  response time (due = detected_at + response_time);
- ``update_overdue``: an active incident whose stakeholder update is past its
  severity's cadence (due = last update, or opening, + update_every);
- ``action_overdue``: an open action item whose due date is before today;
- ``task_overdue``: a response checklist task of an active incident still open past its
  deadline (``within`` of the checklist, counted from the declaration).

An imported incident (``source.imported_at``) is never reminded of a lapse that was due
before it was imported: history pages nobody. A lapse due after that (an update owed
since) reminds as usual.

The listed events ``update`` and ``acknowledged`` mean "an update was posted",
"someone acknowledged"; reminders use their own names so a team can send them
elsewhere (a pager, a reminder channel).

Each item is keyed by incident, kind and due time (``INC-.../update/2025-01-15T15:00:00+00:00``)
in ``.incli/reminders.json``; it is recorded once every hook for it has run, so
a failing hook is tried again on the next run and a successful one never repeats.
Posting an update moves the due time, and the next lapse is a new item.

``inc remind`` is also the clock of escalation (service/paging.py: the next level of
an unacknowledged incident, recorded in its file) and of shift handoffs (the
``handoff`` hook, service/oncall.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incli.domain import durations
from incli.domain import postmortem as pm
from incli.domain.model import Incident, imported_at
from incli.domain.runbooks import overdue_tasks
from incli.domain.times import to_iso
from incli.service.hooks import Hooks
from incli.service.incidents import Service
from incli.storage import statefile

EVENTS = {"acknowledgement": "ack_overdue", "update": "update_overdue"}


@dataclass
class Reminder:
    """Something inc remind says is due."""

    key: str
    event: str
    incident: Incident
    due: str
    text: str
    extra: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    outcome: str = ""
    what: str = ""  # ``text`` without the incident and the due time, for a table that shows them

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "event": self.event,
            "incident": self.incident.id,
            "due": self.due,
            "text": self.text,
            "outcome": self.outcome,
        }


def overdue_items(svc: Service, now: datetime) -> list[Reminder]:
    """Everything overdue right now, whether or not it was reminded already."""
    items: list[Reminder] = []
    today = svc.config.today(now)
    for incident in sorted(svc.all(), key=lambda i: (i.opened_at, i.id)):
        entered = imported_at(incident.extra)
        for late in durations.overdue(incident, svc.config, now):
            if entered is not None and late.due_at < entered:
                continue  # already history when it was imported: that lapse pages nobody
            event = EVENTS[late.what]
            due = to_iso(late.due_at)
            what = "acknowledgement" if late.what == "acknowledgement" else "stakeholder update"
            items.append(
                Reminder(
                    key=f"{incident.id}/{late.what}/{due}",
                    event=event,
                    incident=incident,
                    due=due,
                    text=f"{incident.id} ({incident.severity}) {what} overdue since {due}: {incident.title}",
                    what=f"{what}: {incident.title}",
                    extra={"due_at": due, "overdue": late.what},
                    env={"INC_DUE": due},
                )
            )
        for task in overdue_tasks(incident, now):
            assert task.due_at is not None
            due = to_iso(task.due_at)
            items.append(
                Reminder(
                    key=f"{incident.id}/task/{task.id}/{due}",
                    event="task_overdue",
                    incident=incident,
                    due=due,
                    text=f"{incident.id} ({incident.severity}) task {task.id} overdue since {due}: {task.title}",
                    extra={"task": {"id": task.id, "title": task.title}, "due_at": due},
                    env={"INC_DUE": due, "INC_TASK_ID": task.id, "INC_TASK": task.title},
                )
            )
        for action in pm.actions_of(incident):
            due_day = pm.action_due(action)
            if due_day is None or not pm.action_overdue(action, today):
                continue
            action_id = str(action.get("id") or "")
            owner = action.get("owner")
            items.append(
                Reminder(
                    key=f"{incident.id}/action/{action_id}/{due_day.isoformat()}",
                    event="action_overdue",
                    incident=incident,
                    due=due_day.isoformat(),
                    text=f"{incident.id} action {action_id} overdue since {due_day.isoformat()}"
                    f"{f' (owner {owner})' if owner else ''}: {action.get('title') or ''}",
                    what=f"{action_id}{f' (owner {owner})' if owner else ''}: {action.get('title') or ''}",
                    extra={"action": dict(action), "due_at": due_day.isoformat()},
                    env={
                        "INC_DUE": due_day.isoformat(),
                        "INC_ACTION_ID": action_id,
                        "INC_ACTION_OWNER": str(owner or ""),
                    },
                )
            )
    return items


def remind(svc: Service, hooks: Hooks, dry_run: bool = False) -> list[Reminder]:
    """Fire the hooks of every overdue item not reminded yet; return those items."""
    now = svc.now()
    items = overdue_items(svc, now)
    if dry_run:
        sent = statefile.load(svc.repo.state_dir / "reminders.json")
        pending = [i for i in items if i.key not in sent]
        for item in pending:
            count = len(hooks.for_event(item.event))
            item.outcome = f"would fire {count} {item.event} hook{'s' if count != 1 else ''}"
        return pending
    done: list[Reminder] = []
    with statefile.held(svc.repo, "reminders") as path:
        sent = statefile.load(path)
        current = {i.key for i in items}
        # Forget items that are no longer overdue (acknowledged, updated, done).
        sent = {k: v for k, v in sent.items() if k in current}
        for item in items:
            if item.key in sent:
                continue
            configured = hooks.for_event(item.event)
            if not configured:
                item.outcome = f"no {item.event} hooks configured"
                done.append(item)
                continue
            outcomes = hooks.fire(item.event, item.incident, extra=item.extra, env=item.env)
            ok = sum(1 for o in outcomes if o.ok)
            if ok == len(outcomes):
                sent[item.key] = {"event": item.event, "sent_at": to_iso(now)}
                item.outcome = f"fired {item.event} ({ok} hook{'s' if ok != 1 else ''})"
            else:
                item.outcome = f"{len(outcomes) - ok} of {len(outcomes)} {item.event} hooks failed; will retry"
            done.append(item)
        statefile.save(path, sent)
    return done
