"""The unit of work the executor opens around a top-level execution."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from contextvars import Token
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from loom.core.repository.sqlalchemy.integrity import integrity_conflict
from loom.core.repository.sqlalchemy.session_manager import SessionManager
from loom.core.repository.sqlalchemy.transactional import (
    reset_active_session,
    set_active_session,
)

if TYPE_CHECKING:
    from loom.core.uow.abc import UnitOfWork


class SQLAlchemyUnitOfWork:
    """One session and its transaction, active for repositories while it lasts.

    ``begin`` opens a session from the manager, starts a write transaction on
    it (on SQLite: the manager's write lock and ``BEGIN IMMEDIATE``) and makes
    it the active session (:func:`~loom.core.repository.sqlalchemy.transactional.get_active_session`).
    ``commit`` commits and ``rollback`` rolls back; both then close the
    session and restore the previous active session, so the executor's
    ``begin``/``commit``/``rollback`` calls are all it needs. ``async with``
    does the same: commit on a clean exit, rollback on an exception.

    A constraint the commit breaks is raised as
    :class:`~loom.core.errors.Conflict`; the ``rollback`` the executor calls
    after a failed commit has nothing left to do.

    The executor runs pending dispatches after ``commit`` returns, that is
    once the database has acknowledged the commit.
    """

    def __init__(self, session_manager: SessionManager) -> None:
        self._session_manager = session_manager
        self._session: AsyncSession | None = None
        self._scope: AbstractAsyncContextManager[AsyncSession] | None = None
        self._token: Token[AsyncSession | None] | None = None
        self._ended = False

    @property
    def session(self) -> AsyncSession:
        """The session of the open transaction."""
        if self._session is None:
            raise RuntimeError("SQLAlchemyUnitOfWork.session used outside its transaction")
        return self._session

    async def begin(self) -> None:
        if self._session is not None:
            raise RuntimeError("SQLAlchemyUnitOfWork.begin() called twice without commit/rollback")
        scope = self._session_manager.session()
        session = await scope.__aenter__()
        self._scope, self._session = scope, session
        self._ended = False
        try:
            if isinstance(self._session_manager, SessionManager):
                await self._session_manager.begin_write(session)
        except BaseException:
            await self._close()
            raise
        self._token = set_active_session(session)

    async def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("SQLAlchemyUnitOfWork.commit() called before begin()")
        try:
            await self._session.commit()
        except IntegrityError as error:
            raise integrity_conflict(error, "commit") from error
        finally:
            await self._close()

    async def rollback(self) -> None:
        if self._session is None:
            if self._ended:
                # A failed commit already ended the transaction: closing the
                # session rolled back whatever the database had not committed.
                return
            raise RuntimeError("SQLAlchemyUnitOfWork.rollback() called before begin()")
        try:
            await self._session.rollback()
        finally:
            await self._close()

    async def _close(self) -> None:
        """Close the session and restore the previous active session (idempotent)."""
        scope, token = self._scope, self._token
        self._scope = self._session = self._token = None
        self._ended = True
        try:
            if scope is not None:
                await scope.__aexit__(None, None, None)
        finally:
            if token is not None:
                reset_active_session(token)

    async def __aenter__(self) -> SQLAlchemyUnitOfWork:
        await self.begin()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self._session is None:
            return
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()


class SQLAlchemyUnitOfWorkFactory:
    """``RuntimeExecutor(compiler, uow_factory=SQLAlchemyUnitOfWorkFactory(manager))``."""

    def __init__(self, session_manager: SessionManager) -> None:
        self._session_manager = session_manager

    @property
    def session_manager(self) -> SessionManager:
        return self._session_manager

    def create(self) -> UnitOfWork:
        return SQLAlchemyUnitOfWork(self._session_manager)
