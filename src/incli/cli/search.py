"""``inc search``, ``inc related``, ``inc link``; and the related block of ``inc show``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import ByOption, JsonOption, RequiredId, service

LimitOption = Annotated[int, typer.Option("--limit", "-n", help="At most this many.", metavar="N")]


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Words to find (all of them; the phrase ranks first).", metavar="QUERY")],
    limit: LimitOption = 20,
    json: JsonOption = False,
) -> None:
    """Full-text search over titles, summaries, timelines and postmortems, best match first (BM25)."""
    from incli.service.search import search as find

    found = find(service(ctx), query, limit)
    if json:
        output.json_out(found)
        return
    output.table(
        ["ID", "Score", "Title", "Match"],
        [[r["id"], f"{r['score']:.2f}", r["title"], f"{r['match']['field']}: {r['match']['text']}"] for r in found],
        empty=f"No incident mentions {query!r}.",
    )


def related(ctx: typer.Context, incident_id: RequiredId, limit: LimitOption = 10, json: JsonOption = False) -> None:
    """Past incidents like this one (shared alert, fingerprint, service or text), each with why."""
    from incli.service.search import related as find

    svc = service(ctx)
    found = find(svc, svc.get(incident_id), limit)
    if json:
        output.json_out(found)
        return
    output.table(
        ["ID", "Score", "Title", "Why"],
        [[r["id"], f"{r['score']:.2f}", r["title"], "; ".join(r["reasons"])] for r in found],
        empty="No related incidents.",
    )


def link(
    ctx: typer.Context,
    incident_id: RequiredId,
    other: Annotated[str, typer.Argument(help="The other incident.", metavar="OTHER", show_default=False)],
    kind: Annotated[
        str,
        typer.Option("--as", help="duplicate (of OTHER, the original), caused-by or related.", metavar="KIND"),
    ] = "related",
    by: ByOption = None,
) -> None:
    """Link two incidents (kept on both); a duplicate is left out of metrics and points to the original."""
    from incli.service.search import link as make

    one, two = make(service(ctx), incident_id, other, kind, by)
    output.info(f"{one.id} linked to {two.id} as {kind.strip().lower()}")


def show_block(svc: Any, incident: Any) -> None:
    """``inc show``: the top three related incidents."""
    from incli.errors import IncError
    from incli.service.search import related as find

    try:
        found = find(svc, incident, 3, quick=True)
    except IncError as exc:  # the search index is a cache: without it, show the incident anyway
        output.warn(f"related incidents not shown: {exc.message}")
        return
    if found:
        output.heading("Related")
        output.fields([(r["id"], f"{r['title']} ({'; '.join(r['reasons'])})", None) for r in found])


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("related")(related)
    app.command("link")(link)
