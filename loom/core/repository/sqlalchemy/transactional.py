"""The session of the current transaction, carried in a context variable.

:class:`~loom.core.repository.sqlalchemy.uow.SQLAlchemyUnitOfWork` sets it
for the duration of a unit of work, and :func:`transactional` for a service
method; repositories run their statements on it when it is set, so they
belong to that transaction and disappear with its rollback.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

_active_session: ContextVar[AsyncSession | None] = ContextVar(
    "loom_active_sqlalchemy_session", default=None
)

P = ParamSpec("P")
T = TypeVar("T")


def get_active_session() -> AsyncSession | None:
    """The session of the enclosing unit of work or ``@transactional`` call, or ``None``."""
    return _active_session.get()


def set_active_session(session: AsyncSession) -> Token[AsyncSession | None]:
    """Make ``session`` the active one; pass the token to :func:`reset_active_session`."""
    return _active_session.set(session)


def reset_active_session(token: Token[AsyncSession | None]) -> None:
    """Restore the session that was active before :func:`set_active_session`."""
    _active_session.reset(token)


def transactional(
    method: Callable[Concatenate[Any, P], Awaitable[T]],
) -> Callable[Concatenate[Any, P], Awaitable[T]]:
    """Run a service method in one transaction.

    Inside an active session (a unit of work, or another ``@transactional``
    call) the method simply joins it. Otherwise the method's owner must have a
    ``session_manager`` attribute (a :class:`SessionManager`, or anything with
    a ``session()`` async context manager): a write transaction is opened for
    the call, committed when it returns and rolled back when it raises.
    """

    @functools.wraps(method)
    async def run(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> T:
        if _active_session.get() is not None:
            return await method(self, *args, **kwargs)
        from loom.core.repository.sqlalchemy.session_manager import SessionManager

        manager: Any = getattr(self, "session_manager", None)
        if not callable(getattr(manager, "session", None)):
            raise TypeError(
                f"@transactional {type(self).__name__}.{method.__name__}: no active session and "
                f"no 'session_manager' attribute with a session() to open one with"
            )
        async with manager.session() as session:
            if isinstance(manager, SessionManager):
                await manager.begin_write(session)
            token = _active_session.set(session)
            try:
                result = await method(self, *args, **kwargs)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                _active_session.reset(token)
            return result

    return run
