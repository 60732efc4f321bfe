"""Every way an incident file can be wrong, and what ``inc validate`` says of each (issue 19: the
mutation run found the words of the file checks, and fields read from the wrong key, untested).

The example's richest incident (postmortem, action items), with the other keys incli writes added
(public title, private, links, tasks, an import's source), is spoiled one place at a time: each
key removed, an unknown key added to each mapping, each value replaced by each of a few wrong
values. For each, the file is written as incli writes files and checked as ``inc validate`` checks
it; the answer (its findings, file and line, or "ok" with a digest of what ``inc metrics`` and
``inc list`` read from it) is compared with tests/unit/incident_golden.txt. Regenerate after a
deliberate change and review the diff:

    INCLI_UPDATE_GOLDEN=1 pytest tests/unit/test_incident_golden.py
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from incli.domain.config import config_from_dict
from incli.domain.metrics import facts_from_incident
from incli.domain.model import incident_from_dict
from incli.errors import IncError
from incli.service.validate import check_file
from incli.storage import yamlio
from incli.storage.repo import Repository
from tests.spoil import check_golden, digest, spoiled

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("incident_golden.txt")
REPO = Repository(root=Path("/nonexistent"), config=config_from_dict({}))


def rich_incident() -> dict[str, Any]:
    data = yamlio.load((ROOT / "examples/acme/incidents/INC-20250115-txm67.yaml").read_bytes())
    data.update(
        {
            "public_title": "Checkout was failing",
            "private": False,
            "links": [{"id": "INC-20250115-2rypa", "as": "duplicate"}],
            "tasks": [
                {"id": "T1", "title": "Open a channel", "due_at": None, "done_at": "2025-01-15T14:31:00+00:00"},
                {"id": "T2", "title": "Page the owner", "due_at": "2025-01-15T14:40:00+00:00", "done_at": None},
            ],
            "source": {"system": "pagerduty", "id": "PAAA111", "url": "https://example.pagerduty.com/incidents/P"},
        }
    )
    return dict(data)


def answer(data: Any) -> str:
    name = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else "unnamed"
    path = Path("incidents") / f"{name}.yaml"
    try:
        text = yamlio.dump(data).encode()
        _, findings = check_file(path, text, REPO)
    except Exception as crash:  # noqa: BLE001 - on record as a crash, which must never be
        return f"CRASH {type(crash).__name__}: {crash}"
    if findings:
        return " | ".join(str(f) for f in findings)
    try:
        return f"ok {digest(facts_from_incident(incident_from_dict(data)))}"
    except IncError as refused:
        return f"valid but unreadable: {refused}"


def test_every_spoiled_incident_gets_the_findings_on_record() -> None:
    data = rich_incident()
    got = [f"incident (as given) -> {answer(data)}"]
    got += [f"incident {where} -> {answer(changed)}" for where, changed in spoiled(copy.deepcopy(data))]
    check_golden(GOLDEN, got)


def test_the_incident_as_given_is_clean_and_most_spoils_are_found() -> None:
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("incident (as given) -> ok ")
    found = [line for line in lines if " -> ok " not in line]
    assert len(found) > len(lines) // 2
    assert not [line for line in lines if "valid but unreadable" in line]
