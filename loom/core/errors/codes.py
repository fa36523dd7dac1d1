"""The machine-readable codes carried by loom's errors.

:class:`ErrorCode` is a string enum: a member compares equal to its plain
string (``ErrorCode.NOT_FOUND == "not_found"``), so code that checks
``error.code == "not_found"`` and code that uses the enum agree.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The ``code`` of each error class in :mod:`loom.core.errors`."""

    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    RULE_VIOLATION = "rule_violation"
    RULE_VIOLATIONS = "rule_violations"
    SYSTEM_ERROR = "system_error"


__all__ = ["ErrorCode"]
