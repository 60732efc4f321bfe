"""Shell completion in-process (``tab``: the environment bash's completion function sets, given to
the command group without a new Python each time): ids, actions, severities, roles, sections,
commands, services. tests/e2e/test_completion.py runs the installed ``inc`` as the shells do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main

from incli.cli.app import app
from incli.service import complete as complete_service
from tests.conftest import inc, shared

GROUP: Any = typer.main.get_command(app)


@pytest.fixture(scope=shared)
def team(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two resolved incidents, then two active ones (newest last), and one action item."""
    root = tmp_path_factory.mktemp("completion") / "repo"
    inc("init", root)
    made = []
    for title, at in (("Old outage", "3d ago"), ("Older slowness", "2d ago"), ("DB pool", "2h ago"), ("CDN", "1h ago")):
        made.append(inc("open", title, "-s", "SEV2", "--at", at, root=root).stdout.strip())
    for resolved in made[:2]:
        inc("resolve", resolved, root=root)
    action = inc("action", "add", made[0], "Alert on saturation", "--owner", "priya", "--due", "1w", root=root)
    return {"root": root, "resolved": made[:2], "active": made[2:], "action": action.stdout.strip()}


def _cword(words: str) -> str:
    return str(len(words.split()) - (0 if words.endswith(" ") else 1))


def tab(root: Path, words: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What bash is offered for ``words``, in-process."""
    with monkeypatch.context() as patch:  # only for this TAB: a later inc(...) runs as itself
        patch.chdir(root)
        patch.delenv("INC_DIR", raising=False)
        for name, value in (("_INC_COMPLETE", "complete_bash"), ("COMP_WORDS", words), ("COMP_CWORD", _cword(words))):
            patch.setenv(name, value)
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            GROUP.main([], prog_name="inc")
        out, err = capsys.readouterr()
    assert (done.value.code, err) == (0, ""), err
    return out.split()


def test_typed_start_of_an_id_offers_every_id_active_first(
    team: dict, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, active, resolved = team["root"], team["active"], team["resolved"]
    assert tab(root, "inc show INC-", capsys, monkeypatch) == [active[1], active[0], resolved[1], resolved[0]]
    assert tab(root, f"inc show {resolved[0][:-2]}", capsys, monkeypatch) == [resolved[0]]
    assert tab(root, "inc note ", capsys, monkeypatch) == [active[1], active[0]]
    assert tab(root, f"inc note {active[0]} ", capsys, monkeypatch) == []  # the text: nothing to offer
    assert tab(root.parent, f"inc --dir {root} ack ", capsys, monkeypatch) == [active[1], active[0]]


def test_bash_offers_actions_severities_roles_sections_and_commands(
    team: dict, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = team["root"]

    def offered(words: str) -> list[str]:
        return tab(root, words, capsys, monkeypatch)

    assert offered("inc action done ") == [team["action"]]
    assert offered("inc open x -s ") == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert offered("inc assign x ") == ["commander", "comms", "scribe"]
    assert "root-cause" in offered("inc postmortem add x ")
    assert offered("inc list --status a") == ["acknowledged", "active"]
    assert offered("inc help ex") == ["exit-codes"]
    assert offered("inc mi") == ["mitigate"]
    assert "--severity" in offered("inc list --")


def test_a_new_incident_is_offered_at_once(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = inc("open", "DB pool", "-s", "SEV2", "--at", "1h ago").stdout.strip()
    monkeypatch.setattr(complete_service, "SETTLE_NS", -(10**18))  # as if the folder had settled long ago
    assert tab(repo, "inc show INC-", capsys, monkeypatch) == [first]
    assert (repo / ".incli" / "index-completion.marshal").is_file()
    new = inc("open", "Queue backlog", "-s", "SEV3").stdout.strip()
    assert tab(repo, "inc show INC-", capsys, monkeypatch) == [new, first]
    inc("resolve", new)
    assert tab(repo, "inc ack ", capsys, monkeypatch) == [first]


def test_service_options_offer_the_catalog_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "r"
    inc("init", root)
    assert tab(root, "inc open x --service ", capsys, monkeypatch) == []  # no catalog: nothing to offer
    (root / "catalog.yaml").write_text("services:\n  payments: {team: pay, tier: 1}\n  search: {}\n  pager: {}\n")
    assert tab(root, "inc open x --service ", capsys, monkeypatch) == ["payments", "search", "pager"]
    assert tab(root, "inc gate --service pa", capsys, monkeypatch) == ["payments", "pager"]


def test_action_items_edited_by_hand_into_other_shapes_are_skipped(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ident = inc("open", "DB pool", "-s", "SEV2").stdout.strip()
    action = inc("action", "add", ident, "Alert on saturation", "--owner", "priya", "--due", "1w").stdout.strip()
    path = next((repo / "incidents").glob(f"{ident}*.yaml"))
    text = path.read_text()
    assert "\nactions:\n- " in text
    # an item written as bare text, one without an id, one with an empty id
    path.write_text(text.replace("\nactions:\n", "\nactions:\n- call the DBA\n- {title: no id yet}\n- {id: ''}\n"))
    assert tab(repo, "inc action done ", capsys, monkeypatch) == [action]
