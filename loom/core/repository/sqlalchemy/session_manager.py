"""The engine and the sessions every repository and unit of work draws from."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from loom.core.tracing import get_trace_id

WRITE_OPTION = "loom_write_transaction"
"""Connection execution option a write transaction carries (see :meth:`SessionManager.begin_write`)."""

_WRITE_LOCK_KEY = "loom_sqlite_write_lock"


class SessionManager:
    """An ``AsyncEngine`` and a session factory for one database URL.

    ``url`` is any SQLAlchemy async URL: ``sqlite+aiosqlite:///path/app.db``,
    ``postgresql+asyncpg://user:password@host:5432/db``. Pool settings apply
    where the engine has a pool of its own (not to in-memory SQLite); every
    other keyword goes to ``create_async_engine`` (``isolation_level=...``,
    for example). Pooled connections are pinged before use (so a restarted
    server costs no failed request), except on SQLite, where there is no
    server; ``pool_pre_ping`` says otherwise.

    Sessions do not expire their objects on commit, so an entity returned by
    a committed unit of work can still be read.

    SQLite gets what a server database gives for free: foreign keys are
    enforced, file databases use the WAL journal (readers do not wait for the
    writer), and every transaction really starts at ``BEGIN`` (the driver
    would otherwise run the reads before the first write outside it). Write
    transactions (units of work, repository writes) start with ``BEGIN
    IMMEDIATE`` and, within one ``SessionManager``, run one at a time in
    arrival order, so concurrent writers queue instead of failing with
    "database is locked"; other processes wait up to ``sqlite_busy_timeout``
    seconds.

    ``inject_trace_id=True`` prefixes each statement with ``/* trace_id=... */``
    when a trace id is set (visible in the server's activity and slow query
    logs); it is off by default because a statement text that changes per
    request defeats the driver's prepared statement cache.
    """

    def __init__(
        self,
        url: str | URL,
        *,
        echo: bool = False,
        pool_pre_ping: bool | None = None,
        pool_size: int | None = 10,
        max_overflow: int | None = 20,
        pool_timeout: int | None = 30,
        pool_recycle: int | None = 1800,
        connect_args: dict[str, object] | None = None,
        inject_trace_id: bool = False,
        sqlite_busy_timeout: float = 30.0,
        **engine_kwargs: Any,
    ) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if pool_pre_ping is None:
            # A server may restart under a pooled connection; a SQLite file cannot.
            pool_pre_ping = not self.is_sqlite
        config: dict[str, Any] = {"echo": echo, "pool_pre_ping": pool_pre_ping}
        if not (self.is_sqlite and _sqlite_in_memory(self.url)):
            pools = {
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_timeout": pool_timeout,
                "pool_recycle": pool_recycle,
            }
            config.update({key: value for key, value in pools.items() if value is not None})
        connect = dict(connect_args or {})
        if self.is_sqlite:
            connect.setdefault("timeout", sqlite_busy_timeout)
        if connect:
            config["connect_args"] = connect
        config.update(engine_kwargs)
        self._engine = create_async_engine(self.url, **config)
        self._sessions = async_sessionmaker(
            bind=self._engine, class_=AsyncSession, expire_on_commit=False
        )
        self._write_lock = asyncio.Lock()
        if self.is_sqlite:
            _configure_sqlite(self._engine, wal=not _sqlite_in_memory(self.url))
        if inject_trace_id:
            _inject_trace_ids(self._engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        return self._sessions

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A new session, closed on exit (which rolls back what was not committed)."""
        session = self._sessions()
        try:
            yield session
        finally:
            try:
                await session.close()
            finally:
                lock = session.info.pop(_WRITE_LOCK_KEY, None)
                if lock is not None:
                    lock.release()

    async def begin_write(self, session: AsyncSession) -> None:
        """Start ``session``'s transaction now, as one that will write.

        On SQLite this waits for the manager's write lock (released when the
        session closes) and starts with ``BEGIN IMMEDIATE``; elsewhere it
        just opens the transaction. Call it on a session from
        :meth:`session` before anything else runs on it.
        """
        if self.is_sqlite and _WRITE_LOCK_KEY not in session.info:
            await self._write_lock.acquire()
            session.info[_WRITE_LOCK_KEY] = self._write_lock
        await session.connection(execution_options={WRITE_OPTION: True})

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    def __repr__(self) -> str:
        return f"SessionManager({self.url.render_as_string(hide_password=True)!r})"


def _sqlite_in_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url.query.get("mode", ""))


def _configure_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to the "begin" listener below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _inject_trace_ids(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def _prefix(
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> tuple[str, Any]:
        trace_id = get_trace_id()
        if trace_id:
            # A comment cannot end early: drop any "*/" a caller put in the id.
            statement = f"/* trace_id={trace_id.replace('*/', '')} */ {statement}"
        return statement, parameters
