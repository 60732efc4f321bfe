"""The runbooks: and checklists: sections of incli.yaml refused in one line naming the key (issue 19:
the mutation run found the key paths and bounds untested), and runbook links read from alerts."""

from __future__ import annotations

from typing import Any

import pytest

from incli.domain.config import config_from_dict
from incli.domain.runbooks import path_from_url
from incli.errors import InvalidInput

FILES = "must be a list of runbook files such as [runbooks/db-pool.md]"
TASK = "must be a task such as {task: Open a channel, within: 10m}"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"runbooks": {"alerts": {"HighLatency": [""]}}}, f"runbooks.alerts.HighLatency: {FILES}"),
        ({"runbooks": {"alerts": {"HighLatency": [3]}}}, f"runbooks.alerts.HighLatency: {FILES}"),
        ({"runbooks": {"alerts": {"HighLatency": {"a": 1}}}}, f"runbooks.alerts.HighLatency: {FILES}"),
        (
            {"runbooks": {"severity": {"SEV1": ["ok.md", "../secret.md"]}}},
            "runbooks.severity.SEV1: '../secret.md' is outside the repository; give a path inside it",
        ),
        (
            {"runbooks": {"alerts": {"X": ["runbooks\\..\\..\\secret.md"]}}},
            "runbooks.alerts.X: 'runbooks\\\\..\\\\..\\\\secret.md' is outside the repository",
        ),
        ({"runbooks": {"alerts": {"X": ["C:runbook.md"]}}}, "runbooks.alerts.X: 'C:runbook.md' is outside"),
        ({"runbooks": {"alerts": {"X": ["/etc/passwd"]}}}, "runbooks.alerts.X: '/etc/passwd' is outside"),
        ({"checklists": {"SEV1": "Open a channel"}}, "checklists.SEV1: must be a list of up to 50 tasks"),
        ({"checklists": {"SEV1": ["x"] * 51}}, "checklists.SEV1: must be a list of up to 50 tasks"),
        ({"checklists": {"default": ["Open a channel", 7]}}, f"checklists.default[1]: {TASK}"),
        ({"checklists": {"default": [{"task": "x", "by": "me"}]}}, "checklists.default[0].by: unknown key"),
        ({"checklists": {"default": [{"task": " "}]}}, "checklists.default[0].task: must be text of up to 200"),
        ({"checklists": {"default": [{"task": "x" * 201}]}}, "checklists.default[0].task: must be text of up to 200"),
        ({"checklists": {"default": [{"task": "x", "within": "soon"}]}}, "checklists.default[0].within: "),
    ],
)
def test_a_bad_runbook_or_checklist_is_one_line_naming_its_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        config_from_dict(section)
    assert str(refused.value).startswith(message)


def test_the_largest_checklist_and_a_single_runbook_file_are_read() -> None:
    config = config_from_dict(
        {
            "checklists": {"SEV1": ["x" * 200] * 50},
            "runbooks": {"alerts": {"HighLatency": " runbooks/latency.md "}},
        }
    )
    assert len(config.runbooks.checklists["SEV1"]) == 50
    assert config.runbooks.alerts == {"HighLatency": ("runbooks/latency.md",)}


def test_runbook_links_inside_the_repository() -> None:
    assert path_from_url("./runbooks/a.md") == "runbooks/a.md"
    assert path_from_url(" https://github.com/acme/ops/blob/main/./runbooks/a%20b.md ") == "runbooks/a b.md"
    assert path_from_url("mailto:runbooks/a.md") is None  # a scheme without a host is not a path
    assert path_from_url("runbooks/" + "a" * 988 + ".md") == "runbooks/" + "a" * 988 + ".md"  # 1000 characters
    assert path_from_url("runbooks/" + "a" * 989 + ".md") is None
    assert path_from_url("  ") is None and path_from_url("./") is None
