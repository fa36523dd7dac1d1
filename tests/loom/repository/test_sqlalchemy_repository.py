"""RepositorySQLAlchemy on its own (short transactions of its own) and inside
units of work, on SQLite files and PostgreSQL: reads, profiles, writes,
``list_with_query`` and ``@transactional``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel
from sqlalchemy import event, text
from sqlalchemy.exc import InvalidRequestError

from loom.core.errors import Conflict
from loom.core.repository.abc import (
    CursorResult,
    FilterGroup,
    FilterOp,
    FilterSpec,
    PageResult,
    PaginationMode,
    QuerySpec,
    SortSpec,
)
from loom.core.repository.sqlalchemy import (
    FilterPathError,
    InvalidCursorError,
    RepositorySQLAlchemy,
    SessionManager,
    SQLAlchemyUnitOfWork,
    UnknownProfileError,
    UnsafeFilterError,
    get_active_session,
    transactional,
)
from loom.core.tracing import reset_trace_id, set_trace_id
from tests.usecases.persistence import Base, Category, Product, StockMovement


@dataclass
class Repos:
    manager: SessionManager
    peer: SessionManager
    products: RepositorySQLAlchemy[Product]
    categories: RepositorySQLAlchemy[Category]
    movements: RepositorySQLAlchemy[StockMovement]

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.peer.session() as session:
            return (await session.execute(text(sql), params)).scalar()


@pytest.fixture
async def repos(database_url: str) -> AsyncIterator[Repos]:
    manager = SessionManager(database_url, pool_size=3, max_overflow=2)
    peer = SessionManager(database_url, pool_size=1, max_overflow=0)
    async with manager.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    try:
        yield Repos(
            manager,
            peer,
            RepositorySQLAlchemy(manager, Product),
            RepositorySQLAlchemy(manager, Category),
            RepositorySQLAlchemy(manager, StockMovement),
        )
    finally:
        await manager.dispose()
        await peer.dispose()


class PriceChange(BaseModel):
    name: str | None = None
    price_cents: int | None = None


class StructChange(msgspec.Struct, kw_only=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    price_cents: int | msgspec.UnsetType = msgspec.UNSET


@dataclass
class NewCategory:
    name: str


async def seed_catalog(repos: Repos) -> dict[str, int]:
    """Twelve products: three categories of four, prices 100..1200, some with movements."""
    ids: dict[str, int] = {}
    tools = await repos.categories.create({"name": "Tools"})
    garden = await repos.categories.create(NewCategory("Garden"))
    kitchen = await repos.categories.create(Category(name="Kitchen"))
    categories = [tools, garden, kitchen]
    for n in range(1, 13):
        product = await repos.products.create(
            {
                "sku": f"SKU-{n:02d}",
                "name": f"{'Red' if n % 2 else 'blue'} item {n}",
                "price_cents": n * 100,
                "stock": n % 5,
                "category_id": categories[(n - 1) // 4].id,
            }
        )
        ids[product.sku] = product.id
    for sku in ("SKU-02", "SKU-05"):
        await repos.movements.create({"product_id": ids[sku], "quantity": 1})
    return ids


async def test_writes_outside_a_unit_of_work_commit_on_their_own(repos: Repos) -> None:
    created = await repos.products.create(
        {"sku": "A-1", "name": "Anvil", "price_cents": 2500, "stock": 1}
    )
    assert created.id is not None and get_active_session() is None
    assert await repos.scalar("SELECT name FROM products WHERE id = :id", id=created.id) == "Anvil"

    updated = await repos.products.update(created.id, PriceChange(price_cents=2600))
    assert updated is not None and (updated.name, updated.price_cents) == ("Anvil", 2600)
    assert await repos.scalar("SELECT price_cents FROM products") == 2600
    assert await repos.products.update(created.id + 100, {"name": "nobody"}) is None

    # A msgspec struct, as loom-kernel's update payloads were: UNSET fields are left alone.
    renamed = await repos.products.update(created.id, StructChange(name="Big anvil"))
    assert renamed is not None and (renamed.name, renamed.price_cents) == ("Big anvil", 2600)

    fetched = await repos.products.get_by("sku", "A-1")
    assert fetched is not None and fetched.price_cents == 2600
    assert await repos.products.exists_by("sku", "A-1") is True
    assert await repos.products.exists_by("sku", "B-1") is False
    assert await repos.products.exists(created.id) is True
    assert await repos.products.count() == 1

    assert await repos.products.delete(created.id) is True
    assert await repos.products.delete(created.id) is False
    assert await repos.scalar("SELECT count(*) FROM products") == 0


async def test_failed_writes_are_conflicts_and_leave_nothing(repos: Repos) -> None:
    await repos.products.create({"sku": "A-1", "name": "Anvil", "price_cents": 1})
    with pytest.raises(Conflict, match=r"create Product duplicates an existing value"):
        await repos.products.create({"sku": "A-1", "name": "Again", "price_cents": 1})
    with pytest.raises(Conflict, match=r"create StockMovement breaks a foreign key"):
        await repos.movements.create({"product_id": 999, "quantity": 1})
    with pytest.raises(Conflict, match=r"update Product breaks a check constraint"):
        await repos.products.update(1, {"price_cents": -3})
    assert await repos.scalar("SELECT count(*) FROM products") == 1
    assert await repos.scalar("SELECT price_cents FROM products") == 1
    assert await repos.scalar("SELECT count(*) FROM stock_movements") == 0


async def test_bad_fields_and_data_are_clear_errors(repos: Repos) -> None:
    with pytest.raises(ValueError, match=r"create Product: unknown field\(s\) colour; fields: "):
        await repos.products.create({"sku": "A", "name": "A", "price_cents": 1, "colour": "red"})
    with pytest.raises(TypeError, match="create Product: expected a mapping.*got int"):
        await repos.products.create(42)
    with pytest.raises(ValueError, match="Product has no column 'colour'; columns: category_id, "):
        await repos.products.get_by("colour", "red")
    with pytest.raises(ValueError, match="Product has no column 'movements'"):
        await repos.products.exists_by("movements", 1)
    with pytest.raises(TypeError, match="is not a mapped SQLAlchemy class"):
        RepositorySQLAlchemy(repos.manager, PriceChange)
    with pytest.raises(ValueError, match="profile 'x': Product has no relationship 'lines'"):
        RepositorySQLAlchemy(repos.manager, Product, profiles={"x": ("lines",)})


async def test_profiles_choose_the_relations_loaded(repos: Repos) -> None:
    ids = await seed_catalog(repos)
    assert repos.products.profiles == {"default", "with_category", "detail"}

    plain = await repos.products.get_by_id(ids["SKU-05"])
    assert plain is not None
    with pytest.raises(InvalidRequestError, match="'Product.movements' is not available"):
        _ = plain.movements

    detail = await repos.products.get_by_id(ids["SKU-05"], profile="detail")
    assert detail is not None and detail.category is not None
    assert (detail.category.name, [m.quantity for m in detail.movements]) == ("Garden", [1])

    by_sku = await repos.products.get_by("sku", "SKU-01", profile="with_category")
    assert by_sku is not None and by_sku.category is not None
    assert by_sku.category.name == "Tools"

    # A relation without declared profiles belongs to the default profile.
    movement = await repos.movements.get_by("product_id", ids["SKU-02"])
    assert movement is not None and movement.product.sku == "SKU-02"

    tools = await repos.categories.get_by("name", "Tools", profile="with_products")
    assert tools is not None and len(tools.products) == 4

    with pytest.raises(
        UnknownProfileError,
        match="Profile 'full' not found for Product; known profiles: 'default', 'detail', "
        "'with_category'",
    ):
        await repos.products.get_by_id(ids["SKU-01"], profile="full")

    # A lock profile locks single loads; pages are never locked.
    locking = RepositorySQLAlchemy(repos.manager, Product, lock_profiles=("for_update",))
    assert locking.profiles == {"default", "with_category", "detail", "for_update"}
    locked = await locking.get_by_id(ids["SKU-01"], profile="for_update")
    assert locked is not None and locked.sku == "SKU-01"
    page = await locking.list_with_query(QuerySpec(limit=3), profile="for_update")
    assert names(page) == ["SKU-01", "SKU-02", "SKU-03"]

    overridden = RepositorySQLAlchemy(repos.manager, Product, profiles={"default": ["movements"]})
    assert overridden.profiles == {"default"}
    loaded = await overridden.get_by_id(ids["SKU-02"])
    assert loaded is not None and [m.quantity for m in loaded.movements] == [1]


async def test_inside_a_unit_of_work_entities_belong_to_the_transaction(repos: Repos) -> None:
    ids = await seed_catalog(repos)
    with pytest.raises(RuntimeError, match="undo"):
        async with SQLAlchemyUnitOfWork(repos.manager) as uow:
            product = await repos.products.get_by_id(ids["SKU-03"])
            assert product is not None
            product.name = "Renamed"
            await repos.movements.create({"product_id": product.id, "quantity": 5})
            assert await repos.movements.count() == 3  # sees its own write
            assert get_active_session() is uow.session
            raise RuntimeError("undo")
    assert await repos.scalar("SELECT name FROM products WHERE sku = 'SKU-03'") == "Red item 3"
    assert await repos.scalar("SELECT count(*) FROM stock_movements") == 2

    async with SQLAlchemyUnitOfWork(repos.manager):
        product = await repos.products.get_by_id(ids["SKU-03"])
        assert product is not None
        product.name = "Renamed"
        assert await repos.products.delete(ids["SKU-12"]) is True
    assert await repos.scalar("SELECT name FROM products WHERE sku = 'SKU-03'") == "Renamed"
    assert await repos.scalar("SELECT count(*) FROM products") == 11


def names(result: PageResult[Product] | CursorResult[Product]) -> list[str]:
    return [product.sku for product in result.items]


async def test_list_with_query_filters_sorts_and_pages_by_offset(repos: Repos) -> None:
    await seed_catalog(repos)
    page = await repos.products.list_with_query(
        QuerySpec(
            filters=FilterGroup((FilterSpec("price_cents", FilterOp.GTE, 300),)),
            sort=(SortSpec("price_cents", "DESC"),),
            limit=4,
            page=2,
        )
    )
    assert isinstance(page, PageResult)
    assert names(page) == ["SKU-08", "SKU-07", "SKU-06", "SKU-05"]
    assert (page.total_count, page.page, page.limit, page.has_next) == (10, 2, 4, True)

    detailed = await repos.products.list_with_query(QuerySpec(limit=5), profile="detail")
    assert [
        (p.category.name if p.category else None, len(p.movements)) for p in detailed.items
    ] == [("Tools", 0), ("Tools", 1), ("Tools", 0), ("Tools", 0), ("Garden", 1)]
    cursor_page = await repos.products.list_with_query(
        QuerySpec(pagination=PaginationMode.CURSOR, limit=2), profile="detail"
    )
    assert [len(p.movements) for p in cursor_page.items] == [0, 1]

    last = await repos.products.list_with_query(QuerySpec(limit=5, page=3))
    assert isinstance(last, PageResult)
    assert names(last) == ["SKU-11", "SKU-12"] and last.has_next is False
    beyond = await repos.products.list_with_query(QuerySpec(limit=5, page=9))
    assert isinstance(beyond, PageResult)
    assert (names(beyond), beyond.total_count, beyond.has_next) == ([], 12, False)

    await repos.products.create({"sku": "SKU-13", "name": "Red item 13", "price_cents": 1300})
    cases: list[tuple[FilterGroup, list[str]]] = [
        (FilterGroup((FilterSpec("sku", FilterOp.IN, ["SKU-01", "SKU-04", "X"]),)), ["01", "04"]),
        (FilterGroup((FilterSpec("name", FilterOp.LIKE, "blue item 1%"),)), ["10", "12"]),
        (FilterGroup((FilterSpec("name", FilterOp.ILIKE, "BLUE ITEM 1%"),)), ["10", "12"]),
        (
            FilterGroup((FilterSpec("category.name", FilterOp.EQ, "Kitchen"),)),
            ["09", "10", "11", "12"],
        ),
        (FilterGroup((FilterSpec("movements", FilterOp.EXISTS),)), ["02", "05"]),
        (FilterGroup((FilterSpec("movements.quantity", FilterOp.GT, 0),)), ["02", "05"]),
        (FilterGroup((FilterSpec("category_id", FilterOp.IS_NULL),)), ["13"]),
        (
            FilterGroup(
                (FilterSpec("price_cents", FilterOp.LT, 200), FilterSpec("stock", FilterOp.EQ, 4)),
                "OR",
            ),
            ["01", "04", "09"],
        ),
        (
            FilterGroup(
                (
                    FilterSpec("category.name", FilterOp.NE, "Tools"),
                    FilterSpec("movements", FilterOp.NOT_EXISTS),
                    FilterSpec("price_cents", FilterOp.LTE, 700),
                )
            ),
            ["06", "07"],
        ),
    ]
    for group, expected in cases:
        result = await repos.products.list_with_query(QuerySpec(filters=group, limit=20))
        assert names(result) == [f"SKU-{n}" for n in expected], group


async def test_list_with_query_pages_by_cursor(repos: Repos) -> None:
    await seed_catalog(repos)
    for sort in [(), (SortSpec("stock", "DESC"), SortSpec("name")), (SortSpec("stock"),)]:
        everything = await repos.products.list_with_query(QuerySpec(sort=sort, limit=100))
        walked: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            result = await repos.products.list_with_query(
                QuerySpec(sort=sort, pagination=PaginationMode.CURSOR, limit=5, cursor=cursor)
            )
            assert isinstance(result, CursorResult)
            walked += names(result)
            pages += 1
            if not result.has_next:
                assert result.next_cursor is None
                break
            cursor = result.next_cursor
        assert (walked, pages) == (names(everything), 3), sort

    first = await repos.products.list_with_query(
        QuerySpec(pagination=PaginationMode.CURSOR, limit=5)
    )
    assert isinstance(first, CursorResult) and first.next_cursor is not None
    with pytest.raises(InvalidCursorError, match="made for sort keys \\['id'\\]"):
        await repos.products.list_with_query(
            QuerySpec(
                sort=(SortSpec("name"),),
                pagination=PaginationMode.CURSOR,
                cursor=first.next_cursor,
            )
        )
    with pytest.raises(InvalidCursorError, match="Invalid cursor token"):
        await repos.products.list_with_query(
            QuerySpec(pagination=PaginationMode.CURSOR, cursor="not-a-cursor")
        )


async def test_list_with_query_rejects_bad_queries(repos: Repos) -> None:
    strict = RepositorySQLAlchemy(repos.manager, Product, allowed_filter_fields={"sku"})
    with pytest.raises(UnsafeFilterError, match="Filtering on field 'name' is not allowed"):
        await strict.list_with_query(
            QuerySpec(filters=FilterGroup((FilterSpec("name", FilterOp.EQ, "x"),)))
        )
    bad: list[tuple[QuerySpec, type[Exception], str]] = [
        (
            QuerySpec(filters=FilterGroup((FilterSpec("colour", FilterOp.EQ, "red"),))),
            FilterPathError,
            "Unknown filter field path: 'colour' for model Product",
        ),
        (
            QuerySpec(filters=FilterGroup((FilterSpec("category.colour", FilterOp.EQ, 1),))),
            FilterPathError,
            "'category.colour' for model Product",
        ),
        (
            QuerySpec(filters=FilterGroup((FilterSpec("sku", FilterOp.IN, "SKU-01"),))),
            ValueError,
            "filter 'sku' in: the value must be a list",
        ),
        (
            QuerySpec(filters=FilterGroup((FilterSpec("sku", FilterOp.EXISTS),))),
            FilterPathError,
            "exists takes a relation",
        ),
        (QuerySpec(sort=(SortSpec("colour"),)), FilterPathError, "'colour'"),
        (QuerySpec(limit=0), ValueError, "limit must be in \\[1, 1000\\], got 0"),
        (QuerySpec(page=0), ValueError, "page must be >= 1, got 0"),
    ]
    for query, error, message in bad:
        with pytest.raises(error, match=message):
            await repos.products.list_with_query(query)


class Catalog:
    """A service whose method is one transaction."""

    def __init__(self, repos: Repos) -> None:
        self.session_manager = repos.manager
        self.repos = repos

    @transactional
    async def add_two(self, prefix: str, *, fail: bool = False) -> Any:
        for n in (1, 2):
            await self.repos.products.create({"sku": f"{prefix}{n}", "name": "x", "price_cents": 1})
        if fail:
            raise RuntimeError("second thoughts")
        return get_active_session()


async def test_transactional_methods_are_one_transaction(repos: Repos) -> None:
    catalog = Catalog(repos)
    assert await catalog.add_two("A") is not None
    with pytest.raises(RuntimeError, match="second thoughts"):
        await catalog.add_two("B", fail=True)
    assert await repos.scalar("SELECT count(*) FROM products") == 2

    async with SQLAlchemyUnitOfWork(repos.manager) as uow:
        assert await catalog.add_two("C") is uow.session  # joins the unit of work
    assert await repos.scalar("SELECT count(*) FROM products") == 4

    class NoManager:
        @transactional
        async def run(self) -> None: ...

    with pytest.raises(
        TypeError, match=r"NoManager.run: no active session and no 'session_manager' attribute with a session\(\)"
    ):
        await NoManager().run()


async def test_session_manager_options(database_url: str) -> None:
    manager = SessionManager(database_url, inject_trace_id=True, pool_size=1, max_overflow=0)
    seen: list[str] = []

    @event.listens_for(manager.engine.sync_engine, "before_cursor_execute")
    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    try:
        async with manager.session() as session:
            await session.execute(text("SELECT 1"))
            token = set_trace_id("req-7*/ DROP")
            try:
                assert (await session.execute(text("SELECT 2"))).scalar() == 2
            finally:
                reset_trace_id(token)
        assert "SELECT 1" in seen and "/* trace_id=req-7 DROP */ SELECT 2" in seen
    finally:
        await manager.dispose()

    plain = SessionManager(database_url.replace("loom@", "loom:secret@"), pool_size=1)
    assert "secret" not in repr(plain) and repr(plain).startswith("SessionManager(")
    await plain.dispose()


async def test_in_memory_sqlite_needs_no_pool_settings() -> None:
    manager = SessionManager("sqlite+aiosqlite://", pool_size=5)
    try:
        async with manager.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        categories = RepositorySQLAlchemy(manager, Category)
        await categories.create({"name": "Tools"})
        assert await categories.exists_by("name", "Tools") is True
    finally:
        await manager.dispose()
