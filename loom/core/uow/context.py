"""Which unit of work is active in the current context.

The executor sets it when it opens a unit of work and resets it when the
transaction ends; a use case executed while one is active joins it.
``_active_uow`` is loom-kernel's name for the same variable: tests that set
it by hand to simulate an enclosing transaction keep working.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

active_uow: ContextVar[Any] = ContextVar("loom_active_uow", default=None)
_active_uow = active_uow


def get_active_uow() -> Any:
    """Return the unit of work of the enclosing execution, or ``None``."""
    return active_uow.get()
