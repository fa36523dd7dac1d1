"""Problems found in sources or configuration, reported as values.

Stages never raise on bad input: they return :class:`Diagnostic` objects so
that one run reports every problem, each with the place it was found.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def printable(text: str) -> str:
    """``text`` safe on one line of a message or a comment: every character that
    is not printable (a line break, a tab, a control character) escaped."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def errors_in(diagnostics: list[Diagnostic], *, strict: bool) -> list[Diagnostic]:
    """The diagnostics that fail the run (warnings too when ``strict``)."""
    return [d for d in diagnostics if strict or d.severity is Severity.ERROR]


INHERITED_BY = " (inherited by "
"""How an error in an inherited ``execute`` names the classes inheriting it."""


def merge_inherited(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per error in an inherited ``execute``: the copies reported for
    each inheriting class (and the owner's own, when it is a use case too) become
    one, which lists the inheriting classes; sorted."""
    merged: dict[tuple[str, int, int, str, Severity], list[str]] = {}
    for diagnostic in diagnostics:
        base, marker, heirs = diagnostic.message.partition(INHERITED_BY)
        if not marker or not heirs.endswith(")"):
            base, heirs = diagnostic.message, ""
        key = (diagnostic.path, diagnostic.line, diagnostic.column, base, diagnostic.severity)
        names = merged.setdefault(key, [])
        if heirs:
            names.extend(heirs[:-1].split(", "))
    out = []
    for (path, line, column, base, severity), names in merged.items():
        message = f"{base}{INHERITED_BY}{', '.join(sorted(set(names)))})" if names else base
        out.append(Diagnostic(path, line, column, message, severity))
    return sorted(out)
