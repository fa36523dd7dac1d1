"""Problems found in sources or configuration, reported as values.

Stages never raise on bad input: they return :class:`Diagnostic` objects so
that one run reports every problem, each with the place it was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    """The build cannot produce correct output."""
    WARNING = "warning"
    """A use case is left to the interpreter; ``--strict`` makes this an error."""


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem at ``path:line:column`` (1-based line and column)."""

    path: str
    line: int
    column: int
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity.value}: {self.message}"


def errors_in(diagnostics: list[Diagnostic], *, strict: bool) -> list[Diagnostic]:
    """The diagnostics that fail the run (warnings too when ``strict``)."""
    return [d for d in diagnostics if strict or d.severity is Severity.ERROR]
