"""``inc ingest alertmanager``: a notification from a file or stdin, and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from incli.storage.repo import init_repository
from tests.alertpayloads import alert, dumps, firing_two, notification
from tests.conftest import inc


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


def files(root: Path) -> list[Path]:
    return sorted((root / "incidents").glob("*.yaml"))


def load(root: Path) -> dict:
    (path,) = files(root)
    return yaml.safe_load(path.read_text())


def test_cli_reads_a_file_and_stdin(repo: Path, tmp_path: Path) -> None:
    payload = tmp_path / "firing.json"
    payload.write_text(dumps(firing_two()))
    first = inc("ingest", "alertmanager", str(payload), root=repo)
    assert first.code == 0, first.stderr
    incident_id = first.stdout.strip()
    assert incident_id.startswith("INC-")
    second = inc("ingest", "alertmanager", "-", "--json", input=dumps(firing_two()), root=repo)
    assert second.code == 0
    assert json.loads(second.stdout) == {
        "action": "unchanged",
        "incident": incident_id,
        "message": f"{incident_id} already records this notification",
    }
    data = load(repo)
    assert data["started_at"] == "2025-01-15T14:27:30.100000+00:00"
    assert data["detected_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "malformed JSON"),
        ('{"hello": "world"}', "not an Alertmanager notification"),
        (json.dumps({**firing_two(), "version": "3"}), "version '3' is not supported"),
        (json.dumps({**firing_two(), "alerts": []}), "non-empty list"),
        (json.dumps(notification([alert("a", starts="soon")])), "startsAt 'soon' is not an RFC 3339 time"),
    ],
)
def test_cli_refuses_what_is_not_an_alertmanager_payload(repo: Path, text: str, message: str) -> None:
    result = inc("ingest", "alertmanager", "-", input=text, root=repo, code=None)
    assert result.code == 4
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert files(repo) == []


def test_cli_missing_file(repo: Path) -> None:
    result = inc("ingest", "alertmanager", "nope.json", root=repo, code=None)
    assert result.code == 3
    assert "no such file: nope.json" in result.stderr


def test_bad_alerts_config_is_one_line(repo: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "alerts:\n  severity_map: {critical: SEV9}\n")
    result = inc("ingest", "alertmanager", "-", input=dumps(firing_two()), root=repo, code=None)
    assert result.code == 4
    assert "alerts.severity_map.critical" in result.stderr
    assert files(repo) == []


def test_a_group_without_groupkey_or_labels_to_stand_in_is_refused(repo: Path) -> None:
    """Two alerts with no groupKey, groupLabels or commonLabels: nothing to tell the group by."""
    payload = {"alerts": [alert("db-1"), alert("db-2")]}
    result = inc("ingest", "alertmanager", "-", input=dumps(payload), root=repo, code=4)
    assert result.stderr == "inc: error: stdin: groupKey is missing and there are no groupLabels to stand in for it\n"
    assert files(repo) == []
