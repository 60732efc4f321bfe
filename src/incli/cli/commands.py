"""Which command lives in which module and which panel of ``inc --help`` shows it: one table.

``COMMANDS`` maps each top-level command (or command group) to the ``incli.cli`` module that
registers it and to its help panel, in the order ``inc --help`` lists them. ``EXAMPLES`` holds the
one or two examples that end each command's help, by command path. Nothing here imports a
command module: ``cli/app.py`` reads the table, imports each module once and calls its
``register(app)``, so a lazy group can later load a module by a command's name from this table.
"""

from __future__ import annotations

from typing import NamedTuple

LIFECYCLE = "Lifecycle"
READING = "Reading"
POSTMORTEMS = "Postmortems"
ACTIONS = "Action items"
AUTOMATION = "Alerts and automation"
DATA = "Data"
REPOSITORY = "Repository"

PANELS = (LIFECYCLE, READING, POSTMORTEMS, ACTIONS, AUTOMATION, DATA, REPOSITORY)

# The commands that keep Python's cycle collector: those that run long (a server, a clock) or
# build many objects that refer to each other (templates, imports of whole histories). Every
# other command is a short-lived process that frees what it made by reference counting, and the
# collector would only walk, again and again, the hundreds of thousands of tuples that a listing
# of a large repository reads: off, for up to a third of their time (cli/app.py).
KEEP_COLLECTOR = frozenset({"ingest", "report", "statuspage", "import", "watch", "remind", "oncall", "sync"})


class Entry(NamedTuple):
    module: str  # under incli.cli
    panel: str | None  # None: hidden, in no panel


COMMANDS: dict[str, Entry] = {
    "open": Entry("lifecycle", LIFECYCLE),
    "ack": Entry("lifecycle", LIFECYCLE),
    "mitigate": Entry("lifecycle", LIFECYCLE),
    "resolve": Entry("lifecycle", LIFECYCLE),
    "reopen": Entry("lifecycle", LIFECYCLE),
    "note": Entry("lifecycle", LIFECYCLE),
    "update": Entry("lifecycle", LIFECYCLE),
    "severity": Entry("lifecycle", LIFECYCLE),
    "assign": Entry("lifecycle", LIFECYCLE),
    "task": Entry("runbooks", LIFECYCLE),
    "link": Entry("search", LIFECYCLE),
    "public-title": Entry("statuspage", LIFECYCLE),
    "private": Entry("statuspage", LIFECYCLE),
    "maintenance": Entry("statuspage", LIFECYCLE),
    "list": Entry("reading", READING),
    "show": Entry("reading", READING),
    "status": Entry("reading", READING),
    "metrics": Entry("metrics", READING),
    "search": Entry("search", READING),
    "related": Entry("search", READING),
    "changes": Entry("changes", READING),
    "catalog": Entry("catalog", READING),
    "runbook": Entry("runbooks", READING),
    "help": Entry("helptopics", READING),
    "postmortem": Entry("postmortem", POSTMORTEMS),
    "action": Entry("actions", ACTIONS),
    "ingest": Entry("ingest", AUTOMATION),
    "watch": Entry("notify", AUTOMATION),
    "remind": Entry("notify", AUTOMATION),
    "oncall": Entry("oncall", AUTOMATION),
    "gate": Entry("gate", AUTOMATION),
    "freeze": Entry("gate", AUTOMATION),
    "report": Entry("report", DATA),
    "statuspage": Entry("statuspage", DATA),
    "export": Entry("transfer", DATA),
    "import": Entry("transfer", DATA),
    "init": Entry("repo", REPOSITORY),
    "validate": Entry("repo", REPOSITORY),
    "edit": Entry("repo", REPOSITORY),
    "sync": Entry("git", REPOSITORY),
    "merge-driver": Entry("git", None),
}

ID = "INC-20250115-txm67"

EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ('inc open "Checkout returns 500s" -s SEV2', "inc help times"),
    "open": (
        'inc open "Checkout returns 500s" -s SEV2 --service checkout-api',
        'inc open "Logins slow" -s SEV3 --at "10m ago" --commander priya',
    ),
    "ack": ("inc ack", "inc ack txm67 --at 14:32"),
    "mitigate": ('inc mitigate --note "restarted the pool"', "inc mitigate txm67 --at 14:40"),
    "resolve": ('inc resolve --note "statement_timeout set"', "inc resolve txm67 --at 14:45"),
    "reopen": ('inc reopen txm67 --note "errors are back"',),
    "note": ('inc note "pgbouncer shows 0 free connections"', 'inc note txm67 "rolled back 2.14" --at 14:35'),
    "update": ('inc update "Checkout failing for most customers; next update 15:00"',),
    "severity": ('inc severity txm67 SEV1 --note "all regions affected"',),
    "assign": ("inc assign txm67 comms marco",),
    "list": ("inc list --status active", "inc list --severity SEV1 --since 2025-01-01 --json"),
    "show": ("inc show txm67", "inc show txm67 --json"),
    "status": ("inc status", "inc status --json"),
    "metrics": ("inc metrics --since 2025-01-01 --by severity", "inc metrics --chart"),
    "help": ("inc help times", "inc help exit-codes"),
    "postmortem": (f"inc postmortem new {ID}", f"inc postmortem render {ID} -o postmortem.md"),
    "postmortem new": (f"inc postmortem new {ID} --by priya",),
    "postmortem edit": (f"inc postmortem edit {ID}",),
    "postmortem add": (f'inc postmortem add {ID} root-cause "The 2.14 deploy held a connection per request"',),
    "postmortem why": (f"inc postmortem why {ID}", f'inc postmortem why {ID} -a "The pool ran out"'),
    "postmortem review": (f"inc postmortem review {ID} --state in-review --reviewer marco",),
    "postmortem render": (f"inc postmortem render {ID}", f"inc postmortem render {ID} -f html -o pm.html"),
    "postmortem templates": ("inc postmortem templates",),
    "postmortem check": (f"inc postmortem check {ID}", "inc postmortem check --all"),
    "postmortem list": ("inc postmortem list --overdue", "inc postmortem list --state draft --json"),
    "postmortem schedule": (f"inc postmortem schedule {ID} --at 'tomorrow 10:00' -o review.ics",),
    "action": ('inc action add txm67 "Alert on pool saturation" --owner priya --due 1w', "inc action list --open"),
    "action add": ('inc action add txm67 "Alert on pool saturation above 80%" --owner priya --due 1w --priority P2',),
    "action done": ('inc action done ACT-7kq2x --note "Alert live in Grafana"',),
    "action reopen": ('inc action reopen ACT-7kq2x --note "Alert was muted"',),
    "action list": ("inc action list --overdue", "inc action list --owner priya --json"),
    "ingest": ("inc ingest alertmanager notification.json", "inc ingest serve --port 9095"),
    "ingest alertmanager": ("inc ingest alertmanager notification.json", "curl -s ... | inc ingest alertmanager -"),
    "ingest serve": ("inc ingest serve --port 9095",),
    "watch": ("inc watch --dry-run", "inc watch"),
    "remind": ("inc remind --dry-run", "inc remind"),
    "report": ("inc report -o /tmp/report", "inc --dir examples/acme report -o /tmp/acme-report"),
    "export": ("inc export -o incidents.json", "inc export --format csv -o incidents.csv"),
    "import": ("inc import incidents.json", "inc import pagerduty.json --from pagerduty"),
    "init": ("inc init", "inc init ~/incidents"),
    "validate": ("inc validate", "inc validate --json"),
    "edit": ("inc edit txm67",),
    "sync": ("inc sync", "inc sync --commit"),
    "task": (f"inc task list {ID}", f'inc task done {ID} "Assign a commander"'),
    "task list": (f"inc task list {ID}", "inc task list --json"),
    "task done": (f'inc task done {ID} "Open a channel" --at 14:40 --by priya',),
    "link": (f"inc link {ID} INC-20250114-ab3cd --as duplicate",),
    "public-title": (f'inc public-title {ID} "Checkout is failing for some customers"',),
    "private": (f"inc private {ID}",),
    "maintenance": (
        'inc maintenance add --service search --from "2025-03-01 22:00" --to "2025-03-01 23:00" "Reindexing"',
    ),
    "maintenance add": (
        'inc maintenance add --service search --from "2025-03-01 22:00" --to "2025-03-01 23:00" "Reindexing"',
    ),
    "maintenance list": ("inc maintenance list", "inc maintenance list --all --json"),
    "search": ('inc search "connection pool"', "inc search pgbouncer --json"),
    "related": (f"inc related {ID}", f"inc related {ID} --json"),
    "changes": (f"inc changes {ID}", f"inc changes {ID} --window 48h --json"),
    "catalog": ("inc catalog", "inc catalog --json"),
    "runbook": ("inc runbook", f"inc runbook {ID}"),
    "oncall": ("inc oncall", "inc oncall --schedule primary --at 'tomorrow 09:00' --json"),
    "oncall new": (
        "inc oncall new primary --rotation alice,bob,carol --every 1w --handoff 'mon 09:00' --tz Europe/Berlin "
        "--start 2025-10-20",
    ),
    "oncall shifts": ("inc oncall shifts primary --from 2025-10-20 --to 2025-11-20 --who alice",),
    "oncall override": ("inc oncall override primary --who bob --from 'fri 18:00' --to 'mon 09:00' --reason swap",),
    "oncall export": ("inc oncall export primary --who alice -o alice.ics",),
    "oncall import": ("inc oncall import primary shifts.ics",),
    "oncall report": ("inc oncall report --since 2025-01-01", "inc oncall report --json"),
    "oncall handoff": ("inc oncall handoff primary",),
    "gate": ("inc gate --service payments", "inc gate --service payments --severity SEV1 --json"),
    "freeze": ('inc freeze --service payments --until "mon 09:00" --reason "holiday freeze"',),
    "ingest grafana": ("inc ingest grafana notification.json",),
    "ingest pagerduty": (
        "inc ingest pagerduty event.json",
        "inc ingest pagerduty change.json --path /v2/change/enqueue",
    ),
    "ingest opsgenie": (
        "inc ingest opsgenie alert.json",
        "inc ingest opsgenie close.json --path '/v2/alerts/db-pool/close?identifierType=alias'",
    ),
    "ingest opsgenie-webhook": ("inc ingest opsgenie-webhook payload.json",),
    "ingest cloudwatch": ("inc ingest cloudwatch sns-message.json",),
    "ingest generic": ("inc ingest generic uptime-kuma payload.json",),
    "statuspage": ("inc statuspage", "inc statuspage --check"),
    "postmortem pr": (f"inc postmortem pr {ID}", f"inc postmortem pr {ID} --no-gh"),
    "merge-driver": ("inc merge-driver %O %A %B %P",),
}


def modules() -> list[str]:
    """The command modules, each once, in the order of the table."""
    return list(dict.fromkeys(entry.module for entry in COMMANDS.values()))


def epilog(path: str) -> str | None:
    """The examples that end ``path``'s help, as Typer's rich help prints an epilog."""
    examples = EXAMPLES.get(path)
    if not examples:
        return None
    # Rich markup: a [ in an example is text, not a style.
    lines = "\n".join(f"  $ {example}".replace("[", "\\[") for example in examples)
    return f"Examples:\n{lines}"
