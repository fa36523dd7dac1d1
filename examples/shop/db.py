"""The shop's SQLite database: schema, connection pool and unit of work.

Concurrency model, kept deliberately small:

* :class:`Database` owns a bounded pool of ``aiosqlite`` connections (WAL
  journal, busy timeout, foreign keys on, autocommit mode so transactions are
  opened explicitly).
* A :class:`SqliteUnitOfWork` takes the database's write lock, borrows one
  connection and runs ``BEGIN IMMEDIATE`` on it; ``commit``/``rollback`` end
  the transaction, return the connection and release the lock. Write
  transactions of this process therefore run one after the other, in arrival
  order, and never fail with "database is locked"; other processes are
  covered by the busy timeout.
* Reads made outside any unit of work borrow a pooled connection for one
  statement; WAL lets them run while a write transaction is open, and they
  only ever see committed data.

Any number of concurrent executions (``asyncio.gather`` of thousands) just
queue on the lock and the pool.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    email   TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name    TEXT    NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1))
);
CREATE TABLE IF NOT EXISTS products (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    sku         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name        TEXT    NOT NULL,
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS orders (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    product_id  INTEGER NOT NULL REFERENCES products (id),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0),
    status      TEXT    NOT NULL CHECK (status IN ('placed', 'cancelled'))
);
CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id);
"""

TABLES = ("users", "products", "orders")

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every table's rows (ordered by id) and the AUTOINCREMENT counters."""

    tables: tuple[tuple[str, tuple[Row, ...]], ...]
    sequences: tuple[Row, ...]

    def rows(self, table: str) -> tuple[Row, ...]:
        return dict(self.tables)[table]


class Database:
    """One SQLite file and a bounded pool of connections to it."""

    def __init__(
        self, path: str | Path, *, pool_size: int = 4, busy_timeout_ms: int = 30_000
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(pool_size)
        self._write_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, *, fresh: bool = False, pool_size: int = 4) -> Database:
        """Open (creating it and its directory if needed) the database at ``path``.

        ``fresh`` deletes an existing file (and its WAL files) first.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        database = cls(target, pool_size=pool_size)
        async with database.connection() as connection:
            await connection.executescript(SCHEMA)
        return database

    # -- connections -------------------------------------------------------

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(
            self.path, isolation_level=None, timeout=self.busy_timeout_ms / 1000
        )
        try:
            await connection.execute_fetchall("PRAGMA journal_mode = WAL")
            await connection.execute_fetchall(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await connection.execute_fetchall("PRAGMA foreign_keys = ON")
            await connection.execute_fetchall("PRAGMA synchronous = NORMAL")
        except BaseException:
            await connection.close()
            raise
        return connection

    async def acquire(self) -> aiosqlite.Connection:
        """Borrow a connection; wait while all of them are lent out."""
        if self._closed:
            raise RuntimeError(f"database {self.path} is closed")
        await self._slots.acquire()
        try:
            if self._idle:
                return self._idle.pop()
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    async def release(self, connection: aiosqlite.Connection) -> None:
        """Give back a borrowed connection.

        A connection still inside a transaction (its owner failed to end it)
        is rolled back; one that cannot be cleaned up is closed, never reused.
        """
        try:
            if connection.in_transaction:
                await connection.execute_fetchall("ROLLBACK")
        except BaseException:
            await _close_quietly(connection)
            raise
        else:
            if self._closed:
                await _close_quietly(connection)
            else:
                self._idle.append(connection)
        finally:
            self._slots.release()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """Borrow a connection for the duration of the ``async with`` block."""
        connection = await self.acquire()
        try:
            yield connection
        finally:
            await self.release(connection)

    @property
    def write_lock(self) -> asyncio.Lock:
        """Held by the unit of work that is writing (one at a time)."""
        return self._write_lock

    async def close(self) -> None:
        """Close the idle connections; borrowed ones close when given back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close_quietly(connection)

    # -- inspection --------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        """Every committed row of every table, plus the AUTOINCREMENT counters."""
        async with self.connection() as connection:
            tables = []
            for table in TABLES:
                rows = await connection.execute_fetchall(f"SELECT * FROM {table} ORDER BY id")
                tables.append((table, tuple(tuple(row) for row in rows)))
            sequences = await connection.execute_fetchall(
                "SELECT name, seq FROM sqlite_sequence ORDER BY name"
            )
        return Snapshot(tuple(tables), tuple(tuple(row) for row in sequences))

    async def checkpoint(self) -> None:
        """Copy the WAL into the main file and truncate it (for byte comparisons)."""
        async with self.connection() as connection:
            await connection.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")


async def _close_quietly(connection: aiosqlite.Connection) -> None:
    try:
        await connection.close()
    except Exception:
        pass


async def execute(
    connection: aiosqlite.Connection, sql: str, parameters: Sequence[Any] = ()
) -> list[Row]:
    """Run one statement and return its rows (one thread hop)."""
    rows: Iterable[Any] = await connection.execute_fetchall(sql, parameters)
    return [tuple(row) for row in rows]


# -- unit of work --------------------------------------------------------------


class UnitOfWorkState(enum.Enum):
    NEW = "new"
    ACTIVE = "active"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"


@runtime_checkable
class TransactionScope(Protocol):
    """A unit of work that can lend repositories its SQLite connection."""

    def connection_for(self, database: Database) -> aiosqlite.Connection | None:
        """The transaction's connection; ``None`` once the transaction is over.

        Raises ``RuntimeError`` when the scope cannot serve ``database``.
        """
        ...


class SqliteUnitOfWork:
    """One write transaction on one pooled connection.

    ``begin`` waits for the database's write lock, borrows a connection and
    opens the transaction with ``BEGIN IMMEDIATE`` (so the write lock of the
    file is taken up front: no deadlock when a reader later decides to
    write). ``commit`` and ``rollback`` end it and give everything back;
    ``rollback`` may be called in any state, even after a failed ``begin``
    or ``commit``.
    """

    def __init__(self, database: Database) -> None:
        self.database = database
        self.state = UnitOfWorkState.NEW
        self._connection: aiosqlite.Connection | None = None
        self._holds_lock = False

    async def begin(self) -> None:
        if self.state is not UnitOfWorkState.NEW:
            raise RuntimeError(f"unit of work already {self.state.value}")
        await self.database.write_lock.acquire()
        self._holds_lock = True
        self._connection = await self.database.acquire()
        await execute(self._connection, "BEGIN IMMEDIATE")
        self.state = UnitOfWorkState.ACTIVE

    async def commit(self) -> None:
        if self.state is not UnitOfWorkState.ACTIVE or self._connection is None:
            raise RuntimeError(f"cannot commit a unit of work that is {self.state.value}")
        await execute(self._connection, "COMMIT")
        self.state = UnitOfWorkState.COMMITTED
        await self._give_back()

    async def rollback(self) -> None:
        try:
            if self._connection is not None and self._connection.in_transaction:
                await execute(self._connection, "ROLLBACK")
        finally:
            if self.state is not UnitOfWorkState.COMMITTED:
                self.state = UnitOfWorkState.ROLLED_BACK
            await self._give_back()

    def connection_for(self, database: Database) -> aiosqlite.Connection | None:
        if database is not self.database:
            raise RuntimeError(
                f"the active unit of work is on {self.database.path}, not on {database.path}"
            )
        if self.state is UnitOfWorkState.NEW:
            raise RuntimeError("the active unit of work has not begun")
        return self._connection if self.state is UnitOfWorkState.ACTIVE else None

    async def _give_back(self) -> None:
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                await self.database.release(connection)
        finally:
            if self._holds_lock:
                self._holds_lock = False
                self.database.write_lock.release()


class SqliteUnitOfWorkFactory:
    """Makes a fresh :class:`SqliteUnitOfWork` for every top-level execution."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.database)


@asynccontextmanager
async def connection_for(
    database: Database, unit_of_work: object
) -> AsyncIterator[aiosqlite.Connection]:
    """The connection a statement on ``database`` should use right now.

    Inside an active unit of work that is the transaction's connection, so
    the statement is part of the transaction; otherwise (no unit of work, or
    one that is already over, as when post-commit dispatches run) a pooled
    connection in autocommit mode.
    """
    if unit_of_work is not None:
        if not isinstance(unit_of_work, TransactionScope):
            raise RuntimeError(
                f"the active unit of work ({type(unit_of_work).__name__}) has no SQLite"
                " connection to lend; use SqliteUnitOfWorkFactory"
            )
        connection = unit_of_work.connection_for(database)
        if connection is not None:
            yield connection
            return
    async with database.connection() as connection:
        yield connection
