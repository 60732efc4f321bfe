"""Every alert source's payload spoiled one place at a time, and what incli answers to each (issue 19:
the mutation run found the sources' checks and the fields they read untested).

Each source's payload as its sender writes it (tests/sourcepayloads.py, tests/alertpayloads.py) has
each value replaced by wrong values, each key removed and an unknown key added, one at a time; the
answer, the one error line ``inc ingest`` prints or a digest of the alerts read, is compared with
tests/unit/source_golden.txt. A field read from the wrong key, a check that lets a wrong value
through, a changed message: each changes a line. After a deliberate change, regenerate and review:

    INCLI_UPDATE_GOLDEN=1 pytest tests/unit/test_source_golden.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from incli.domain.config import config_from_dict
from incli.integrations import sources
from incli.integrations.sources import Context
from tests import alertpayloads as ap
from tests import sourcepayloads as sp
from tests.spoil import check_golden, parse_with

GOLDEN = Path(__file__).with_name("source_golden.txt")
CONFIG = config_from_dict(yaml.safe_load(sp.GENERIC_CONFIG))


def reader(name: str, wrap: Callable[[Any], Any] = lambda data: data, path: str = "") -> Callable[[Any], Any]:
    _, sub = sources.split_name(name)

    def parse(data: Any) -> Any:
        return sources.source_named(name).parse(json.dumps(wrap(data)), Context(path=path, config=CONFIG, name=sub))

    return parse


def in_sns(alarm: Any) -> Any:
    """The alarm as the Message of an SNS notification."""
    return {**sp.sns(sp.cw_alarm()), "Message": json.dumps(alarm)}


CASES: list[tuple[str, Callable[[Any], Any], Any]] = [
    ("alertmanager", reader("alertmanager"), ap.firing_two()),
    ("alertmanager resolved", reader("alertmanager"), ap.resolved_two()),
    ("grafana", reader("grafana"), sp.grafana([sp.grafana_alert("eu-1")])),
    ("pagerduty", reader("pagerduty"), sp.pd_trigger()),
    ("pagerduty change", reader("pagerduty", path="/v2/change/enqueue"), sp.pd_change()),
    ("opsgenie", reader("opsgenie"), sp.og_create()),
    ("opsgenie-webhook", reader("opsgenie-webhook"), sp.og_webhook("Create", note="looking")),
    ("cloudwatch", reader("cloudwatch", in_sns), sp.cw_alarm()),
    ("cloudwatch sns", reader("cloudwatch"), sp.sns(sp.cw_alarm("OK"))),
    ("cloudwatch subscription", reader("cloudwatch"), sp.sns_subscription()),
    ("generic:kuma", reader("generic:kuma"), sp.kuma(0)),
]


def test_every_spoiled_payload_gets_the_answer_on_record() -> None:
    got = [line for name, parse, payload in CASES for line in parse_with(parse, name, payload)]
    check_golden(GOLDEN, got)


def test_every_payload_as_its_sender_writes_it_is_read() -> None:
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    given = [line for line in lines if " (as given) -> " in line]
    assert len(given) == len(CASES)
    assert all(" (as given) -> ok " in line for line in given), given
