"""The ``inc`` command: the top-level Typer app and the one place errors become exit codes."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

try:  # Typer 0.2x vendors Click (its exceptions live in typer._click.exceptions); older releases use click.
    from typer._click.exceptions import (  # type: ignore[import-not-found,unused-ignore]
        ClickException,
        UsageError,
    )
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click.exceptions import ClickException, UsageError  # type: ignore[no-redef,import-not-found,assignment,unused-ignore]

from incli import __version__, output
from incli.cli import common
from incli.errors import ExitCode, IncError


class IncGroup(TyperGroup):
    """Runs a command and turns every known error into one line on stderr and an exit code.

    Set INC_DEBUG=1 to see the traceback instead.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        debug = bool(os.environ.get("INC_DEBUG"))
        code: int
        undecodable = _undecodable(sys.argv[1:] if args is None else args)
        if undecodable is not None:
            # Bytes that are not UTF-8 arrive as lone surrogates, which no file or terminal can take.
            output.error(f"the argument '{undecodable}' is not valid UTF-8; type it again as text")
            if standalone_mode:
                sys.exit(ExitCode.INVALID)
            return ExitCode.INVALID
        try:
            result = super().main(
                args=args, prog_name=prog_name or "inc", complete_var=complete_var, standalone_mode=False, **extra
            )
            code = result if isinstance(result, int) else 0
        except IncError as exc:
            if debug:
                raise
            output.error(exc.message)
            code = exc.exit_code
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `inc` alone: the help, not an error line
                output.info(exc.format_message())
            else:
                where = exc.ctx.command_path if exc.ctx else "inc"
                output.error(f"{exc.format_message()} (see {where} --help)")
            code = ExitCode.USAGE
        except ClickException as exc:
            output.error(exc.format_message())
            code = exc.exit_code
        except typer.Abort:
            output.error("aborted")
            code = ExitCode.INTERRUPTED
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                code = 0
            else:
                if debug:
                    raise
                output.error(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
                code = ExitCode.STORAGE
        if standalone_mode:
            sys.exit(code)
        return code


def _undecodable(args: Sequence[str]) -> str | None:
    """The first argument holding lone surrogates (bytes that were not UTF-8, decoded with
    surrogateescape); refused before any command runs, so nothing is written with it."""
    for arg in args:
        if any("\ud800" <= char <= "\udfff" for char in arg):
            return arg
    return None


app = typer.Typer(
    cls=IncGroup,
    name="inc",
    help="Incident response from the command line: incidents, timelines and postmortems as YAML files in git.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        output.data(f"incli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    directory: Annotated[
        str | None,
        typer.Option(
            "--dir",
            "-C",
            help="The incident repository (default: $INC_DIR, then the nearest folder upwards holding incli.yaml).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Incident response from the command line: incidents, timelines and postmortems as YAML files in git."""
    state = common.State(directory)
    ctx.obj = state
    ctx.call_on_close(state.report_warnings)


def _register() -> None:
    from incli.cli import actions, ingest, lifecycle, notify, postmortem, reading, repo
    from incli.cli import git as git_cli
    from incli.cli import metrics as metrics_cli
    from incli.cli import oncall as oncall_cli
    from incli.cli import report as report_cli
    from incli.cli import statuspage as statuspage_cli
    from incli.cli import transfer as transfer_cli

    repo.register(app)
    lifecycle.register(app)
    reading.register(app)
    postmortem.register(app)
    actions.register(app)
    metrics_cli.register(app)
    transfer_cli.register(app)
    ingest.register(app)
    notify.register(app)
    report_cli.register(app)
    statuspage_cli.register(app)
    git_cli.register(app)
    from incli.cli import catalog as catalog_cli

    catalog_cli.register(app)
    from incli.cli import changes as changes_cli

    changes_cli.register(app)
    from incli.cli import gate as gate_cli

    gate_cli.register(app)
    from incli.cli import search as search_cli

    search_cli.register(app)
    from incli.cli import runbooks as runbooks_cli

    runbooks_cli.register(app)
    oncall_cli.register(app)


_register()


def main() -> None:
    app()
