"""Error types shared by the runtime and by application code."""

from loom.core.errors.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LoomError,
    NotFound,
    RuleViolation,
    RuleViolations,
)

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "LoomError",
    "NotFound",
    "RuleViolation",
    "RuleViolations",
]
