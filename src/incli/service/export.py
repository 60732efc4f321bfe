"""``inc export``: every incident, oldest first, as JSON, NDJSON or CSV, straight from the index.

Its own module, apart from the import (service/transfer.py, which reads these formats back): an
export imports none of the importers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from incli.domain.model import EXTENSION_ORDER, FIELD_ORDER, json_safe
from incli.errors import InvalidInput

if TYPE_CHECKING:
    from incli.domain.metrics import Facts

FORMATS = ("json", "ndjson", "csv")
# CSV: the JSON keys without the timeline; lists joined with "; ", roles as "role=name".
CSV_COLUMNS = [k for k in FIELD_ORDER if k not in ("schema", "timeline")]
LIST_SEPARATOR = ";"
KNOWN_KEYS = {*FIELD_ORDER, *EXTENSION_ORDER}


def _csv_cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "tags":
        return f"{LIST_SEPARATOR} ".join(value)
    if key == "roles":
        return f"{LIST_SEPARATOR} ".join(f"{role}={name}" for role, name in value.items())
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    return str(value)


def export_pieces(pairs: Iterable[tuple[Facts, Callable[[], bytes]]], fmt: str) -> Iterator[bytes]:
    """Every incident, oldest first, as JSON (an array), NDJSON or CSV, piece by piece (UTF-8);
    JSON and NDJSON with the characters a terminal obeys escaped (domain.model.json_safe).

    ``pairs`` are the index's facts and a way to read each ``inc show --json`` text
    (Store.facts_and_json), so an export parses no YAML once the index is built and reads one
    text at a time."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    from incli.domain.metrics import TIME_INDEX

    opened = TIME_INDEX["opened_at"]
    ordered = sorted(pairs, key=lambda p: (p[0].times[opened] or 0.0, p[0].id))
    texts = (text() for _facts, text in ordered)
    if fmt == "json":  # exactly json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        if not ordered:
            yield b"[]\n"
            return
        yield b"[\n"
        for number, text in enumerate(texts):
            yield text if number == 0 else b",\n" + text
        yield b"\n]\n"
        return
    if fmt == "ndjson":
        for text in texts:
            yield (json_safe(json.dumps(json.loads(text), ensure_ascii=False)) + "\n").encode("utf-8")
        return
    import csv
    import io

    rows = [json.loads(text) for text in texts]
    extensions = [k for k in EXTENSION_ORDER if any(k in row for row in rows)]
    extensions += sorted({k for row in rows for k in row if k not in KNOWN_KEYS})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + extensions)
    for row in rows:
        writer.writerow([_csv_cell(k, row.get(k)) for k in CSV_COLUMNS + extensions])
    yield buffer.getvalue().encode("utf-8")
