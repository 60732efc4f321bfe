"""One exception hierarchy; each error carries the exit code the command ends with.

Exit codes (documented in the README):

    0  success
    1  an unexpected error (a bug: please report it with INC_DEBUG=1)
    2  bad usage (an unknown option, a missing argument)
    3  not found: no repository, no incident with that id
    4  invalid input: a time, severity, title or value that cannot be used
    5  conflict: an impossible transition, an ambiguous id, times out of order
    6  the repository has problems (``inc validate`` findings, a broken file)
    7  storage: the repository cannot be written, a lock cannot be taken
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    INVALID = 4
    CONFLICT = 5
    PROBLEMS = 6
    STORAGE = 7
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


# What each exit code means, for `inc help exit-codes` and README's table.
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ERROR: "an unexpected error (a bug: please report it with `INC_DEBUG=1`)",
    ExitCode.USAGE: "bad usage: an unknown option, a missing argument",
    ExitCode.NOT_FOUND: "not found: no repository, no incident with that id",
    ExitCode.INVALID: "invalid input: a time, severity, title or value that cannot be used",
    ExitCode.CONFLICT: "conflict: an impossible transition, an ambiguous id, times out of order",
    ExitCode.PROBLEMS: "the repository has problems (`inc validate` findings, a broken file)",
    ExitCode.STORAGE: "storage: the repository cannot be written, a lock cannot be taken",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


class IncError(Exception):
    """An error the user can act on: one line of text and an exit code."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class MissingOption(IncError):
    """A command given without what it needs (a required option left out)."""

    exit_code = ExitCode.USAGE


class NotFound(IncError):
    exit_code = ExitCode.NOT_FOUND


class RepositoryNotFound(NotFound):
    pass


class InvalidInput(IncError):
    exit_code = ExitCode.INVALID


class Conflict(IncError):
    exit_code = ExitCode.CONFLICT


class Problems(IncError):
    exit_code = ExitCode.PROBLEMS


class StorageError(IncError):
    exit_code = ExitCode.STORAGE


class ConfigError(InvalidInput):
    """A wrong value in incli.yaml: ``key`` is its dotted path (``postmortem.due.SEV5``,
    ``hooks.opened[0]``), ``reason`` what is wrong with it. The loader adds the file
    and line: ``incli.yaml:14: postmortem.due.SEV5: no such severity``."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason
