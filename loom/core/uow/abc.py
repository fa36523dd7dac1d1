"""The transaction boundary the executor drives around each top-level call."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction: ``begin`` opens it, ``commit`` or ``rollback`` closes it."""

    async def begin(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


@runtime_checkable
class UnitOfWorkFactory(Protocol):
    """Makes a fresh, not yet begun :class:`UnitOfWork` per top-level execution."""

    def create(self) -> UnitOfWork: ...
