"""The error hierarchy.

Every error carries a machine-readable ``code`` so that transports (HTTP,
queues) can map errors to responses without knowing the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class LoomError(Exception):
    """Base of every error raised by loom or by use cases built on it."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class DomainError(LoomError):
    """A business-level failure: the request was understood but refused."""


class NotFound(DomainError):
    """No entity of type ``entity`` matched the lookup value ``id``."""

    def __init__(self, entity: str, *, id: Any) -> None:
        super().__init__(f"{entity} with id={id!r} not found", code="not_found")
        self.entity = entity
        self.id = id


class Forbidden(DomainError):
    """The caller may not perform this action."""

    def __init__(self, message: str = "Forbidden") -> None:
        super().__init__(message, code="forbidden")


class Conflict(DomainError):
    """The action clashes with the current state (duplicate, stale version...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="conflict")


class RuleViolation(DomainError):
    """One business rule failed for one field.

    ``str(violation)`` reads ``"field: message"``; ``.message`` is the bare
    message so adapters can render field and text separately.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", code="rule_violation")
        self.field = field
        self.message = message


class RuleViolations(DomainError):
    """Every rule that failed during one execution, in rule order."""

    def __init__(self, violations: Iterable[RuleViolation]) -> None:
        self.violations: tuple[RuleViolation, ...] = tuple(violations)
        super().__init__(
            "; ".join(str(violation) for violation in self.violations),
            code="rule_violations",
        )
