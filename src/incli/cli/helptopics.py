"""``inc help TOPIC``: the reference a person looks up mid-incident.

Each page is built from the table the code itself uses (domain/times.FORMS, errors.MEANINGS,
domain/metrics.DEFAULT_METRICS and STATISTICS, domain/hooks.EVENT_PHRASES and ENVIRONMENT,
domain/config.TOP_LEVEL_KEYS), so a page cannot say something the code does not do.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from incli import output
from incli.errors import MissingOption

# What each top-level key of incli.yaml holds (a test checks these are domain/config.TOP_LEVEL_KEYS).
CONFIG_KEYS = {
    "schema": "the file format version (1)",
    "timezone": "how postmortems, reports and `inc metrics --by month` show times, e.g. Europe/Berlin; "
    "empty: the local time zone",
    "incidents_dir": "the folder of incident files (default incidents)",
    "templates_dir": "your own postmortem and report templates (default templates)",
    "severities": "the levels, most severe first: id, name, description, response_time, escalate_to, update_every, "
    "escalation",
    "postmortem": "due (per severity), required_sections, whys, blame_phrases",
    "metrics": "per metric start, end and label (the milestones it measures)",
    "alerts": "severity_label, severity_map, default_severity, service_label (inc ingest)",
    "sources": "per alert source: pagerduty routing_keys and severities, opsgenie priorities, generic definitions",
    "hooks": "timeout, then per event a list of {run: [argv...]}, {webhook: URL, format: json|slack|teams|...} "
    "or {email: ...}",
    "rules": "prevention rules for inc watch: name, metric, labels, op, threshold, action, ...",
    "git": "commit: true commits every file a command writes",
    "report": "title of inc report's site",
    "import": "pagerduty, opsgenie and cstate severity mappings",
    "defaults": "severity: what inc open uses without --severity",
    "statuspage": "title, logo, url, links, timezone, components, states, wording, count_private_impact, hostnames",
    "runbooks": "severity and alerts: names to lists of runbook files",
    "checklists": "per severity (or default) the tasks created with an incident: text or {task, within}",
    "people": "per handle name, tz, email, slack, phone and other contact fields (paging hooks get them)",
    "escalation": "per policy levels (notify, wait) and repeat; a severity names its policy",
    "oncall": "default_schedule, working_hours, sleep_hours",
}


def _width() -> int:
    return max(40, min(shutil.get_terminal_size((100, 24)).columns, 100) - 1)


def _prose(text: str) -> list[str]:
    return textwrap.wrap(text, _width(), break_on_hyphens=False) or [""]


def _rows(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """Two columns, the second wrapped under itself; on a narrow terminal, under the first."""
    left = max(len(name) for name, _ in pairs)
    width = _width()
    lines = []
    for name, what in pairs:
        text = what.replace("`", "")
        if left + 4 > width // 2:
            lines.append(f"  {name}")
            lines += textwrap.wrap(text, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
            continue
        first = f"  {name:<{left}}  "
        lines += textwrap.wrap(text, width, initial_indent=first, subsequent_indent=" " * len(first))
    return lines


def _times() -> list[str]:
    from incli.domain.times import FORMS, FORMS_NOTE

    lines = ["What --at (and every option that takes a TIME) accepts:", ""]
    lines += _rows([(", ".join(examples), meaning) for examples, meaning in FORMS])
    return [*lines, "", *_prose(FORMS_NOTE)]


def _exit_codes() -> list[str]:
    from incli.errors import MEANINGS

    lines = ["Exit codes of every inc command:", ""]
    lines += _rows([(f"{int(code):>3}", meaning) for code, meaning in MEANINGS.items()])
    return [*lines, "", *_prose("Errors are one line on stderr; -v (or INC_DEBUG=1) shows the traceback too.")]


def _metrics() -> list[str]:
    from incli.domain.metrics import DEFAULT_METRICS, MTBF_LABEL, MTBF_WHAT, STATISTICS

    rows = [(d.key, f"{d.label.lower()}: {d.end} - {d.start}, {d.what}") for d in DEFAULT_METRICS]
    rows.append(("mtbf", f"{MTBF_LABEL.lower()}: {MTBF_WHAT}"))
    lines = ["The duration metrics of inc metrics (default milestones):", ""]
    lines += _rows(rows)
    lines += ["", "Each shows:", ""]
    lines += _rows(STATISTICS)
    return [
        *lines,
        "",
        *_prose(
            "A time nobody gave (assumed) is left out of the metrics that need it; an active incident never "
            "counts as zero. Time to acknowledge, mitigate and resolve count from the declaration (opened_at) "
            "when their own start is unknown. Change a metric's milestones in incli.yaml: "
            "metrics: {mttr: {start: detected_at, end: resolved_at}}."
        ),
    ]


def _hooks() -> list[str]:
    from incli.domain.hooks import DEFAULT_TIMEOUT, ENVIRONMENT, EVENT_PHRASES

    lines = [
        "hooks: in incli.yaml runs a command or posts a webhook after a command saves an incident:",
        "",
        "  hooks:",
        f"    timeout: {int(DEFAULT_TIMEOUT)}s",
        "    opened:",
        "      - run: [scripts/page-oncall]      # argv as written, never a shell",
        "      - webhook: https://example.com/x  # format: json (default) or slack",
        "",
        *_prose("Events: " + ", ".join(EVENT_PHRASES) + "."),
        "",
        "A run hook gets the incident as JSON (inc show --json) on stdin, and in its environment:",
        "",
    ]
    lines += _rows(ENVIRONMENT)
    return [*lines, "", *_prose("A failing hook is one warning; the incident stays saved and the command exits 0.")]


def _config() -> list[str]:
    lines = [*_prose("incli.yaml, at the top of the repository (inc init writes it); every section is optional:"), ""]
    lines += _rows([(f"{key}:", what) for key, what in CONFIG_KEYS.items()])
    return [
        *lines,
        "",
        *_prose(
            "Durations are written 90s, 15m, 1h, 4h, 1d, 1w. A wrong value is one error naming the file, "
            "line and key. examples/acme/incli.yaml shows every section; README.md: Configuration."
        ),
    ]


TOPICS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "times": ("what --at and every TIME accept", _times),
    "config": ("the sections of incli.yaml", _config),
    "exit-codes": ("what each exit code means", _exit_codes),
    "metrics": ("the metric definitions and statistics", _metrics),
    "hooks": ("events, and what a hook receives", _hooks),
}


def page(topic: str) -> str:
    """The text of one topic (MissingOption naming the topics when there is no such one)."""
    found = TOPICS.get(topic.strip().lower())
    if found is None:
        raise MissingOption(f"no help topic '{topic}'; topics: {', '.join(TOPICS)}")
    return "\n".join(found[1]())


def help_command(
    topic: Annotated[
        str | None,
        typer.Argument(help=f"One of: {', '.join(TOPICS)}.", metavar="[TOPIC]", show_default=False),
    ] = None,
) -> None:
    """Reference pages: times, config, exit-codes, metrics, hooks (inc help alone lists them)."""
    if topic is None:
        lines = ["Help topics (inc help TOPIC):", ""]
        lines += _rows([(name, what) for name, (what, _) in TOPICS.items()])
        output.data("\n".join([*lines, "", "Commands: inc --help; one command: inc COMMAND --help."]))
        return
    output.data(page(topic))


def register(app: typer.Typer) -> None:
    app.command("help")(help_command)
