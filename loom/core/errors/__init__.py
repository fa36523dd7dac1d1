"""Error types shared by the runtime and by application code."""

from loom.core.errors.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LoomError,
    NotFound,
    RuleViolation,
    RuleViolations,
    SystemError,
)
from loom.core.errors.codes import ErrorCode

__all__ = [
    "Conflict",
    "DomainError",
    "ErrorCode",
    "Forbidden",
    "LoomError",
    "NotFound",
    "RuleViolation",
    "RuleViolations",
    "SystemError",
]
