"""Constraint violations reported as :class:`~loom.core.errors.Conflict`."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from loom.core.errors import Conflict

# SQLSTATE classes PostgreSQL drivers report, and SQLite's message prefixes.
_KINDS = (
    ("23505", "UNIQUE constraint failed", "duplicates an existing value"),
    ("23503", "FOREIGN KEY constraint failed", "breaks a foreign key"),
    ("23502", "NOT NULL constraint failed", "leaves a required value empty"),
    ("23514", "CHECK constraint failed", "breaks a check constraint"),
)


def integrity_conflict(error: IntegrityError, what: str) -> Conflict:
    """A ``Conflict`` saying which kind of constraint ``what`` broke.

    The driver's own error stays the ``__cause__`` (and in the logs); the
    message names the constraint or column the database reported, never the
    statement or its parameters.
    """
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    text = str(original) if original is not None else str(error)
    detail = ""
    kind = "breaks a constraint"
    for code, prefix, description in _KINDS:
        if state == code:
            kind = description
            cause = original.__cause__ if original is not None else None
            name = getattr(cause, "constraint_name", None)
            detail = f" ({name})" if name else ""
            break
        if text.startswith(prefix):
            kind = description
            rest = text[len(prefix) :].strip(" :")
            detail = f" ({rest})" if rest else ""
            break
    return Conflict(f"{what} {kind}{detail}")
