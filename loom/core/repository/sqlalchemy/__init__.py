"""SQLAlchemy 2 (asyncio) persistence: sessions, the unit of work, repositories.

Needs the ``sqlalchemy`` extra (SQLAlchemy
with its asyncio support, and the aiosqlite and asyncpg drivers)::

    session_manager = SessionManager("sqlite+aiosqlite:///shop.db")
    executor = RuntimeExecutor(
        compiler, uow_factory=SQLAlchemyUnitOfWorkFactory(session_manager), repo_resolver=...
    )
    products = RepositorySQLAlchemy(session_manager, Product)
"""

try:
    import sqlalchemy.ext.asyncio  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installation
    from loom.install import missing_extra

    raise ImportError(
        missing_extra(
            "loom.core.repository.sqlalchemy", "SQLAlchemy 2 with asyncio support", "sqlalchemy"
        )
    ) from error

from loom.core.repository.sqlalchemy.integrity import integrity_conflict
from loom.core.repository.sqlalchemy.query import (
    FilterPathError,
    InvalidCursorError,
    UnsafeFilterError,
)
from loom.core.repository.sqlalchemy.repository import RepositorySQLAlchemy, UnknownProfileError
from loom.core.repository.sqlalchemy.session_manager import SessionManager
from loom.core.repository.sqlalchemy.transactional import get_active_session, transactional
from loom.core.repository.sqlalchemy.uow import SQLAlchemyUnitOfWork, SQLAlchemyUnitOfWorkFactory

__all__ = [
    "FilterPathError",
    "InvalidCursorError",
    "RepositorySQLAlchemy",
    "SQLAlchemyUnitOfWork",
    "SQLAlchemyUnitOfWorkFactory",
    "SessionManager",
    "UnknownProfileError",
    "UnsafeFilterError",
    "get_active_session",
    "integrity_conflict",
    "transactional",
]
