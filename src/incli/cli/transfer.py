"""``inc export`` and ``inc import``: incidents in and out of incli."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from incli import output
from incli.cli.common import service

PROGRESS_FROM = 200  # rows; smaller imports finish before a bar would help


def export(
    ctx: typer.Context,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json (an array), ndjson (one object a line) or csv "
            "(one row per incident, no timeline; lists joined with '; ').",
            metavar="FORMAT",
        ),
    ] = "json",
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write to FILE instead of stdout.",
            metavar="FILE",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write every incident with the keys of inc show --json, oldest first."""
    from incli.service.export import export_pieces
    from incli.service.repository import write_output

    svc = service(ctx)
    kind = fmt.strip().lower()
    pieces = export_pieces(svc.store.facts_and_json(), kind)
    if out is None:
        sys.stdout.flush()
        for piece in pieces:
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
        return
    write_output(out, b"".join(pieces))
    count = len(svc.store.paths()) - len(svc.store.warnings)
    output.info(f"Exported {count} incident{'s' if count != 1 else ''} to {out}")


def import_(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="The file to read ('-' for stdin); for --from cstate, the folder of Markdown files.",
            metavar="FILE|DIR",
            show_default=False,
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="json, ndjson or csv (default: from the file name, else json).",
            metavar="FORMAT",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="incli (the keys of inc show --json), pagerduty (REST API v2 incidents, with "
            "log entries and v3 webhook payloads), opsgenie (alerts or incidents as the REST API "
            "lists them, or outgoing-webhook payloads) or cstate (a folder of status page Markdown).",
            metavar="SOURCE",
        ),
    ] = "incli",
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Import the valid rows and report the others, instead of importing nothing.",
        ),
    ] = False,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="KEY=COLUMN: read incli's KEY from the file's COLUMN (e.g. started_at=start_time); repeat for more.",
            metavar="KEY=COLUMN",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE: use VALUE where KEY is missing or empty (e.g. severity=SEV3); repeat for more.",
            metavar="KEY=VALUE",
        ),
    ] = None,
    ignore_unknown: Annotated[
        bool,
        typer.Option(
            "--ignore-unknown",
            help="Leave out columns that are not incident fields instead of refusing the row.",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check every row and say what would be imported (and, from another tool, which "
            "fields are mapped and dropped); write nothing.",
        ),
    ] = False,
) -> None:
    """Import incidents from a file written by inc export (or another tool, with the same keys).

    id and status may be left out (an id is made from the row, so importing twice changes
    nothing; the status follows from the times). A null time stays null; a missing
    started_at, detected_at or opened_at is taken from the others (the import says which).
    Every row is checked first: an invalid row is reported with its number and nothing is
    imported, unless --skip-invalid. Incidents whose id is already present are left as they are.

    Another tool's export: --map started_at=start_time --map resolved_at=end_time
    --set severity=SEV3 --ignore-unknown.
    """
    from incli.errors import InvalidInput, StorageError
    from incli.service.transfer import (
        IMPORTERS,
        Mapping,
        differing,
        guess_format,
        is_folder_source,
        plan_import,
        write_import,
    )

    source = source.strip().lower()
    folder = is_folder_source(source)
    text = ""
    if folder:
        if str(file) == "-":
            raise InvalidInput(f"--from {source} reads a folder, not stdin")
    else:
        try:
            raw = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        except IsADirectoryError:
            raise InvalidInput(f"{file} is a folder; only --from cstate reads a folder") from None
        except OSError as exc:
            raise StorageError(f"cannot read {file}: {exc.strerror or exc}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(f"{file} is not UTF-8 text") from None
    chosen = (fmt or ("json" if source in IMPORTERS else guess_format(str(file)))).strip().lower()
    svc = service(ctx)
    mapping = Mapping.parse(map_ or [], set_ or [], ignore_unknown)
    planned = plan_import(svc, text, chosen, source, mapping, folder=file if folder else None)
    if planned.fields is not None:
        for line in planned.fields.lines():
            output.info(line)
    for row, reason in planned.invalid:
        output.info(f"{file}: {row.where()}: {reason}")
    if planned.invalid and not skip_invalid:
        count = len(planned.invalid)
        raise InvalidInput(
            f"{count} invalid row{'s' if count != 1 else ''} in {file}; nothing imported "
            "(fix them, or import the rest with --skip-invalid)"
        )
    for what, count in sorted(planned.derived_counts().items()):
        key, _from, origin = what.partition(" from ")
        output.info(f"{key} was missing in {count} row{'s' if count != 1 else ''}: set from {origin}")
    total = len(planned.new)
    if dry_run:
        parts = [f"Would import {total} incident{'s' if total != 1 else ''}"]
        if planned.unchanged:
            parts.append(f"{len(planned.unchanged)} already present (would be left unchanged)")
        if planned.invalid:
            parts.append(f"{len(planned.invalid)} invalid would be skipped")
        output.info("; ".join(parts) + " (dry run: nothing written)")
        from incli.domain.times import short_duration, to_iso

        for item in planned.new:
            incident = item.incident
            resolved = to_iso(incident.resolved_at) if incident.resolved_at else "-"
            lasted = short_duration(incident.resolved_at - incident.started_at) if incident.resolved_at else "-"
            severity = incident.severity or "unknown"
            cells = [incident.id, severity, to_iso(incident.started_at), resolved, lasted, incident.title]
            output.data("\t".join(cells))
        return
    if total >= PROGRESS_FROM:
        with output.progress("Importing", total) as advance:
            created, present = write_import(svc, planned, advance)
    else:
        created, present = write_import(svc, planned)
    present += len(planned.unchanged)
    parts = [f"Imported {created} incident{'s' if created != 1 else ''}"]
    if present:
        differ = differing(svc, planned)
        note = f", {differ} of them differ from this file and were not overwritten" if differ else ""
        parts.append(f"{present} already present (left unchanged{note})")
    if planned.invalid:
        parts.append(f"{len(planned.invalid)} invalid skipped")
    output.info("; ".join(parts))


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import")(import_)
