"""Help as a person reads it: ``inc --help`` in panels from the one command table, no Typer
placeholders, examples that end every command's help (and that parse), ``inc help TOPIC`` built
from the tables the code uses, ``-V`` and ``-v``."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import typer.main

from incli.cli import commands
from incli.cli.app import app
from incli.cli.helptopics import CONFIG_KEYS, TOPICS
from incli.domain import hooks, metrics, times
from incli.domain.config import TOP_LEVEL_KEYS
from incli.errors import MEANINGS, ExitCode
from tests.conftest import Ran

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _paths(command: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    if getattr(command, "hidden", False):
        return []
    found = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _paths(sub, (*path, name))
    return found


GROUP: Any = typer.main.get_command(app)  # built once: every run below is made on it
PATHS = _paths(GROUP)


def test_every_command_is_in_the_table_and_the_table_names_only_commands() -> None:
    group = typer.main.get_command(app)
    registered = set(group.commands)  # type: ignore[attr-defined]
    assert registered == set(commands.COMMANDS)
    for path in PATHS[1:]:
        assert " ".join(path) in commands.EXAMPLES, f"no examples for inc {' '.join(path)}"


def test_help_lists_the_panels_in_order_each_with_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    text = _run(capsys, "--help").stdout
    titles = re.findall(r"╭─ (.+?) ─", text)
    assert titles == ["Options", *commands.PANELS]
    for name, entry in commands.COMMANDS.items():
        if entry.panel is None:
            assert f"│ {name} " not in text
            continue
        panel = text[text.index(f"╭─ {entry.panel} ") :]
        panel = panel[: panel.index("╰")]
        assert re.search(rf"│ {re.escape(name)}\s", panel), (name, entry.panel)


def _run(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> Ran:
    """``inc ARGS`` on the one GROUP (faster than building the app for every run)."""
    capsys.readouterr()
    got = GROUP.main(list(args), prog_name="inc", standalone_mode=False)
    out, err = capsys.readouterr()
    assert got == code, (args, got, out, err)
    return Ran(got, out, err)


def _help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> str:
    return _run(capsys, *path, "--help").stdout


def test_help_has_no_placeholders_and_ends_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert len(PATHS) > 40
    for path in PATHS:
        text = _help(path, capsys)
        assert not re.search(r"<(bool|str|int|text|path|list\[str\]|float)>", text), (path, text)
        usage = next(line for line in text.splitlines() if "Usage:" in line)
        assert "{" not in usage, usage
        lines = [line.strip() for line in text.rstrip().splitlines()]
        examples = commands.EXAMPLES[" ".join(path)]
        assert lines[-len(examples) - 1] == "Examples:", (path, lines[-4:])
        assert lines[-len(examples) :] == [f"$ {example}" for example in examples], path


def _rest(ctx: Any) -> list[str]:
    """What a context left unparsed (Click keeps a group's subcommand apart)."""
    protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", None) or []
    return [*protected, *ctx.args]


def _parses(argv: list[str]) -> None:
    """The example names a real command and only options it has (nothing runs: a leaf
    command's context is made, not invoked; a required value left out is fine)."""
    from typer._click.exceptions import MissingParameter

    command: Any = GROUP
    ctx = command.make_context("inc", list(argv))
    args = _rest(ctx)
    while args and hasattr(command, "commands"):
        name, sub, args = command.resolve_command(ctx, args)
        assert sub is not None, argv
        command = sub
        try:
            ctx = command.make_context(name, args, parent=ctx)
        except MissingParameter:
            return
        args = _rest(ctx)
    assert args == [], (argv, args)


def test_every_example_names_a_command_and_options_it_has() -> None:
    for path, examples in commands.EXAMPLES.items():
        for example in examples:
            words = shlex.split(example.split("|")[-1])
            assert words[0] == "inc"
            if path:
                assert " ".join(words[1:]).replace("--dir examples/acme ", "").startswith(path), example
            _parses(words[1:])


def test_an_unknown_option_in_an_example_would_be_caught() -> None:
    with pytest.raises(Exception):  # noqa: B017 - click's own error for an unknown option
        _parses(["open", "Title", "--no-such-option"])


def test_inc_help_alone_lists_the_topics_and_an_unknown_one_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    listed = _run(capsys, "help").stdout
    for name in TOPICS:
        assert re.search(rf"^  {re.escape(name)}\s", listed, re.M), name
    bad = _run(capsys, "help", "timez", code=ExitCode.USAGE)
    assert bad.stdout == ""
    assert bad.err_lines == ["inc: error: no help topic 'timez'; topics: times, config, exit-codes, metrics, hooks"]


def test_help_times_shows_every_form_the_parser_takes(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_run(capsys, "help", "times").stdout.split())
    now = datetime(2025, 1, 15, 16, 0, tzinfo=UTC)
    for examples, meaning in times.FORMS:
        for example in examples:
            assert example in text
            times.parse_time(example, now)  # each one is accepted as written
        assert " ".join(meaning.replace("`", "").split()) in text


def test_readme_times_table_is_the_one_in_domain_times() -> None:
    for examples, meaning in times.FORMS:
        row = f"| {', '.join(f'`{e}`' for e in examples)} | {meaning} |"
        assert row in README, row


def test_help_exit_codes_is_errors_exit_code_and_the_readme_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    text = _run(capsys, "help", "exit-codes").stdout
    assert set(MEANINGS) == set(ExitCode)
    for code, meaning in MEANINGS.items():
        assert re.search(rf"^\s+{int(code)}\s+{re.escape(meaning.replace('`', '')[:30])}", text, re.M), code
        assert f"| {int(code)} | {meaning} |" in README, code


def test_help_metrics_has_each_definition_as_the_code_computes_it(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(_run(capsys, "help", "metrics").stdout.split())
    for metric in metrics.DEFAULT_METRICS:
        assert f"{metric.key} {metric.label.lower()}: {metric.end} - {metric.start}" in text
        assert f"| `{metric.key}` {metric.label.lower()} | `{metric.end} - {metric.start}` |" in README
    assert "mtbf" in text and metrics.MTBF_WHAT in text
    for name, what in metrics.STATISTICS:
        assert what in text, name
    # The statistics as the code computes them: median of an even n, p90 by nearest rank.
    assert metrics.summarize([1.0, 2.0, 3.0, 10.0])["median_seconds"] == 2.5
    assert metrics.summarize([float(v) for v in range(1, 11)])["p90_seconds"] == 9.0


def test_help_config_and_hooks_cover_what_the_code_reads(capsys: pytest.CaptureFixture[str]) -> None:
    assert tuple(CONFIG_KEYS) == TOP_LEVEL_KEYS
    config = _run(capsys, "help", "config").stdout
    for key in TOP_LEVEL_KEYS:
        assert re.search(rf"^  {key}:", config, re.M), key
    text = " ".join(_run(capsys, "help", "hooks").stdout.split())
    for event in hooks.EVENT_PHRASES:
        assert event in text
    for name, _ in hooks.ENVIRONMENT:
        assert name in text


def test_hook_environment_names_are_the_ones_a_hook_gets(repo: Path) -> None:
    from incli.service.hooks import hook_env

    env = hook_env("opened", None, repo, {})
    ours = {name for name in env if name.startswith("INC_") and name != "INC_HOOK_DEPTH"}
    assert {name for name, _ in hooks.ENVIRONMENT} <= ours


def test_capital_v_prints_the_version_and_v_shows_the_traceback(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "-V").stdout.startswith("incli ")
    assert _run(capsys, "-V").stdout == _run(capsys, "--version").stdout
    quiet = _run(capsys, "show", "nosuch", code=ExitCode.NOT_FOUND)
    assert len(quiet.err_lines) == 1 and "Traceback" not in quiet.stderr
    from incli.errors import NotFound

    with pytest.raises(NotFound):
        _run(capsys, "-v", "show", "nosuch")
    with pytest.raises(NotFound):
        _run(capsys, "--verbose", "show", "nosuch")
    again = _run(capsys, "show", "nosuch", code=ExitCode.NOT_FOUND)  # -v holds for its own run only
    assert len(again.err_lines) == 1


def test_every_time_in_the_help_examples_is_accepted_today() -> None:
    """An example a user copies from --help works: each time it types is read, and one that must
    be ahead (--until, a span's --to) is ahead of today, not a date that has since passed."""
    from incli.domain.times import parse_future, parse_span_end, parse_time

    now = datetime.now(UTC)
    checked = 0
    for examples in commands.EXAMPLES.values():
        for example in examples:
            words = shlex.split(example)
            if words[1] == "import":  # its --from names the source
                continue
            flags = ("--at", "--from", "--to", "--until", "--since")
            values = {flag: words[i + 1] for i, flag in enumerate(words[:-1]) if flag in flags}
            for flag, value in values.items():
                checked += 1
                if flag == "--until":
                    assert parse_future(value, now) > now, example
                elif flag == "--to" and "--from" in values:
                    start = parse_time(values["--from"], now)
                    assert parse_span_end(value, start, now) > start, example
                elif "ics" not in example:
                    parse_time(value, now)
    assert checked > 10
