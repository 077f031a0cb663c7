"""Exceptions, each with the exit code the CLI returns for it (DESIGN 2.4).

Messages never contain patient values: a patient is named by id, a field by JSON pointer.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_INTERNAL = 4


class TrialmatchError(Exception):
    """Base class; `exit_code` is what the command line exits with."""

    exit_code = EXIT_INTERNAL


class UsageError(TrialmatchError):
    """Bad option, unreadable or malformed input."""

    exit_code = EXIT_USAGE


class InputError(UsageError):
    """An input file could not be read or is malformed; `problems` are one line each."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])

    def __str__(self) -> str:
        head = super().__str__()
        return "\n".join([head, *("  " + p for p in self.problems)]) if self.problems else head


class RuleError(UsageError):
    """A rule tree or its text form is invalid."""


class OntologyError(InputError):
    """An ontology file is invalid (cycle, dangling parent, duplicate code)."""


class StoreError(TrialmatchError):
    """The database cannot be opened or is locked by another run."""

    exit_code = EXIT_USAGE
