"""The shape of a rule function, and the errors rules raise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from loom.core.errors import RuleViolation, RuleViolations

RuleFn: TypeAlias = Callable[..., Any]
"""``(command, fields_set) -> None`` or ``(command, fields_set, context) -> None``.

A rule raises :class:`RuleViolation` to reject the command. Every rule runs;
the executor raises one :class:`RuleViolations` holding all the violations.
"""

__all__ = ["RuleFn", "RuleViolation", "RuleViolations"]
