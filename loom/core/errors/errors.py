"""The error hierarchy.

Every error carries a machine-readable ``code`` so that transports (HTTP,
queues) can map errors to responses without knowing the domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loom.core.errors.codes import ErrorCode


class LoomError(Exception):
    """Base of every error raised by loom or by use cases built on it."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class DomainError(LoomError):
    """A business-level failure: the request was understood but refused."""


class SystemError(LoomError):  # noqa: A001 - loom-kernel's name, shadows the builtin
    """An infrastructure or unexpected failure (a repository, a service, loom itself).

    Not a :class:`DomainError`: a transport may retry it, where a domain
    error is a final answer. It shadows the builtin ``SystemError`` in
    modules that import it by name.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.SYSTEM_ERROR)


class NotFound(DomainError):
    """No entity of type ``entity`` matched the lookup value ``id``."""

    def __init__(self, entity: str, *, id: Any) -> None:
        super().__init__(f"{entity} with id={id!r} not found", code=ErrorCode.NOT_FOUND)
        self.entity = entity
        self.id = id


class Forbidden(DomainError):
    """The caller may not perform this action."""

    def __init__(self, message: str = "Forbidden") -> None:
        super().__init__(message, code=ErrorCode.FORBIDDEN)


class Conflict(DomainError):
    """The action clashes with the current state (duplicate, stale version...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=ErrorCode.CONFLICT)


class RuleViolation(DomainError):
    """One business rule failed for one field.

    ``str(violation)`` reads ``"field: message"``; ``.message`` is the bare
    message so adapters can render field and text separately.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", code=ErrorCode.RULE_VIOLATION)
        self.field = field
        self.message = message


class RuleViolations(DomainError):
    """Every rule that failed during one execution, in rule order."""

    def __init__(self, violations: Iterable[RuleViolation]) -> None:
        self.violations: tuple[RuleViolation, ...] = tuple(violations)
        super().__init__(
            "; ".join(str(violation) for violation in self.violations),
            code=ErrorCode.RULE_VIOLATIONS,
        )
