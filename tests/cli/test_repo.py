"""``inc init``, the severity config, and finding the repository."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from incli.errors import ExitCode
from tests.conftest import T0, inc, take_snapshot

DEFAULT_SEVERITIES = [
    {
        "id": "SEV1",
        "name": "critical",
        "description": "Complete service outage",
        "response_time": "5m",
        "escalate_to": "VP Engineering",
        "update_every": "15m",
    },
    {
        "id": "SEV2",
        "name": "high",
        "description": "Significant degradation",
        "response_time": "15m",
        "escalate_to": "Engineering Manager",
        "update_every": "30m",
    },
    {
        "id": "SEV3",
        "name": "medium",
        "description": "Minor degradation",
        "response_time": "1h",
        "escalate_to": "Team Lead",
        "update_every": "1h",
    },
    {
        "id": "SEV4",
        "name": "low",
        "description": "Minimal impact",
        "response_time": "4h",
        "escalate_to": "On-call engineer",
        "update_every": "1d",
    },
]


def test_init_creates_config_and_folder(tmp_path: Path) -> None:
    root = tmp_path / "team-incidents"
    result = inc("init", str(root))
    assert result.code == 0, result.stderr
    assert (root / "incli.yaml").is_file()
    assert (root / "incidents").is_dir()
    assert "Created" in result.stderr
    assert result.stdout == ""


def test_init_defaults_to_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert inc("init").code == 0
    assert (tmp_path / "incli.yaml").is_file()


def test_init_again_changes_nothing_and_says_so(repo: Path) -> None:
    incident_id = inc("open", "x", "-s", "2", "--at", T0).stdout.strip()
    inc("note", incident_id, "hello", "--at", T0)
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "# our own comment\n")
    before = take_snapshot(repo)
    result = inc("init", str(repo))
    assert result.code == 0
    assert "already" in result.stderr and "nothing changed" in result.stderr
    assert take_snapshot(repo) == before


def test_init_in_a_fresh_clone_keeps_the_data(repo: Path, tmp_path: Path) -> None:
    """A clone has the config and incidents but not the local state folder."""
    incident_id = inc("open", "x", "-s", "2", "--at", T0).stdout.strip()
    import shutil

    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, ignore=shutil.ignore_patterns(".incli"))
    before = {k: v for k, v in take_snapshot(clone).items()}
    result = inc("init", str(clone))
    assert result.code == 0
    after = take_snapshot(clone)
    assert {k: v for k, v in after.items() if not k.startswith(".incli")} == before
    assert inc("--dir", str(clone), "show", incident_id, "--json").json["id"] == incident_id


def test_default_severities_exactly(repo: Path) -> None:
    config = yaml.safe_load((repo / "incli.yaml").read_text())
    assert config["severities"] == DEFAULT_SEVERITIES


def test_config_is_commented(repo: Path) -> None:
    text = (repo / "incli.yaml").read_text()
    assert text.startswith("#")
    assert "rename, add or remove" in text


TEAM_CONFIG = """\
severities:
  - id: P0
    name: emergency
    description: Everything is down
    response_time: 2m
    escalate_to: CTO
    update_every: 10m
  - id: P1
    name: major
    description: A big part is down
    response_time: 10m
    escalate_to: Head of SRE
    update_every: 30m
  - id: P2
    name: minor
    description: Something is off
    response_time: 1h
    escalate_to: Team Lead
"""


@pytest.fixture
def team_repo(repo: Path) -> Path:
    (repo / "incli.yaml").write_text(TEAM_CONFIG)
    return repo


@pytest.mark.parametrize(
    ("given", "stored"), [("P0", "P0"), ("p1", "P1"), ("emergency", "P0"), ("minor", "P2"), ("2", "P2")]
)
def test_team_levels_are_used(team_repo: Path, given: str, stored: str) -> None:
    result = inc("open", "x", "-s", given, "--at", T0, "--json")
    assert result.code == 0, result.stderr
    assert result.json["severity"] == stored


@pytest.mark.parametrize("removed", ["SEV1", "sev2", "high", "SEV4"])
def test_removed_default_levels_are_refused(team_repo: Path, removed: str) -> None:
    result = inc("open", "x", "-s", removed, "--at", T0, code=None)
    assert result.code == ExitCode.INVALID
    assert "P0" in result.stderr and "P2" in result.stderr


def test_team_level_response_time_drives_overdue(team_repo: Path) -> None:
    inc("open", "x", "-s", "P0", "--at", T0)
    row = inc("status", "--json").json[0]
    due = {o["what"]: o["due_at"] for o in row["overdue"]}
    assert due["acknowledgement"] == "2025-01-15T14:32:00+00:00"  # 2m
    assert due["update"] == "2025-01-15T14:40:00+00:00"  # 10m


def test_bad_team_config_is_one_line(team_repo: Path) -> None:
    (team_repo / "incli.yaml").write_text("severities:\n  - name: no id\n")
    result = inc("list", code=None)
    assert result.code == ExitCode.INVALID  # a value in incli.yaml that cannot be used, like every config value
    assert len(result.stderr.splitlines()) == 1 and "incli.yaml:2: severities[0]" in result.stderr


# -- discovery -----------------------------------------------------------------


def make(tmp_path: Path, name: str) -> tuple[Path, str]:
    root = tmp_path / name
    assert inc("init", str(root)).code == 0
    incident_id = inc("--dir", str(root), "open", name, "-s", "2", "--at", T0).stdout.strip()
    return root, incident_id


def titles(result) -> list[str]:  # type: ignore[no-untyped-def]
    assert result.code == 0, result.stderr
    return [i["title"] for i in result.json]


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_dir, _ = make(tmp_path, "by-dir")
    by_env, _ = make(tmp_path, "by-env")
    walked, _ = make(tmp_path, "walked")
    deep = walked / "incidents" / "sub" / "deeper"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert titles(inc("list", "--json")) == ["walked"]
    monkeypatch.setenv("INC_DIR", str(by_env))
    assert titles(inc("list", "--json")) == ["by-env"]
    assert titles(inc("--dir", str(by_dir), "list", "--json")) == ["by-dir"]
    assert titles(inc("-C", str(by_dir), "list", "--json")) == ["by-dir"]


def test_none_found_says_where_it_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)
    monkeypatch.chdir(start)
    result = inc("status", code=None)
    assert result.code == ExitCode.NOT_FOUND
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert str(start) in lines[0] and "above" in lines[0] and "inc init" in lines[0]


def test_init_makes_every_missing_folder_of_the_path(tmp_path: Path) -> None:
    root = tmp_path / "teams" / "payments" / "incidents-repo"
    inc("init", str(root))
    assert (root / "incli.yaml").is_file() and (root / "incidents").is_dir()
    assert inc("list", "--json", root=root).json == []


def test_open_makes_a_configured_incidents_folder_that_is_missing(repo: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "incidents_dir: data/2025/incidents\n")
    ident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0).stdout.strip()
    assert (repo / "data" / "2025" / "incidents" / f"{ident}.yaml").is_file()


def test_an_unchanged_config_is_not_parsed_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """incli.yaml is parsed once per change: every later command reads it from .incli/."""
    from incli.storage import fastyaml, yamlio
    from incli.storage import repo as repomod

    first = repomod.load_repository(repo)

    def refuse(*_args: object) -> None:
        raise AssertionError("incli.yaml parsed again although it did not change")

    monkeypatch.setattr(fastyaml, "load", refuse)
    monkeypatch.setattr(yamlio, "load_with_lines", refuse)
    again = repomod.load_repository(repo)
    assert again.config == first.config and again.config_digest == first.config_digest
    # a change is read again, by the new text
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "\n# a comment\n")
    monkeypatch.undo()
    assert repomod.load_repository(repo).config == first.config


def test_a_config_cache_from_another_version_is_not_used(repo: Path) -> None:
    from incli.storage import repo as repomod
    from incli.storage import sealed

    cache = repo / ".incli" / repomod.CONFIG_CACHE
    repomod.load_repository(repo)
    text = (repo / "incli.yaml").read_bytes()
    wrong = yaml.safe_load(text)
    wrong["severities"] = wrong["severities"][:1]
    sealed.save(cache, ("incli-config", 1, "0.0.0-other", (3, 0)), (text, wrong))
    assert len(repomod.load_repository(repo).config.severities) == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"timezone: UTC\ntitle: \xc3\x28\n", "{path}:2: not valid UTF-8; save the file as UTF-8"),
        (b"- a\n- b\n", "{path}: expected a mapping of settings at the top level"),
        (b"severities: 3\n", "{path}:1: severities: must be a non-empty list"),
        (b"schema: 1\ntimezone: UTC\nschema: 1\n", "{path}:3: schema is written twice (also at line 1); keep one"),
    ],
)
def test_a_config_problem_names_the_line_only_when_there_is_one(repo: Path, text: bytes, message: str) -> None:
    config = repo / "incli.yaml"
    config.write_bytes(text)
    result = inc("list", code=None)
    assert result.code in (ExitCode.INVALID, ExitCode.PROBLEMS), result.stderr
    [line] = result.err_lines
    assert line.startswith("inc: error: " + message.format(path=config)), line
    assert ":None" not in line


def test_without_an_incidents_folder_every_reading_command_finds_nothing(repo: Path) -> None:
    (repo / "incidents" / ".gitignore").unlink()
    (repo / "incidents").rmdir()  # deleted by hand, or never pulled
    assert inc("list", "--json").json == []
    assert inc("export").json == []
    assert inc("metrics", "--json").json["count"] == 0
    assert "No incidents match." in inc("list").stderr
    assert inc("validate").code == 0 and inc("status").code == 0


def test_an_incidents_path_that_is_a_file_refuses_a_new_incident_in_one_line(repo: Path) -> None:
    (repo / "incidents" / ".gitignore").unlink()
    (repo / "incidents").rmdir()
    (repo / "incidents").write_text("not a folder\n")
    refused = inc("open", "Checkout errors", "-s", "SEV2", code=ExitCode.STORAGE)
    [line] = refused.err_lines
    assert line.startswith(f"inc: error: cannot write {repo}/incidents/INC-") and line.endswith(": File exists"), line
    assert (repo / "incidents").read_text() == "not a folder\n"


def test_init_makes_a_configured_incidents_folder_with_its_parents(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "incli.yaml").write_text("schema: 1\nincidents_dir: data/2025/incidents\n")  # a clone's own config
    inc("init", str(root))
    assert (root / "data" / "2025" / "incidents" / ".gitignore").is_file()


def test_init_in_a_clone_whose_state_folder_cannot_be_made_still_succeeds(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / ".incli").write_text("a file where incli keeps its local state\n")
    made = inc("init", str(root))
    assert made.code == 0 and (root / "incidents").is_dir()
    assert (root / ".incli").read_text() == "a file where incli keeps its local state\n"


def test_an_incidents_folder_linked_outside_the_repository_is_refused_in_one_line(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repo / "incidents" / ".gitignore").unlink()
    (repo / "incidents").rmdir()
    (repo / "incidents").symlink_to(outside)
    refused = inc("list", code=ExitCode.PROBLEMS)
    assert refused.err_lines == [
        f"inc: error: {repo / 'incli.yaml'}: incidents_dir: {repo / 'incidents'} is a link to {outside}, outside the "
        "repository; make it a folder inside the repository"
    ]
