"""Runtime faults on the SQLite shop, in both execution modes.

Each test breaks one thing in the middle of an execution: a repository
raising (in a load, in an exists check, in a nested use case after a write),
a commit failing (in the unit of work, or in SQLite itself on a deferred
foreign key), a rollback failing (in the unit of work, or the ``ROLLBACK``
statement on a broken connection), a cancellation (``task.cancel()``,
``asyncio.wait_for``, ``asyncio.timeout``) while a load, the write lock, the
commit, the rollback or a post-commit dispatch is pending. After each:

* the database holds exactly what it held before (every table and the
  AUTOINCREMENT counters; for a cancelled dispatch, exactly the committed
  order),
* the unit of work is closed (its transaction ended, the write lock and
  every pooled connection free: all four connections can be borrowed at
  once and the next ``PlaceOrder`` succeeds),
* the context is clean where the caller stands (no active unit of work, the
  caller's trace id, no pending dispatch), and
* the error the caller sees is the very one raised (or the
  cancellation/timeout it asked for), reported once in the metrics.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from examples.shop.app import ShopApp
from examples.shop.db import (
    Database,
    SqliteUnitOfWork,
    SqliteUnitOfWorkFactory,
    UnitOfWorkState,
    connection_for,
)
from examples.shop.domain import Email, Order, Product, User
from examples.shop.services import Outbox
from examples.shop.usecases import PlaceOrder, RegisterUser
from loom.core.engine import EventKind, RuntimeExecutor
from loom.core.job.context import pending_dispatch_count
from loom.core.tracing import get_trace_id, reset_trace_id, set_trace_id
from loom.core.uow.context import get_active_uow
from tests.support import RecordingLogger

MakeExecutor = Callable[..., RuntimeExecutor]
POOL_SIZE = 4
ADA = "ada@example.com"


class Boom(Exception):
    """The fault a test injects."""


# -- doubles -------------------------------------------------------------------------------


class FaultyUnitOfWork:
    """Wraps a :class:`SqliteUnitOfWork`; can fail or pause around commit and rollback."""

    def __init__(self, inner: SqliteUnitOfWork, factory: FaultyFactory) -> None:
        self.inner = inner
        self.factory = factory

    async def begin(self) -> None:
        await self.inner.begin()

    async def commit(self) -> None:
        factory = self.factory
        if factory.commit_gate is not None:
            factory.committing.set()
            await factory.commit_gate.wait()
        if factory.fail_commit is not None:
            raise factory.fail_commit
        await self.inner.commit()

    async def rollback(self) -> None:
        factory = self.factory
        factory.rolling_back.set()
        if factory.break_rollback_statement:
            connection = self.inner._connection
            assert connection is not None
            self.inner._connection = BrokenRollback(connection)  # type: ignore[assignment]
        try:
            await self.inner.rollback()
        finally:
            if factory.fail_rollback is not None:
                raise factory.fail_rollback

    def connection_for(self, database: Database) -> aiosqlite.Connection | None:
        return self.inner.connection_for(database)


class BrokenRollback:
    """A connection whose ``ROLLBACK`` fails (as on a dropped connection); all else passes."""

    def __init__(self, inner: aiosqlite.Connection) -> None:
        self._inner = inner

    async def execute_fetchall(self, sql: str, parameters: Any = ()) -> Any:
        if sql.strip().upper() == "ROLLBACK":
            raise sqlite3.OperationalError("disk I/O error (injected)")
        return await self._inner.execute_fetchall(sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class FaultyFactory:
    def __init__(self, inner: SqliteUnitOfWorkFactory) -> None:
        self.inner = inner
        self.created: list[FaultyUnitOfWork] = []
        self.fail_commit: BaseException | None = None
        self.fail_rollback: BaseException | None = None
        self.break_rollback_statement = False
        self.commit_gate: asyncio.Event | None = None
        self.committing = asyncio.Event()
        self.rolling_back = asyncio.Event()

    def create(self) -> FaultyUnitOfWork:
        uow = FaultyUnitOfWork(self.inner.create(), self)
        self.created.append(uow)
        return uow


class FaultyRepository:
    """Delegates to a real repository; one method can raise or block on its N-th call."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[str] = []
        self.fail: dict[str, tuple[int, BaseException]] = {}
        self.block: dict[str, int] = {}
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.hook: Callable[[], Coroutine[Any, Any, None]] | None = None

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(method)
        count = self.calls.count(method)
        if self.hook is not None:
            await self.hook()
        if method in self.block and self.block[method] == count:
            self.entered.set()
            await self.release.wait()
        if method in self.fail and self.fail[method][0] == count:
            raise self.fail[method][1]
        return await getattr(self.inner, method)(*args, **kwargs)

    async def get_by_id(self, id: int, *, profile: str = "default") -> Any:
        return await self._call("get_by_id", id, profile=profile)

    async def get_by(self, field: str, value: object, *, profile: str = "default") -> Any:
        return await self._call("get_by", field, value, profile=profile)

    async def exists_by(self, field: str, value: object) -> bool:
        return bool(await self._call("exists_by", field, value))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class BlockingOutbox(Outbox):
    def __init__(self) -> None:
        super().__init__()
        self.block = False
        self.entered = asyncio.Event()

    async def send(self, email: Email) -> None:
        if self.block:
            self.entered.set()
            await asyncio.Event().wait()  # forever
        await super().send(email)


@dataclass
class Shop:
    app: ShopApp
    factory: FaultyFactory
    logger: RecordingLogger
    outbox: BlockingOutbox
    users: FaultyRepository
    products: FaultyRepository
    before: Any = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def executor(self) -> RuntimeExecutor:
        return self.app.executor

    async def place_order(self, quantity: int = 2, sku: str = "MUG") -> Order:
        order: Order = await self.executor.execute(
            self.app.make(PlaceOrder),
            params={"user_id": 1},
            payload={"sku": sku, "quantity": quantity},
        )
        return order

    def error_events(self) -> list[tuple[str, str | None, BaseException | None]]:
        return [
            (e.use_case_name, e.status, e.error)
            for e in self.app.metrics.events
            if e.kind is EventKind.EXEC_ERROR
        ]


@pytest.fixture
async def shop(make_executor: MakeExecutor, tmp_path: Path) -> AsyncIterator[Shop]:
    logger = RecordingLogger()
    factories: list[FaultyFactory] = []
    outbox = BlockingOutbox()

    def uow_factory(database: Database) -> FaultyFactory:
        factories.append(FaultyFactory(SqliteUnitOfWorkFactory(database)))
        return factories[-1]

    shop: Shop | None = None
    app = await ShopApp.open(
        tmp_path / "shop.db",
        pool_size=POOL_SIZE,
        executor_factory=lambda **kwargs: make_executor(logger=logger, **kwargs),
        uow_factory=uow_factory,
        outbox=outbox,
    )
    try:
        await app.users.add(email=ADA, name="Ada")
        await app.users.add(email="grace@example.com", name="Grace")
        await app.products.add(sku="MUG", name="Mug", price_cents=1250, stock=50)
        await app.products.add(sku="TEE", name="T-shirt", price_cents=2000, stock=2)
        # Every repository the executor resolves goes through a faulty wrapper
        # (the nested ReserveStock resolves its own, so dependencies= would miss it).
        users, products = FaultyRepository(app.users), FaultyRepository(app.products)
        repositories: dict[type[Any], Any] = app.repositories  # type: ignore[assignment]
        repositories[User] = users
        repositories[Product] = products
        shop = Shop(app, factories[0], logger, outbox, users, products)
        shop.before = await app.database.snapshot()
        yield shop
    finally:
        for task in shop.tasks if shop is not None else []:
            task.cancel()
        await app.close()


async def assert_all_clear(shop: Shop, *, expected_rows: Any = None) -> None:
    """The database is as expected, every unit of work closed, and the shop still works."""
    database = shop.app.database
    assert await database.snapshot() == (shop.before if expected_rows is None else expected_rows)
    for uow in shop.factory.created:
        assert uow.inner.state in (UnitOfWorkState.COMMITTED, UnitOfWorkState.ROLLED_BACK)
        assert uow.inner._connection is None
    assert not database.write_lock.locked()
    # No connection leaked: the whole pool can be borrowed at once.
    async with AsyncExitStack() as stack:
        for _ in range(POOL_SIZE):
            connection = await asyncio.wait_for(database.acquire(), 2)
            stack.push_async_callback(database.release, connection)
            assert not connection.in_transaction
    # Nothing is left over: the next order goes through and is dispatched.
    shop.users.fail.clear()
    shop.products.fail.clear()
    shop.products.block.clear()
    shop.users.hook = None
    shop.factory.fail_commit = shop.factory.fail_rollback = None
    shop.factory.break_rollback_statement = False
    shop.factory.commit_gate = None
    shop.outbox.block = False
    sent = len(shop.outbox.sent)
    order = await asyncio.wait_for(shop.place_order(quantity=1), 5)
    assert order.quantity == 1
    assert len(shop.outbox.sent) == sent + 1
    assert get_active_uow() is None and pending_dispatch_count() == 0


def assert_context_clean(trace_id: str | None) -> None:
    assert get_active_uow() is None
    assert get_trace_id() == trace_id
    assert pending_dispatch_count() == 0


@pytest.fixture
def trace() -> Any:
    token = set_trace_id("caller-trace")
    yield "caller-trace"
    reset_trace_id(token)


# -- repositories raising -----------------------------------------------------------------------


async def test_a_load_raising_mid_pipeline(shop: Shop, trace: str) -> None:
    boom = Boom("product table on fire")
    shop.products.fail["get_by"] = (1, boom)  # PlaceOrder's second load
    with pytest.raises(Boom) as caught:
        await shop.place_order()
    assert caught.value is boom
    assert_context_clean(trace)
    assert shop.error_events() == [("PlaceOrder", "failure", boom)]
    assert shop.outbox.sent == []
    await assert_all_clear(shop)


async def test_an_exists_check_raising(shop: Shop, trace: str) -> None:
    boom = Boom("index corrupt")
    shop.users.fail["exists_by"] = (1, boom)
    with pytest.raises(Boom) as caught:
        await shop.executor.execute(
            shop.app.make(RegisterUser), payload={"emailAddress": "new@example.com"}
        )
    assert caught.value is boom
    assert_context_clean(trace)
    await assert_all_clear(shop)


async def test_a_nested_load_raising_after_the_outer_write(shop: Shop, trace: str) -> None:
    """PlaceOrder has inserted its order when the nested ReserveStock's load fails."""
    boom = Boom("replica gone")
    shop.products.fail["get_by_id"] = (1, boom)
    with pytest.raises(Boom) as caught:
        await shop.place_order()
    assert caught.value is boom
    assert_context_clean(trace)
    assert [(name, status) for name, status, _ in shop.error_events()] == [
        ("ReserveStock", "failure"),
        ("PlaceOrder", "failure"),
    ]
    assert all(error is boom for _, _, error in shop.error_events())
    assert [c for c in shop.products.calls] == ["get_by", "get_by_id"]
    await assert_all_clear(shop)


# -- commit failures ---------------------------------------------------------------------------


async def test_a_commit_failing_in_the_unit_of_work(shop: Shop, trace: str) -> None:
    boom = Boom("commit refused")
    shop.factory.fail_commit = boom
    with pytest.raises(Boom) as caught:
        await shop.place_order()
    assert caught.value is boom
    assert_context_clean(trace)
    assert shop.outbox.sent == []
    await assert_all_clear(shop)


async def test_a_commit_failing_in_sqlite(shop: Shop, trace: str) -> None:
    """A deferred foreign key violation makes SQLite's COMMIT itself fail."""

    async def poison() -> None:
        uow = get_active_uow()
        async with connection_for(shop.app.database, uow) as connection:
            await connection.execute_fetchall("PRAGMA defer_foreign_keys = ON")
            await connection.execute_fetchall(
                "INSERT INTO orders (user_id, product_id, quantity, total_cents, status)"
                " VALUES (999, 1, 1, 1, 'placed')"
            )
        shop.users.hook = None

    shop.users.hook = poison
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY") as caught:
        await shop.place_order()
    assert_context_clean(trace)
    ((name, status, error),) = shop.error_events()
    assert (name, status, error) == ("PlaceOrder", "failure", caught.value)
    assert shop.outbox.sent == []
    await assert_all_clear(shop)


# -- rollback failures --------------------------------------------------------------------------


async def test_a_rollback_failing_after_a_repository_error(shop: Shop, trace: str) -> None:
    boom = Boom("load failed")
    shop.products.fail["get_by"] = (1, boom)
    shop.factory.fail_rollback = RuntimeError("rollback refused")
    with pytest.raises(Boom) as caught:
        await shop.place_order()
    assert caught.value is boom
    assert_context_clean(trace)
    errors = [line.event for line in shop.logger.at("error")]
    assert len(errors) == 2, errors  # the rollback failure, then the [FAIL] summary
    assert errors[0].startswith("[UOW] PlaceOrder: rollback failed after Boom:")
    assert "RuntimeError: rollback refused" in errors[0]
    assert errors[1].startswith("[FAIL] PlaceOrder: Boom: load failed")
    await assert_all_clear(shop)


async def test_the_rollback_statement_failing(shop: Shop, trace: str) -> None:
    """The connection breaks: ROLLBACK fails; the connection is closed, never reused."""
    boom = Boom("nested write failed")
    shop.products.fail["get_by_id"] = (1, boom)  # after PlaceOrder's INSERT
    shop.factory.break_rollback_statement = True
    with pytest.raises(Boom) as caught:
        await shop.place_order()
    assert caught.value is boom
    assert_context_clean(trace)
    assert any("rollback failed" in line.event for line in shop.logger.at("error"))
    await assert_all_clear(shop)


# -- cancellation ----------------------------------------------------------------------------------


@dataclass
class Seen:
    """What the task saw in its own context right after the execution failed."""

    active_uow: Any = "unset"
    trace_id: Any = "unset"
    pending: Any = "unset"
    error: BaseException | None = None


def spawn(
    shop: Shop, call: Callable[[], Coroutine[Any, Any, Any]], seen: Seen
) -> asyncio.Task[Any]:
    async def run() -> Any:
        set_trace_id("task-trace")
        try:
            return await call()
        except BaseException as error:
            seen.error = error
            seen.active_uow = get_active_uow()
            seen.trace_id = get_trace_id()
            seen.pending = pending_dispatch_count()
            raise

    task = asyncio.create_task(run())
    shop.tasks.append(task)
    return task


def assert_seen_clean(seen: Seen) -> None:
    assert seen.active_uow is None
    assert seen.trace_id == "task-trace"
    assert seen.pending == 0


@pytest.mark.parametrize("where", ["outer-load", "nested-load-after-write"])
async def test_cancelled_in_the_middle_of_a_load(shop: Shop, trace: str, where: str) -> None:
    if where == "outer-load":
        shop.products.block["get_by"] = 1
    else:
        shop.products.block["get_by_id"] = 1
    seen = Seen()
    task = spawn(shop, shop.place_order, seen)
    await asyncio.wait_for(shop.products.entered.wait(), 5)
    assert shop.app.database.write_lock.locked()  # inside the unit of work
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert isinstance(seen.error, asyncio.CancelledError)
    assert_seen_clean(seen)
    assert_context_clean(trace)
    statuses = [(name, status) for name, status, _ in shop.error_events()]
    expected = [("PlaceOrder", "cancelled")]
    if where != "outer-load":
        expected.insert(0, ("ReserveStock", "cancelled"))
    assert statuses == expected
    await assert_all_clear(shop)


@pytest.mark.parametrize("how", ["wait_for", "timeout"])
async def test_a_timeout_in_the_middle_of_a_load(shop: Shop, trace: str, how: str) -> None:
    shop.products.block["get_by_id"] = 1  # nested, after the outer INSERT
    if how == "wait_for":
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(shop.place_order(), 0.2)
    else:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await shop.place_order()
    assert shop.products.entered.is_set()
    assert_context_clean(trace)
    assert [status for _, status, _ in shop.error_events()] == ["cancelled", "cancelled"]
    await assert_all_clear(shop)


async def test_cancelled_while_waiting_for_the_write_lock(shop: Shop, trace: str) -> None:
    shop.products.block["get_by"] = 1
    holder = spawn(shop, shop.place_order, Seen())
    await asyncio.wait_for(shop.products.entered.wait(), 5)  # the holder has the lock
    seen = Seen()
    waiter = spawn(shop, lambda: shop.place_order(quantity=3), seen)
    for _ in range(20):
        await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert_seen_clean(seen)
    shop.products.release.set()
    order = await asyncio.wait_for(holder, 5)
    assert order.quantity == 2
    committed = await shop.app.database.snapshot()
    assert committed.rows("orders") == ((1, 1, 1, 2, 2500, "placed"),)
    await assert_all_clear(shop, expected_rows=committed)


async def test_cancelled_while_committing(shop: Shop, trace: str) -> None:
    shop.factory.commit_gate = asyncio.Event()  # never set
    seen = Seen()
    task = spawn(shop, shop.place_order, seen)
    await asyncio.wait_for(shop.factory.committing.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_seen_clean(seen)
    assert shop.outbox.sent == []
    await assert_all_clear(shop)


async def test_cancelled_again_while_rolling_back(shop: Shop, trace: str) -> None:
    """A second cancellation lands while the rollback statement runs."""
    shop.products.block["get_by_id"] = 1
    seen = Seen()
    task = spawn(shop, shop.place_order, seen)
    await asyncio.wait_for(shop.products.entered.wait(), 5)
    task.cancel()
    await asyncio.wait_for(shop.factory.rolling_back.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert isinstance(seen.error, asyncio.CancelledError)
    assert_seen_clean(seen)
    await assert_all_clear(shop)


async def test_cancelled_in_a_post_commit_dispatch(shop: Shop, trace: str) -> None:
    """The order is committed; the e-mail is lost with the cancellation, nothing else."""
    shop.outbox.block = True
    seen = Seen()
    task = spawn(shop, shop.place_order, seen)
    await asyncio.wait_for(shop.outbox.entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_seen_clean(seen)
    committed = await shop.app.database.snapshot()
    assert committed.rows("orders") == ((1, 1, 1, 2, 2500, "placed"),)
    assert committed.rows("products")[0][4] == 48
    await assert_all_clear(shop, expected_rows=committed)
