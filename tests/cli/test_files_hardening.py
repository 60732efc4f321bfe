"""Issue 12 (hardening): repository content can never make incli read outside the repository,
read without a bound, or expand without a bound; leftovers of killed runs are cleaned up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Run, take_snapshot

SECRET = "TOP-SECRET-OUTSIDE-THE-REPO"


def _open(run: Run, title: str = "DB down") -> str:
    result = run("open", title, "-s", "SEV2")
    assert result.code == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET + "\n")
    return folder


def _refused(result: object, *words: str) -> None:
    code, stdout, stderr = result.code, result.stdout, result.stderr  # type: ignore[attr-defined]
    assert code != 0
    assert SECRET not in stdout and SECRET not in stderr
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inc: error: "), stderr
    for word in words:
        assert word in lines[0]


# -- 4: templates never read through symlinks to outside ---------------------


def test_template_include_of_a_symlink_to_a_file_outside_is_refused(run: Run, repo: Path, outside: Path) -> None:
    incident = _open(run)
    templates = repo / "templates"
    templates.mkdir()
    (templates / "env.txt").symlink_to(outside / "secret.txt")
    (templates / "leak.md.j2").write_text('# {{ title }}\n{% include "env.txt" %}\n')
    before = take_snapshot(repo)
    _refused(run("postmortem", "render", incident, "--template", "leak"), "env.txt", "outside")
    assert take_snapshot(repo) == before


def test_template_include_of_proc_self_environ_is_refused(run: Run, repo: Path) -> None:
    incident = _open(run)
    templates = repo / "templates"
    templates.mkdir()
    (templates / "env.txt").symlink_to("/proc/self/environ")
    (templates / "leak.md.j2").write_text('{% include "env.txt" %}\n')
    result = run("postmortem", "render", incident, "--template", "leak", env={"LEAKME": SECRET})
    _refused(result, "outside")


def test_template_include_through_a_symlinked_folder_is_refused(run: Run, repo: Path, outside: Path) -> None:
    incident = _open(run)
    templates = repo / "templates"
    templates.mkdir()
    (templates / "sub").symlink_to(outside, target_is_directory=True)
    (templates / "leak.md.j2").write_text('{% include "sub/secret.txt" %}\n')
    _refused(run("postmortem", "render", incident, "--template", "leak"), "outside")


def test_a_template_that_is_itself_a_symlink_outside_is_refused(run: Run, repo: Path, outside: Path) -> None:
    incident = _open(run)
    (outside / "postmortem.md.j2").write_text("{{ title }} " + SECRET + "\n")
    templates = repo / "templates"
    templates.mkdir()
    (templates / "postmortem.md.j2").symlink_to(outside / "postmortem.md.j2")
    _refused(run("postmortem", "render", incident), "outside")
    # The same file named with --template as a path inside the templates folder.
    _refused(run("postmortem", "render", incident, "--template", str(templates / "postmortem.md.j2")), "outside")


def test_a_template_path_option_cannot_include_through_a_symlink(run: Run, repo: Path, tmp_path: Path) -> None:
    incident = _open(run)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "env.txt").symlink_to("/proc/self/environ")
    (mine / "t.md.j2").write_text('{% include "env.txt" %}\n')
    _refused(run("postmortem", "render", incident, "--template", str(mine / "t.md.j2")), "outside")


def test_symlinks_inside_the_templates_folder_still_work(run: Run, repo: Path) -> None:
    incident = _open(run)
    templates = repo / "templates"
    templates.mkdir()
    (templates / "part.txt").write_text("from the part\n")
    (templates / "alias.txt").symlink_to("part.txt")
    (templates / "ok.md.j2").write_text('# {{ title }}\n{% include "alias.txt" %}\n')
    result = run("postmortem", "render", incident, "--template", "ok")
    assert result.code == 0, result.stderr
    assert "from the part" in result.stdout


def test_report_refuses_a_postmortem_template_reading_outside(run: Run, repo: Path, outside: Path) -> None:
    incident = _open(run)
    assert run("resolve", incident).code == 0
    assert run("postmortem", "new", incident).code == 0
    templates = repo / "templates"
    templates.mkdir()
    (templates / "env.txt").symlink_to(outside / "secret.txt")
    (templates / "postmortem.md.j2").write_text('# {{ title }}\n{% include "env.txt" %}\n')
    # The report skips (and names) a postmortem it cannot render, like every reading command:
    # the site is written without it, and the secret is nowhere in it.
    result = run("report")
    assert result.code == 0 and SECRET not in result.stdout + result.stderr
    assert "outside" in result.stderr and "Traceback" not in result.stderr
    site = repo / "report"
    assert all(SECRET not in p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())


def test_report_refuses_a_static_file_linked_outside(run: Run, repo: Path, outside: Path) -> None:
    _open(run)
    (repo / "templates" / "report").mkdir(parents=True)
    (repo / "templates" / "report" / "style.css").symlink_to(outside / "secret.txt")
    before = take_snapshot(repo)
    _refused(run("report"), "outside")
    assert take_snapshot(repo) == before


def test_a_templates_folder_linked_outside_the_repository_is_refused(run: Run, repo: Path, outside: Path) -> None:
    incident = _open(run)
    (outside / "postmortem.md.j2").write_text(SECRET + "\n")
    (repo / "templates").symlink_to(outside, target_is_directory=True)
    _refused(run("postmortem", "render", incident), "templates_dir", "outside")
    _refused(run("report"), "templates_dir", "outside")


# -- 7: incident files are read with a bound, and only from inside ----------


def _run_with_timeout(run: Run, *args: str, seconds: int = 60) -> object:
    """``inc ARGS`` in a thread: a read of /dev/zero fails the test instead of hanging it."""
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(run, *args).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)


def _skipped(repo: Path, run: Run, name: str, reason: str) -> None:
    """``list``, ``metrics`` and ``validate`` skip the file, warn, and name it."""
    for args in (("list",), ("metrics",)):
        result = _run_with_timeout(run, *args)
        assert result.code == 0, result.stderr  # type: ignore[attr-defined]
        assert f"skipped {name}" in result.stderr or name in result.stderr, result.stderr  # type: ignore[attr-defined]
        assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    checked = _run_with_timeout(run, "validate")
    assert checked.code == 6, checked.stderr  # type: ignore[attr-defined]
    text = checked.stdout + checked.stderr  # type: ignore[attr-defined]
    assert name in text and reason in text, text
    assert SECRET not in text


def test_a_symlink_to_dev_zero_is_skipped_not_read(run: Run, repo: Path) -> None:
    _open(run)
    (repo / "incidents" / "INC-20250101-zzzzz.yaml").symlink_to("/dev/zero")
    _skipped(repo, run, "INC-20250101-zzzzz.yaml", "outside the repository")


def test_a_symlink_to_a_file_outside_the_repository_is_skipped(run: Run, repo: Path, outside: Path) -> None:
    incident = _open(run)
    copy = outside / "copy.yaml"
    copy.write_bytes((repo / "incidents" / f"{incident}.yaml").read_bytes())
    (repo / "incidents" / "INC-20250101-aaaaa.yaml").symlink_to(copy)
    _skipped(repo, run, "INC-20250101-aaaaa.yaml", "outside the repository")
    shown = run("show", "INC-20250101-aaaaa")
    assert shown.code != 0 and "outside the repository" in shown.stderr


def test_a_symlink_inside_the_repository_is_still_read(run: Run, repo: Path) -> None:
    incident = _open(run)
    (repo / "kept").mkdir()
    real = repo / "kept" / f"{incident}.yaml"
    os.replace(repo / "incidents" / f"{incident}.yaml", real)
    (repo / "incidents" / f"{incident}.yaml").symlink_to(real)
    result = run("list", "--json")
    assert result.code == 0 and [i["id"] for i in result.json] == [incident], result.stderr


def test_links_to_nothing_hide_no_other_incident(run: Run, repo: Path) -> None:
    # links left by a half-done checkout or a moved folder, among the files in any order
    made = sorted(_open(run, f"Outage {n}") for n in range(12))
    for n in range(6):
        (repo / "incidents" / f"INC-20250101-gone{n}.yaml").symlink_to(repo / "nowhere" / f"{n}.yaml")
    result = run("list", "--json")
    assert result.code == 0, result.stderr
    assert sorted(i["id"] for i in result.json) == made


def test_a_fifo_is_skipped_without_blocking(run: Run, repo: Path) -> None:
    _open(run)
    os.mkfifo(repo / "incidents" / "INC-20250101-fifoo.yaml")
    _skipped(repo, run, "INC-20250101-fifoo.yaml", "not a regular file (a FIFO, a device or a folder); not read")


def test_a_file_over_10_mib_is_skipped(run: Run, repo: Path) -> None:
    _open(run)
    big = repo / "incidents" / "INC-20250101-bigbb.yaml"
    with open(big, "wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    _skipped(repo, run, "INC-20250101-bigbb.yaml", "over the limit")


def test_the_bounded_reader_never_reads_past_the_limit(tmp_path: Path) -> None:
    from incli.storage.store import BrokenFile, read_incident_file

    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * 101)
    assert read_incident_file(path, tmp_path, limit=101) == b"x" * 101
    with pytest.raises(BrokenFile, match="over the limit"):
        read_incident_file(path, tmp_path, limit=100)


# -- 8: YAML aliases in incident files ------------------------------------

BOMB = (
    "id: INC-20250101-bombb\n"
    "title: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
)


def test_yamlio_load_refuses_aliases_with_their_line() -> None:
    from incli.storage import fastyaml, yamlio

    for data in (BOMB.encode(), BOMB):  # bytes from a file, or text
        with pytest.raises(yamlio.YamlError, match="aliases") as caught:
            yamlio.load(data)
        assert caught.value.line == 3
    assert fastyaml.load(BOMB.encode()) is None  # the fast reader leaves it to yamlio
    simple = b"id: INC-1\ntitle: &t Title\nsummary: *t\n"
    assert fastyaml.load(simple) is None
    with pytest.raises(yamlio.YamlError, match="aliases"):
        yamlio.load(simple)
    # A star in text is not an alias.
    assert yamlio.load(b"title: '5 * 3'\nnote: a * b\n") == {"title": "5 * 3", "note": "a * b"}


def test_an_incident_file_with_aliases_is_skipped_and_reported(run: Run, repo: Path) -> None:
    incident = _open(run)
    path = repo / "incidents" / f"{incident}.yaml"
    text = path.read_text()
    lines = text.splitlines()
    title_at = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[title_at] = "title: &t DB down"
    lines.append("summary: *t")
    path.write_text("\n".join(lines) + "\n")
    listed = run("list")
    assert listed.code == 0
    assert f"skipped {path.name}" in listed.stderr or path.name in listed.stderr, listed.stderr
    checked = run("validate")
    assert checked.code == 6
    report = checked.stdout + checked.stderr
    assert f"{path.name}:{len(lines)}" in report and "aliases" in report, report
    bomb = repo / "incidents" / "INC-20250101-bombb.yaml"
    bomb.write_text(BOMB)
    result = _run_with_timeout(run, "validate", seconds=60)
    assert result.code == 6 and "INC-20250101-bombb.yaml:3" in result.stdout + result.stderr  # type: ignore[attr-defined]


# -- 15: what killed runs leave is cleaned up ---------------------------------


def _dead_pid() -> int:
    """The pid of a process that has exited."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_write_leaves_a_tmp_file_the_next_reading_of_the_folder_removes(run: Run, repo: Path) -> None:
    incident = _open(run)
    folder = repo / "incidents"
    dead = folder / f".{incident}.yaml.{_dead_pid()}-abcd1234.tmp"
    dead.write_text("half a file")
    old = folder / f".{incident}.yaml.oldstyle.tmp"
    old.write_text("from before pids were in the name")
    os.utime(old, (0, 0))
    alive = folder / f".{incident}.yaml.{os.getpid()}-abcd1234.tmp"
    alive.write_text("a write in progress")
    recent = folder / f".{incident}.yaml.recent.tmp"
    recent.write_text("no pid, recent")
    assert run("note", incident, "still here").code == 0  # a write never lists the folder
    assert dead.exists()
    checked = run("validate")
    assert checked.code == 0, checked.stdout + checked.stderr  # validate ignores them
    assert ".tmp" not in checked.stdout + checked.stderr
    assert not dead.exists() and not old.exists()  # the first read of the whole folder cleans up
    assert alive.exists() and recent.exists()


def test_a_killed_report_leaves_a_building_folder_the_next_report_removes(run: Run, repo: Path) -> None:
    _open(run)
    dead = repo / f".report.building-{_dead_pid()}-abcd1234"
    dead.mkdir()
    (dead / "index.html").write_text("half a report")
    old = repo / ".report.old-zzzz1111"
    old.mkdir()
    os.utime(old, (0, 0))
    alive = repo / f".report.building-{os.getpid()}-abcd1234"
    alive.mkdir()
    other = repo / f".notes.building-{_dead_pid()}-abcd1234"
    other.mkdir()
    result = run("report")
    assert result.code == 0, result.stderr
    assert not dead.exists() and not old.exists()
    assert alive.exists() and other.exists()
    assert not [p for p in repo.iterdir() if p.name.startswith(".report.") and p != alive]


# -- 16: the default report folder is ignored by git; inc sync names what blocks it


def _git(cwd: Path, *args: str) -> str:
    import subprocess

    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def git_repo(tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> Path:
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Tester")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "tester@example.com")
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    root = tmp_path / "clone"
    _git(tmp_path, "init", "-q", "-b", "main", str(root))
    _git(root, "remote", "add", "origin", str(remote))
    assert run("init", str(root)).code == 0
    monkeypatch.setenv("INC_DIR", str(root))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "init")
    return root


def test_the_default_report_folder_does_not_block_sync(run: Run, git_repo: Path) -> None:
    _open(run)
    assert run("report").code == 0
    assert (git_repo / "report" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert "report/" not in _git(git_repo, "status", "--porcelain", "--untracked-files=all")
    result = run("sync", "--commit")
    assert result.code == 0, result.stderr


def test_sync_names_the_paths_that_block_it(run: Run, git_repo: Path) -> None:
    _open(run)
    assert run("report", "-o", str(git_repo / "site")).code == 0
    assert not (git_repo / "site" / ".gitignore").exists()  # a folder named with -o may be committed
    (git_repo / "notes.txt").write_text("mine\n")
    result = run("sync", "--commit")
    assert result.code != 0
    assert len(result.err_lines) == 1
    assert "changes outside the incident repository" in result.stderr
    assert "notes.txt" in result.stderr and "site/ (" in result.stderr and "untracked files)" in result.stderr


def test_hidden_and_other_files_in_the_incident_folder_are_not_incidents(run: Run, repo: Path) -> None:
    """An editor's hidden copy (.INC-...yaml), a note beside the files and a half-written temporary
    of another program are neither listed nor warned about."""
    incident = _open(run)
    text = (repo / "incidents" / f"{incident}.yaml").read_text()
    (repo / "incidents" / f".{incident}.yaml").write_text(text.replace("Pool", "Hidden"))
    (repo / "incidents" / "README.md").write_text("# incidents\n")
    (repo / "incidents" / "notes.yaml.txt").write_text("not: an incident\n")
    result = run("list", "--json")
    assert result.code == 0 and [i["id"] for i in result.json] == [incident], result.stderr
    assert result.stderr == ""
    assert (repo / "incidents" / f".{incident}.yaml").exists()
