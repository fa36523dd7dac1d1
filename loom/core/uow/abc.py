"""The transaction boundary the executor drives around each top-level call."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class UnitOfWork(Protocol):
    """One transaction: ``begin`` opens it, ``commit`` or ``rollback`` closes it.

    As an async context manager, ``async with uow:`` begins on entry and, on
    exit, commits when the block succeeded and rolls back when it raised.
    The executor itself calls only ``begin``, ``commit`` and ``rollback``
    (see :class:`Transaction`), so a unit of work made for it alone may leave
    the context manager methods out.
    """

    async def begin(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: object,
    ) -> None: ...


@runtime_checkable
class Transaction(Protocol):
    """What the executor calls on a unit of work: ``begin``, ``commit``, ``rollback``."""

    async def begin(self) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


@runtime_checkable
class UnitOfWorkFactory(Protocol):
    """Makes a fresh, not yet begun unit of work per top-level execution.

    The executor needs only a :class:`Transaction` from ``create``; a full
    :class:`UnitOfWork` is one.
    """

    def create(self) -> Transaction: ...
