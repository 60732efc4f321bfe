"""The ``inc`` command: the top-level Typer app and the one place errors become exit codes."""

from __future__ import annotations

import errno
import functools
import gc
import os
import sys
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
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
from incli.cli import commands, common
from incli.errors import ExitCode, IncError


class IncGroup(TyperGroup):
    """Runs a command and turns every known error into one line on stderr and an exit code.

    Set INC_DEBUG=1 (or pass -v/--verbose) to see the traceback instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        """Every command of the table in cli/commands.py, in its order (so the help panels come
        in that order), without importing a command module to say so."""
        from incli.cli.commands import COMMANDS

        return list(COMMANDS)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        global _verbose
        _verbose = False
        _tidy_params(self)
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
            if debugging():
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
            if sys.stderr.isatty():  # Ctrl-C or Ctrl-D at a prompt left the cursor on its line
                sys.stderr.write("\n")
            output.error("aborted")
            code = ExitCode.INTERRUPTED
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                code = 0
            else:
                if debugging():
                    raise
                output.error(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
                code = ExitCode.STORAGE
        if standalone_mode:
            sys.exit(code)
        return code


_verbose = False  # set by -v/--verbose for this run


def debugging() -> bool:
    """Show the traceback instead of the one error line: INC_DEBUG=1 or -v/--verbose."""
    return _verbose or bool(os.environ.get("INC_DEBUG"))


def _set_verbose(value: bool) -> None:
    global _verbose
    _verbose = bool(value)


def _tidy_tree(command: Any) -> None:
    """A command and its subcommands, once each, as they are loaded: see ``_tidy_params``."""
    stack = [command]
    while stack:
        current = stack.pop()
        stack.extend(getattr(current, "commands", {}).values())
        _tidy_params(current)


def _tidy_params(command: Any) -> None:
    """Help shows the metavars we wrote (no ``<bool>`` beside a flag, no ``<str>`` beside an
    argument, no ``{title}`` around a required argument in the usage line: Typer's defaults),
    and each parameter gets its shell completion from the table in cli/complete.py."""
    from incli.cli import complete

    if getattr(command, "_inc_tidy", False):
        return
    command._inc_tidy = True
    _tidy_help_option(command)
    for param in command.params:
        complete.attach(str(command.name), param)
        if param.param_type_name == "argument":
            if param.metavar is None:
                param.metavar = (param.name or "arg").upper()
            param.display_type_rich = lambda ctx: None
            param._usage_display_name = functools.partial(_usage_name, param)
        elif getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.display_type_rich = lambda ctx: None
        elif param.metavar is None:
            param.metavar = (param.name or "value").upper()


def _tidy_help_option(command: Any) -> None:
    """-h/--help is made by Click on first use: tidy it as it is made."""
    make = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.display_type_rich = lambda ctx: None
        return option

    command.get_help_option = get_help_option


def _usage_name(param: Any) -> str:
    """An argument in the usage line: its metavar as written (``[ID]``, ``TITLE``, ``[ID] TEXT...``)."""
    name = param.metavar or (param.name or "arg").upper()
    if not param.required and not name.startswith("["):
        name = f"[{name}]"
    if param.nargs != 1 and not name.endswith("..."):
        name += "..."
    return str(name)


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
    add_completion=True,
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
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            callback=_set_verbose,
            is_eager=True,
            help="On an error, show the traceback too (the same as INC_DEBUG=1).",
        ),
    ] = False,
) -> None:
    """Incident response from the command line: incidents, timelines and postmortems as YAML files in git."""
    if _whole_process and ctx.invoked_subcommand not in commands.KEEP_COLLECTOR:
        gc.disable()  # see commands.KEEP_COLLECTOR
    state = common.State(directory)
    ctx.obj = state
    ctx.call_on_close(state.report_warnings)


class LazyCommands(MutableMapping[str, Any]):
    """The top-level commands, each module imported only when one of its commands is asked for
    (by name, for a run or a completion), all of them when the whole listing is (help, tests).

    So ``inc ack`` imports cli/lifecycle.py and what it needs, never the report, the importers or
    the status page. Which module holds a command, its help panel and its examples are the table
    in cli/commands.py."""

    def __init__(self, initial: Mapping[str, Any]) -> None:
        self._loaded: dict[str, Any] = dict(initial)
        self._modules: set[str] = set()  # imported
        self._complete: set[str] = set()  # every command of it built

    def _load(self, module: str, only: str | None = None) -> None:
        """Build the commands of ``module`` (``only``: just that one, as a run needs)."""
        if module in self._complete or (only is not None and only in self._loaded):
            return
        self._modules.add(module)
        if only is None:
            self._complete.add(module)
        for name, command in _build(module, only).items():
            self._loaded.setdefault(name, command)

    def _load_all(self) -> None:
        from incli.cli import commands

        for module in commands.modules():
            self._load(module)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            from incli.cli.commands import COMMANDS

            entry = COMMANDS.get(name)
            if entry is not None:
                self._load(entry.module, name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return iter(list(self._loaded))

    def __len__(self) -> int:
        self._load_all()
        return len(self._loaded)

    def loaded(self) -> list[str]:
        """The modules imported so far (for tests of the lazy path)."""
        return sorted(self._modules)


def _noop() -> None:
    """The callback that makes a one-command Typer app a group."""


def _build(module: str, only: str | None = None) -> dict[str, Any]:
    """The Click commands one command module registers (``only``: just that one; building a
    command costs as much as the rest of a short run), with the help panel and the examples
    the table gives each (and each subcommand), tidied for help and completion."""
    import importlib

    from incli.cli import commands

    holder = typer.Typer()
    holder.callback()(_noop)
    importlib.import_module(f"incli.cli.{module}").register(holder)
    if only is not None:
        holder.registered_commands = [
            c
            for c in holder.registered_commands
            if (c.name or typer.main.get_command_name(c.callback.__name__ if c.callback else "")) == only
        ]
        holder.registered_groups = [
            g for g in holder.registered_groups if (g.name or (g.typer_instance and g.typer_instance.info.name)) == only
        ]
    built: Any = typer.main.get_command(holder)
    found: dict[str, Any] = {}
    for name, command in built.commands.items():
        entry = commands.COMMANDS[name]
        command.rich_help_panel = entry.panel
        command.epilog = commands.epilog(name)
        for sub_name, sub in getattr(command, "commands", {}).items():
            sub.epilog = commands.epilog(f"{name} {sub_name}")
        _tidy_tree(command)
        found[name] = command
    return found


def _set_epilog() -> None:
    from incli.cli import commands

    app.info.epilog = commands.epilog("")


_set_epilog()


_whole_process = False  # True when inc is the process (main), not run inside another (tests)


def main() -> None:
    global _whole_process
    _whole_process = True
    if os.environ.get("_INC_COMPLETE"):  # a TAB: a short read, as any listing
        gc.disable()
    app()
