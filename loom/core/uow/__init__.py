"""Unit of work protocols and the context variable of the active one."""

from loom.core.uow.abc import Transaction, UnitOfWork, UnitOfWorkFactory
from loom.core.uow.context import get_active_uow

__all__ = ["Transaction", "UnitOfWork", "UnitOfWorkFactory", "get_active_uow"]
