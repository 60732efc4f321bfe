"""``inc metrics``: how long incidents took to detect, acknowledge, mitigate and resolve."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import service

HELP = """Reliability metrics over the incidents in scope (drills left out unless --include-drills).

Every duration metric shows n (how many incidents had both milestones), the mean, the
median and p90 side by side: incident durations are skewed, so never read the mean alone.

\b
  MTTD  time to detect       detected_at - started_at
  MTTA  time to acknowledge  acknowledged_at - detected_at
  MTTM  time to mitigate     mitigated_at - started_at
  MTTR  time to resolve      resolved_at - started_at
  MTBF  time between failures: the gap between the starts of consecutive incidents (n = gaps)

An incident missing a milestone (or whose milestone an import had to fill in) is left
out of that metric only; an active incident never counts as zero.
Median: the middle value (mean of the two middle ones for even n).
p90: nearest rank, the ceil(0.9 n)-th smallest value. Each metric's milestones can be
changed in incli.yaml, e.g. metrics: {mttr: {start: detected_at, end: resolved_at}}.

Also: incidents per severity and the share acknowledged within the severity's response
time (from detection); postmortems published on time (published_at <= resolved_at +
postmortem.due for the severity); action items done, open and overdue.

--since/--until select incidents by when impact started (started_at)."""


def _human(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    from incli.domain.times import short_duration

    return short_duration(timedelta(seconds=round(seconds)))


def _share(part: dict[str, Any]) -> str:
    if not part["n"]:
        return "-"
    return f"{part['share'] * 100:.0f}% ({part['within']}/{part['n']})"


def _metric_rows(result: dict[str, Any], part: dict[str, Any], short: bool = False) -> list[list[str]]:
    """The rows of a metrics table for ``part`` (the whole result, or one group); ``short``
    names each metric by its key alone (MTTR), as the table above spells them out."""
    rows = []
    declared = part.get("counted_from_declaration", {})
    for key, stat in part["metrics"].items():
        definition = result["definitions"].get(key, {})
        label = key.upper() if short else f"{key.upper()} {definition.get('label', '')}".strip()
        count = str(stat["n"]) + ("*" if declared.get(key) or (key == "mtbf" and part.get("overlapping")) else "")
        rows.append(
            [
                label,
                count,
                _human(stat["mean_seconds"]),
                _human(stat["median_seconds"]),
                _human(stat["p90_seconds"]),
            ]
        )
    return rows


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _csv(result: dict[str, Any], by: str | None) -> None:
    import csv
    import sys

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["by", "key", "count", "metric", "n", "mean_seconds", "median_seconds", "p90_seconds"])

    def rows(group_by: str, key: str, count: int, metrics: dict[str, Any]) -> None:
        for name, stat in metrics.items():
            writer.writerow(
                [
                    group_by,
                    key,
                    count,
                    name,
                    stat["n"],
                    *(_number(stat[f]) for f in ("mean_seconds", "median_seconds", "p90_seconds")),
                ]
            )

    rows("all", "", result["count"], result["metrics"])
    for group in result.get("groups", []):
        rows(by or "", "" if group["key"] is None else group["key"], group["count"], group["metrics"])


def _notes(result: dict[str, Any]) -> list[str]:
    """The lines under the table that say what a starred n is made of."""
    lines = []
    declared = result.get("counted_from_declaration", {})
    for key, count in declared.items():
        if count:
            n = result["metrics"][key]["n"]
            start = "impact start" if result["definitions"][key].get("start") == "started_at" else "detection"
            lines.append(f"* {key.upper()} n={n}: {n - count} from {start}, {count} from declaration ({start} unknown)")
    if result.get("overlapping"):
        lines.append(f"* MTBF: {result['overlapping']} incidents began while an earlier one's impact had not ended")
    return lines


# Dropped at narrow widths highest first (README: Tables): the mean before the median and p90.
METRIC_COLUMNS = (
    output.Column("Metric", output.TEXT),
    output.Column("n"),
    output.Column("Mean", drop=1),
    output.Column("Median"),
    output.Column("p90"),
)


def _tables(result: dict[str, Any], by: str | None) -> None:
    output.table(
        METRIC_COLUMNS,
        _metric_rows(result, result),
        title=f"{result['count']} incident{'s' if result['count'] != 1 else ''} "
        "(n = incidents measured; p90 = nearest rank)",
        empty="No incidents in scope.",
    )
    for line in _notes(result):
        output.data(line)
    if result["count"] == 0:
        return
    if by:
        rows: list[list[str]] = []
        for group in result.get("groups", []):
            key = group["key"] if group["key"] is not None else f"(no {by})"
            # The group's key and count on every row: a pipe keeps them, a terminal blanks repeats.
            rows.extend([key, str(group["count"]), *row] for row in _metric_rows(result, group, short=True))
        group_columns = (
            output.Column(by.capitalize(), group=True),
            output.Column("Incidents", group=True, drop=2),
            *METRIC_COLUMNS,
        )
        output.table(group_columns, rows, title=f"By {by}")
    sev_rows = [[s["severity"], str(s["count"]), _share(s["acknowledged_in_time"])] for s in result["by_severity"]]
    sev_rows.append(["all", str(result["count"]), _share(result["acknowledged_in_time"])])
    output.table(
        [output.Column("Severity"), output.Column("Incidents"), output.Column("Acknowledged within response time")],
        sev_rows,
    )
    pm = result["postmortems"]
    if pm["recorded"] == 0:
        output.data(
            f"Postmortems: none recorded yet ({pm['required']} resolved incident"
            f"{'s' if pm['required'] != 1 else ''} of a severity that requires one)."
        )
    else:
        share = f"{pm['share_on_time'] * 100:.0f}%" if pm["share_on_time"] is not None else "-"
        output.data(
            f"Postmortems: {share} published on time ({pm['on_time']} on time, {pm['late']} late, "
            f"{pm['pending']} not yet due; {pm['required']} required, {pm['recorded']} recorded)"
        )
    actions = result["actions"]
    if actions["total"] == 0:
        output.data("Action items: none yet.")
    else:
        output.data(f"Action items: {actions['done']} done, {actions['open']} open, {actions['overdue']} overdue")


def _chart(groups: list[dict[str, Any]]) -> None:
    months = [g for g in groups if g["key"] is not None]
    labels = [g["key"] for g in months]
    counts = [float(g["count"]) for g in months]
    medians = [g["metrics"]["mttr"]["median_seconds"] if "mttr" in g["metrics"] else None for g in months]
    output.bar_chart(
        labels,
        [
            ("Incidents", counts, [str(g["count"]) for g in months]),
            ("Median time to resolve", medians, [_human(v) for v in medians]),
        ],
        title="Per month (by impact start)",
        label_header="Month",
        empty="No incidents in scope.",
    )


def metrics(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only incidents whose impact started at or after TIME.", metavar="TIME"),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="Only incidents whose impact started before TIME.", metavar="TIME"),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Also group by severity, service, month, tag (an incident with several tags counts in each) or team "
            "(the owning team of its service in catalog.yaml).",
            metavar="FIELD",
        ),
    ] = None,
    severity: Annotated[str | None, typer.Option("--severity", "-s", help="Only this severity.", metavar="SEV")] = None,
    service_name: Annotated[str | None, typer.Option("--service", help="Only this service.", metavar="NAME")] = None,
    include_drills: Annotated[bool, typer.Option("--include-drills", help="Count drills too.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Print JSON (seconds) instead of tables.")] = False,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV: one row per metric (and group), in seconds.")] = False,
    chart: Annotated[
        bool,
        typer.Option("--chart", help="Also draw incidents and median time to resolve per month as bars."),
    ] = False,
) -> None:
    from incli.errors import InvalidInput
    from incli.service.metrics import metrics as measure

    if json and csv:
        raise InvalidInput("--json and --csv cannot be combined; choose one")
    if by is not None:
        by = by.strip().lower()
    svc = service(ctx)
    options: dict[str, Any] = {
        "since": since,
        "until": until,
        "severity": severity,
        "service": service_name,
        "include_drills": include_drills,
    }
    result = measure(svc, by=by, **options)
    if json:
        output.json_out(result)
    elif csv:
        _csv(result, by)
    else:
        _tables(result, by)
    if chart and not (json or csv):  # machine-readable output stays parseable
        monthly = result if by == "month" else measure(svc, by="month", **options)
        _chart(monthly.get("groups", []))


metrics.__doc__ = HELP


def register(app: typer.Typer) -> None:
    app.command("metrics", help=HELP)(metrics)
