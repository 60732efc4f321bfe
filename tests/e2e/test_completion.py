"""Shell completion as a shell asks for it: the environment bash's (or zsh's, fish's) completion
function sets, given to the installed ``inc`` in a subprocess, and once through bash itself with
the script ``inc --install-completion`` installs. The many smaller cases run the same completion
in-process (``tab``), which is the same code without a Python start each."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from incli.cli.app import app
from incli.service import complete as complete_service
from tests.conftest import inc

INSTALLED = Path(sys.executable).parent / "inc"


@pytest.fixture(scope="module")
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


def complete(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not INSTALLED.exists():
        pytest.skip("inc is not installed next to this Python")
    base = {k: v for k, v in os.environ.items() if k not in ("INC_DIR", "INC_DEBUG")}
    return subprocess.run(
        [str(INSTALLED)], env={**base, **env}, cwd=root, capture_output=True, text=True, timeout=60, check=False
    )


GROUP: Any = typer.main.get_command(app)


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


def bash(root: Path, words: str) -> list[str]:
    ran = complete(root, {"_INC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": _cword(words)})
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    return ran.stdout.split()


def test_bash_offers_the_active_incidents_newest_first(team: dict) -> None:
    assert bash(team["root"], "inc ack ") == [team["active"][1], team["active"][0]]  # nothing typed: the active ones


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


def test_zsh_and_fish_show_each_id_with_its_status_and_title(team: dict) -> None:
    root = team["root"]
    newest = team["active"][1]
    zsh = complete(root, {"_INC_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "inc ack "})
    assert f'"{newest}":"open\\\\: CDN"' in zsh.stdout, zsh.stdout
    fish = complete(
        root,
        {
            "_INC_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_ARGS": "inc ack ",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        },
    )
    assert f"{newest}\topen: CDN" in fish.stdout.splitlines(), fish.stdout


def test_outside_a_repository_a_tab_offers_nothing_and_says_nothing(tmp_path: Path) -> None:
    ran = complete(tmp_path, {"_INC_COMPLETE": "complete_bash", "COMP_WORDS": "inc ack ", "COMP_CWORD": "2"})
    assert (ran.returncode, ran.stdout.strip(), ran.stderr) == (0, "", "")


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_through_bash_with_the_installed_script(team: dict) -> None:
    root = team["root"]
    script = complete(root, {"_INC_COMPLETE": "source_bash"}).stdout
    assert "complete -o default -F _inc_completion inc" in script
    program = (
        script + '\nCOMP_WORDS=(inc resolve ""); COMP_CWORD=2; _inc_completion inc; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{INSTALLED.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("INC_DIR", None)
    ran = subprocess.run(
        ["bash", "--norc", "-c", program], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.stdout.split() == [team["active"][1], team["active"][0]], ran.stderr


def test_service_options_offer_the_catalog_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "r"
    inc("init", root)
    assert tab(root, "inc open x --service ", capsys, monkeypatch) == []  # no catalog: nothing to offer
    (root / "catalog.yaml").write_text("services:\n  payments: {team: pay, tier: 1}\n  search: {}\n  pager: {}\n")
    assert tab(root, "inc open x --service ", capsys, monkeypatch) == ["payments", "search", "pager"]
    assert tab(root, "inc gate --service pa", capsys, monkeypatch) == ["payments", "pager"]
