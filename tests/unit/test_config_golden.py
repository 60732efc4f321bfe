"""Every way incli.yaml and a schedule file can be wrong, and what incli says of each (issue 19: the
mutation run found the words of most refusals, and some of the checks themselves, untested).

A rich valid incli.yaml (the example's, with escalation, runbooks, checklists and hooks added) is
spoiled one place at a time: every key removed, an unknown key added to every mapping, and every
value replaced by each of a few wrong values. What the parser answers, the one line a user reads or
"ok" with a digest of the settings it read, is compared with tests/unit/config_golden.txt. A
changed message, a check that lets a wrong value through, or a setting read from the wrong key shows
as a changed line there. After a deliberate change, regenerate it and review the diff:

    INCLI_UPDATE_GOLDEN=1 pytest tests/unit/test_config_golden.py
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from incli.domain.config import LAZY_SECTIONS, config_from_dict
from incli.domain.oncall import schedule_from_dict
from tests.spoil import check_golden, parse_with

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("config_golden.txt")

EXTRA: dict[str, Any] = {
    "hooks": {
        "timeout": "10s",
        "opened": [{"run": ["./notify.sh", "{id}"], "timeout": "5s"}, {"webhook": "https://hooks.example/x"}],
        "resolved": [
            {"webhook": "https://hooks.example/y", "format": "slack"},
            {
                "webhook": "https://events.example/v2/enqueue",
                "format": "pagerduty",
                "routing_key_env": "PD_KEY",
                "timeout": "3s",
            },
            {
                "email": ["oncall@example.com"],
                "timeout": "20s",
                "smtp": {
                    "host": "smtp.example.com",
                    "port": 587,
                    "security": "starttls",
                    "from": "incli@example.com",
                    "username_env": "SMTP_USER",
                    "password_env": "SMTP_PASS",
                },
            },
        ],
        "acknowledged": [{"webhook": "https://events.example/v2/enqueue", "format": "pagerduty", "routing_key": "K1"}],
    },
    "escalation": {
        "critical": {
            "levels": [
                {"notify": ["schedule:primary"], "wait": "5m"},
                {"notify": ["person:carol", "schedule:managers"], "wait": "10m"},
            ],
            "repeat": 1,
        }
    },
    "runbooks": {"alerts": {"HighLatency": ["runbooks/latency.md"]}, "severity": {"SEV1": ["runbooks/sev1.md"]}},
    "checklists": {"SEV1": ["Open a channel", {"task": "Page the owner", "within": "10m"}], "default": ["Say hi"]},
    "defaults": {"severity": "SEV3"},
}

SCHEDULE: dict[str, Any] = {
    "schema": 1,
    "description": "Primary on-call for checkout",
    "layers": [
        {
            "name": "layer-1",
            "rotation": ["alice", "bob", "carol"],
            "length": "weekly",
            "handoff": "mon 09:00",
            "start": "2025-10-20",
            "tz": "Europe/Berlin",
        },
        {
            "name": "business",
            "rotation": ["dave"],
            "length": "daily",
            "handoff": "09:00",
            "start": "2025-10-20",
            "tz": "Europe/Berlin",
            "restrictions": ["mon-fri 09:00-17:00", "sat 10:00-12:00"],
        },
    ],
    "overrides": [
        {
            "from": "2025-10-22T09:00:00+02:00",
            "to": "2025-10-23T09:00:00+02:00",
            "who": "erin",
            "by": "alice",
            "reason": "swap",
            "created_at": "2025-10-21T10:00:00+02:00",
        }
    ],
}


def read_config(data: Any) -> Any:
    config = config_from_dict(data)
    return [config, *(config.section(name) for name in LAZY_SECTIONS)]


def base_config() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "examples" / "acme" / "incli.yaml").read_text(encoding="utf-8"))
    data.update(copy.deepcopy(EXTRA))
    data["severities"][0]["escalation"] = "critical"
    return dict(data)


def test_every_wrong_setting_gets_the_answer_on_record() -> None:
    got = parse_with(read_config, "config", base_config())
    got += parse_with(lambda data: schedule_from_dict("primary", data), "schedule", SCHEDULE)
    check_golden(GOLDEN, got)


def test_the_record_refuses_most_wrong_values_and_reads_the_valid_file() -> None:
    """The record itself is not a record of everything being accepted."""
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("config (as given) -> ok ")
    assert any(line.startswith("schedule (as given) -> ok ") for line in lines)
    refused = [line for line in lines if " -> ok " not in line]
    assert len(refused) > len(lines) // 2
    assert not [line for line in lines if " -> CRASH " in line]
    assert 'config people = "bogus" -> people: must map handles to contact details' in "\n".join(lines)
