"""Every importer's export spoiled one place at a time, and what ``inc import`` makes of each (issue
19: the mutation run found the fields the importers read, and their checks, untested).

A PagerDuty export (incident, log entries, a webhook), Opsgenie alerts, incidents and webhook
payloads, and a cState issue have each value replaced by wrong values, each key removed and an
unknown key added, one at a time; the answer (the one error line, or a digest of the records made,
with each record's own refusal in it) is compared with tests/unit/import_golden.txt. To regenerate
after a deliberate change, and review the diff:

    INCLI_UPDATE_GOLDEN=1 pytest tests/unit/test_import_golden.py
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from incli.domain.config import config_from_dict
from incli.errors import IncError
from incli.service.transfer import IMPORTERS
from tests.cli.test_import_cstate import OUTAGE
from tests.cli.test_import_opsgenie import ALERTS, INCIDENTS, WEBHOOKS
from tests.cli.test_import_pagerduty_logs import incident, log, webhook
from tests.spoil import check_golden, parse_with

GOLDEN = Path(__file__).with_name("import_golden.txt")
CONFIG = config_from_dict({})


def importer(name: str, read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    module, settings = IMPORTERS[name]

    def parse(data: Any) -> list[Any]:
        made = []
        for item in module.objects(read(data)):
            try:
                made.append(module.record(item, settings(CONFIG)))
            except IncError as refused:
                made.append(f"refused: {refused}")
        return made

    return parse


PAGERDUTY = [
    {"incidents": [incident("PAAA111", "resolved", "2024-05-02T03:00:00Z", priority={"summary": "P1"})]},
    {
        "log_entries": [
            log("trigger", "PAAA111", "2024-05-02T03:00:00Z"),
            log("acknowledge", "PAAA111", "2024-05-02T03:04:30Z"),
            log("annotate", "PAAA111", "2024-05-02T03:20:00Z", channel={"type": "note", "summary": "Failing over"}),
            log("resolve", "PAAA111", "2024-05-02T04:47:15Z"),
        ]
    },
    webhook(
        "acknowledged",
        incident("PBBB222", "acknowledged", "2024-05-03T10:00:00Z"),
        "2024-05-03T10:02:00Z",
    ),
]

FRONT, BODY = OUTAGE.split("---\n", 2)[1:]


def cstate_files(meta: Any) -> list[tuple[str, Any, str]]:
    return [("issues/2021-03-03-api-outage.md", meta, BODY)]


CASES: list[tuple[str, Callable[[Any], Any], Any]] = [
    ("pagerduty", importer("pagerduty", json.dumps), PAGERDUTY),
    ("opsgenie alerts", importer("opsgenie", json.dumps), ALERTS),
    ("opsgenie incidents", importer("opsgenie", json.dumps), INCIDENTS),
    ("opsgenie webhooks", importer("opsgenie", json.dumps), WEBHOOKS),
    ("cstate", importer("cstate", cstate_files), yaml.safe_load(FRONT)),
]


def test_every_spoiled_export_gets_the_answer_on_record() -> None:
    got = [line for name, parse, data in CASES for line in parse_with(parse, name, copy.deepcopy(data))]
    check_golden(GOLDEN, got)


def test_every_export_as_its_tool_writes_it_is_imported() -> None:
    for name, parse, data in CASES:
        made = parse(copy.deepcopy(data))
        assert made and not [m for m in made if isinstance(m, str)], (name, made)
