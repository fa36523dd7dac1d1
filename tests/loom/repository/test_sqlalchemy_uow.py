"""The SQLAlchemy unit of work under the executor, on SQLite files and PostgreSQL.

Every test runs on both backends and in both execution modes, and looks at
the database through a second, independent ``SessionManager`` (``peer``),
so what it sees is what was committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text

from loom.core.engine import RuntimeExecutor
from loom.core.errors import Conflict
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    SQLAlchemyUnitOfWork,
    SQLAlchemyUnitOfWorkFactory,
    get_active_session,
)
from tests.postgres import PostgresServer
from tests.usecases.persistence import (
    ActiveSession,
    Base,
    Category,
    CreateProduct,
    DescribeProduct,
    Product,
    ReserveStock,
    RestockThenReserve,
    StockMovement,
)

MakeExecutor = Callable[..., RuntimeExecutor]


class Shop:
    """The repositories over one database, an executor using them, and a peer to look with."""

    def __init__(self, manager: SessionManager, peer: SessionManager) -> None:
        self.manager = manager
        self.peer = peer
        self.products = RepositorySQLAlchemy(manager, Product, lock_profiles=("for_update",))
        self.categories = RepositorySQLAlchemy(manager, Category)
        self.movements = RepositorySQLAlchemy(manager, StockMovement)
        self.repos: dict[type[Any], Any] = {
            Product: self.products,
            Category: self.categories,
            StockMovement: self.movements,
        }

    def executor(self, make_executor: MakeExecutor) -> RuntimeExecutor:
        return make_executor(
            uow_factory=SQLAlchemyUnitOfWorkFactory(self.manager),
            repo_resolver=self.repos.__getitem__,
        )

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.peer.session() as session:
            return (await session.execute(text(sql), params)).scalar()

    async def seed_product(self, stock: int, sku: str = "P-1") -> int:
        async with self.peer.session() as session:
            session.add(Product(sku=sku, name=sku, price_cents=100, stock=stock))
            await session.commit()
        return int(await self.scalar("SELECT id FROM products WHERE sku = :sku", sku=sku))


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    manager = SessionManager(database_url, pool_size=5, max_overflow=10)
    peer = SessionManager(database_url, pool_size=2, max_overflow=0)
    async with manager.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield Shop(manager, peer)
    finally:
        await manager.dispose()
        await peer.dispose()


NEW = {"sku": "A-1", "name": "Anvil", "priceCents": 2500, "stock": 3}


async def test_commit_persists(shop: Shop, make_executor: MakeExecutor) -> None:
    executor = shop.executor(make_executor)
    product = await executor.execute(CreateProduct(shop.products), payload=NEW)
    assert (product.sku, product.stock) == ("A-1", 3)
    assert product.id == await shop.scalar("SELECT id FROM products WHERE sku = 'A-1'")
    assert get_active_session() is None


async def test_failure_rolls_back(shop: Shop, make_executor: MakeExecutor) -> None:
    executor = shop.executor(make_executor)
    with pytest.raises(RuntimeError, match="failed after creating A-1"):
        await executor.execute(CreateProduct(shop.products, fail=True), payload=NEW)
    assert await shop.scalar("SELECT count(*) FROM products") == 0

    product_id = await shop.seed_product(stock=4)
    with pytest.raises(RuntimeError, match="failed after reserving"):
        await executor.execute(
            ReserveStock(shop.movements, fail=True),
            params={"product_id": product_id},
            payload={"quantity": 3},
        )
    assert await shop.scalar("SELECT stock FROM products") == 4
    assert await shop.scalar("SELECT count(*) FROM stock_movements") == 0
    assert get_active_session() is None


async def test_broken_constraint_is_a_conflict_and_rolls_back(
    shop: Shop, make_executor: MakeExecutor
) -> None:
    executor = shop.executor(make_executor)
    await executor.execute(CreateProduct(shop.products), payload=NEW)
    with pytest.raises(Conflict, match="create Product duplicates an existing value"):
        await executor.execute(CreateProduct(shop.products), payload={**NEW, "name": "Other"})
    with pytest.raises(Conflict, match="create Product breaks a check constraint"):
        await executor.execute(
            CreateProduct(shop.products), payload={**NEW, "sku": "B-1", "priceCents": 0}
        )
    assert await shop.scalar("SELECT count(*) FROM products") == 1
    assert await shop.scalar("SELECT name FROM products") == "Anvil"


async def test_nested_use_cases_share_one_transaction(
    shop: Shop, make_executor: MakeExecutor
) -> None:
    executor = shop.executor(make_executor)
    product_id = await shop.seed_product(stock=1)
    product = await executor.execute(
        RestockThenReserve(executor, ReserveStock(shop.movements)),
        params={"product_id": product_id, "quantity": 7},
    )
    # The inner execution loaded the same row in the same session: one object.
    assert product.stock == 1 + 10 - 7
    assert await shop.scalar("SELECT stock FROM products") == 4
    assert await shop.scalar("SELECT quantity FROM stock_movements") == -7


async def test_failure_inside_a_nested_use_case_rolls_back_the_outer_one(
    shop: Shop, make_executor: MakeExecutor
) -> None:
    executor = shop.executor(make_executor)
    product_id = await shop.seed_product(stock=1)
    with pytest.raises(RuntimeError, match="failed after reserving"):
        await executor.execute(
            RestockThenReserve(executor, ReserveStock(shop.movements, fail=True)),
            params={"product_id": product_id, "quantity": 7},
        )
    with pytest.raises(Conflict, match="only 11 of P-1 left"):
        await executor.execute(
            RestockThenReserve(executor, ReserveStock(shop.movements)),
            params={"product_id": product_id, "quantity": 12},
        )
    assert await shop.scalar("SELECT stock FROM products") == 1
    assert await shop.scalar("SELECT count(*) FROM stock_movements") == 0


async def test_concurrent_executions_get_separate_sessions(
    shop: Shop, make_executor: MakeExecutor
) -> None:
    executor = shop.executor(make_executor)
    product_id = await shop.seed_product(stock=0)
    sessions = await asyncio.gather(
        *(
            executor.execute(ActiveSession(shop.movements), params={"product_id": product_id})
            for _ in range(12)
        )
    )
    assert all(session is not None for session in sessions)
    assert len({id(session) for session in sessions}) == 12
    assert await shop.scalar("SELECT count(*) FROM stock_movements") == 12


async def test_racing_reservations_never_oversell(
    database_url: str, make_executor: MakeExecutor
) -> None:
    # A pool smaller than the crowd: writers and readers wait their turn, none deadlocks.
    manager = SessionManager(database_url, pool_size=3, max_overflow=0)
    peer = SessionManager(database_url, pool_size=1, max_overflow=0)
    try:
        async with manager.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        shop = Shop(manager, peer)
        executor = shop.executor(make_executor)
        product_id = await shop.seed_product(stock=5)
        reservations = [
            executor.execute(
                ReserveStock(shop.movements),
                params={"product_id": product_id},
                payload={"quantity": 1},
            )
            for _ in range(12)
        ]
        reads = [
            executor.execute(DescribeProduct(), params={"product_id": product_id})
            for _ in range(12)
        ]
        outcomes = await asyncio.gather(*reservations, *reads, return_exceptions=True)
        succeeded = [o for o in outcomes[:12] if isinstance(o, Product)]
        refused = [o for o in outcomes[:12] if isinstance(o, Conflict)]
        assert (len(succeeded), len(refused)) == (5, 7), outcomes
        for described in outcomes[12:]:
            # Reads ran alongside, outside any unit of work, and saw committed data only.
            assert isinstance(described, dict), described
            assert 0 <= described["stock"] <= 5 and described["active_session"] is None
            assert described["movements"] == [-1] * len(described["movements"])
        assert await shop.scalar("SELECT stock FROM products") == 0
        assert await shop.scalar("SELECT sum(quantity) FROM stock_movements") == -5
    finally:
        await manager.dispose()
        await peer.dispose()


async def test_dispatches_run_after_the_commit_is_visible(
    shop: Shop, make_executor: MakeExecutor
) -> None:
    executor = shop.executor(make_executor)
    product_id = await shop.seed_product(stock=5)
    seen: list[tuple[int, int, Any]] = []

    async def check(movement_id: int) -> None:
        # Another connection, another pool: only committed data is visible there.
        count = await shop.scalar(
            "SELECT count(*) FROM stock_movements WHERE id = :id", id=movement_id
        )
        seen.append((movement_id, count, get_active_session()))

    await executor.execute(
        ReserveStock(shop.movements, dispatch=check),
        params={"product_id": product_id},
        payload={"quantity": 2},
    )
    movement_id = await shop.scalar("SELECT id FROM stock_movements")
    assert seen == [(movement_id, 1, None)]

    with pytest.raises(RuntimeError):
        await executor.execute(
            ReserveStock(shop.movements, dispatch=check, fail=True),
            params={"product_id": product_id},
            payload={"quantity": 2},
        )
    assert len(seen) == 1
    assert await shop.scalar("SELECT stock FROM products") == 3


async def test_read_only_execution_reads_without_a_unit_of_work(
    shop: Shop, make_executor: MakeExecutor
) -> None:
    executor = shop.executor(make_executor)
    async with shop.peer.session() as session:
        category = Category(name="Tools")
        session.add(Product(sku="H-1", name="Hammer", price_cents=900, category=category))
        await session.commit()
    product_id = await shop.scalar("SELECT id FROM products")
    await executor.execute(
        ReserveStock(shop.movements),
        params={"product_id": product_id},
        payload={"quantity": 0},
    )
    described = await executor.execute(DescribeProduct(), params={"product_id": product_id})
    assert described == {
        "sku": "H-1",
        "stock": 0,
        "category": "Tools",
        "movements": [0],
        "category_with_same_id": True,
        "active_session": None,
    }


async def test_unit_of_work_on_its_own(shop: Shop) -> None:
    product_id = await shop.seed_product(stock=2)
    uow = SQLAlchemyUnitOfWork(shop.manager)
    with pytest.raises(RuntimeError, match="before begin"):
        await uow.commit()
    async with uow:
        assert get_active_session() is uow.session
        product = await shop.products.get_by_id(product_id)
        assert product is not None
        product.stock = 9
    assert get_active_session() is None
    assert await shop.scalar("SELECT stock FROM products") == 9

    # A constraint the commit breaks is a Conflict; nothing is written.
    with pytest.raises(Conflict, match="commit breaks a check constraint"):
        async with SQLAlchemyUnitOfWork(shop.manager):
            product = await shop.products.get_by_id(product_id)
            assert product is not None
            product.stock = -1
    assert await shop.scalar("SELECT stock FROM products") == 9

    uow = SQLAlchemyUnitOfWork(shop.manager)
    await uow.begin()
    with pytest.raises(RuntimeError, match="called twice"):
        await uow.begin()
    await uow.rollback()
    await uow.rollback()  # after the transaction ended: nothing left to do
    assert get_active_session() is None


async def test_a_restarted_postgresql_server_costs_one_failed_execution_at_most(
    postgres_server: PostgresServer, make_executor: MakeExecutor
) -> None:
    url = await postgres_server.create_database_async()
    manager = SessionManager(url, pool_size=2, max_overflow=0)
    peer = SessionManager(url, pool_size=1, max_overflow=0)
    try:
        async with manager.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        shop = Shop(manager, peer)
        executor = shop.executor(make_executor)
        product_id = await shop.seed_product(stock=5)

        async def reserve() -> Product:
            result: Product = await executor.execute(
                ReserveStock(shop.movements),
                params={"product_id": product_id},
                payload={"quantity": 1},
            )
            return result

        await reserve()
        postgres_server.stop_server()
        try:
            with pytest.raises(OSError):  # connection refused, raised as is: a 5xx upstream
                await reserve()
        finally:
            postgres_server.restart_server()
        # The pooled connections died with the server: the pre-ping replaces them.
        assert (await reserve()).stock == 3
        assert await shop.scalar("SELECT stock FROM products") == 3
        assert await shop.scalar("SELECT count(*) FROM stock_movements") == 2
    finally:
        await manager.dispose()
        await peer.dispose()
