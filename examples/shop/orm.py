"""The shop on SQLAlchemy: the same repositories as :mod:`examples.shop.repositories`
over declarative models, for SQLite files and PostgreSQL alike.

:class:`SqlShop` wires them with an executor whose unit of work is
:class:`~loom.core.repository.sqlalchemy.SQLAlchemyUnitOfWorkFactory`: every
top-level execution is one transaction on one session, nested executions
(``PlaceOrder`` running ``ReserveStock``) join it, and the repositories run
their statements on it. Entities stay the frozen dataclasses of
:mod:`examples.shop.domain`; the models are storage only.

Every stock change is also recorded as a ``stock_movements`` row in the same
transaction, so an order and the stock it took are committed or rolled back
together and can be checked against each other afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import CheckConstraint, ForeignKey, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from examples.shop.app import job_service_from_environment
from examples.shop.domain import Order, OrderStatus, Product, User
from examples.shop.services import Outbox, ShopServices
from loom.core.engine import MetricsAdapter, RuntimeExecutor, UseCaseCompiler
from loom.core.errors import Conflict, NotFound
from loom.core.logger import LoggerPort
from loom.core.repository.sqlalchemy import (
    RepositorySQLAlchemy,
    SessionManager,
    SQLAlchemyUnitOfWorkFactory,
    get_active_session,
    integrity_conflict,
)

T = TypeVar("T")


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    blocked: Mapped[bool] = mapped_column(default=False)


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_cents > 0", name="price_is_positive"),
        CheckConstraint("stock >= 0", name="stock_is_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    price_cents: Mapped[int]
    stock: Mapped[int]


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_is_positive"),
        CheckConstraint("status IN ('placed', 'cancelled')", name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    total_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))


class StockMovementRow(Base):
    """One change of a product's stock (negative: units taken out)."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    delta: Mapped[int]


def _user(row: UserRow) -> User:
    return User(id=row.id, email=row.email, name=row.name, blocked=row.blocked)


def _product(row: ProductRow) -> Product:
    return Product(
        id=row.id, sku=row.sku, name=row.name, price_cents=row.price_cents, stock=row.stock
    )


def _order(row: OrderRow) -> Order:
    return Order(
        id=row.id,
        user_id=row.user_id,
        product_id=row.product_id,
        quantity=row.quantity,
        total_cents=row.total_cents,
        status=OrderStatus(row.status),
    )


class _Repository:
    """Domain entities over one :class:`RepositorySQLAlchemy`; lookups of the
    normalised columns (e-mail addresses in lower case, SKUs in upper case)
    ignore the case of the value asked for, as the SQLite shop's NOCASE
    columns do."""

    model: type[Any]
    normalise: Mapping[str, Callable[[str], str]] = {}

    def __init__(self, session_manager: SessionManager) -> None:
        self.session_manager = session_manager
        self.rows = RepositorySQLAlchemy(session_manager, self.model)

    def to_entity(self, row: Any) -> Any:
        raise NotImplementedError

    def _value(self, field: str, value: Any) -> Any:
        convert = self.normalise.get(field)
        return convert(value) if convert is not None and isinstance(value, str) else value

    async def get_by_id(self, id: int, profile: str = "default") -> Any:
        row = await self.rows.get_by_id(id, profile=profile)
        return None if row is None else self.to_entity(row)

    async def get_by(self, field: str, value: object, profile: str = "default") -> Any:
        row = await self.rows.get_by(field, self._value(field, value), profile=profile)
        return None if row is None else self.to_entity(row)

    async def exists_by(self, field: str, value: object) -> bool:
        return await self.rows.exists_by(field, self._value(field, value))

    async def _create(self, **values: Any) -> Any:
        return self.to_entity(await self.rows.create(values))

    @asynccontextmanager
    async def _session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        """The unit of work's session, or a short transaction of its own (a write
        transaction when ``write``)."""
        active = get_active_session()
        if active is not None:
            yield active
            return
        async with self.session_manager.session() as session:
            if write:
                await self.session_manager.begin_write(session)
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def list_all(self) -> list[Any]:
        async with self._session(write=False) as session:
            rows = (await session.scalars(select(self.model).order_by(self.model.id))).all()
        return [self.to_entity(row) for row in rows]


class SqlUserRepository(_Repository):
    model = UserRow
    normalise = {"email": str.lower}

    def to_entity(self, row: Any) -> User:
        return _user(row)

    async def add(self, *, email: str, name: str, blocked: bool = False) -> User:
        user: User = await self._create(email=email.lower(), name=name, blocked=blocked)
        return user

    async def update(self, user: User) -> User:
        values = {"email": user.email, "name": user.name, "blocked": user.blocked}
        if await self.rows.update(user.id, values) is None:
            raise NotFound("User", id=user.id)
        return user


class SqlProductRepository(_Repository):
    model = ProductRow
    normalise = {"sku": str.upper}

    def to_entity(self, row: Any) -> Product:
        return _product(row)

    async def add(self, *, sku: str, name: str, price_cents: int, stock: int) -> Product:
        product: Product = await self._create(
            sku=sku.upper(), name=name, price_cents=price_cents, stock=stock
        )
        if stock:
            async with self._session(write=True) as session:
                session.add(StockMovementRow(product_id=product.id, delta=stock))
                await session.flush()
        return product

    async def change_stock(self, product_id: int, delta: int) -> Product:
        """Add ``delta`` to the stock in one statement and record the movement.

        ``Conflict`` when the stock would fall below zero (two reservations
        racing for the last units: the second one loses), ``NotFound`` when
        there is no such product.
        """
        async with self._session(write=True) as session:
            statement = (
                update(ProductRow)
                .where(ProductRow.id == product_id)
                .values(stock=ProductRow.stock + delta)
                .returning(
                    ProductRow.id,
                    ProductRow.sku,
                    ProductRow.name,
                    ProductRow.price_cents,
                    ProductRow.stock,
                )
                .execution_options(synchronize_session=False)
            )
            try:
                row = (await session.execute(statement)).one_or_none()
            except IntegrityError as error:
                raise Conflict(
                    f"not enough stock of product {product_id} to take {-delta}"
                ) from error
            if row is None:
                raise NotFound("Product", id=product_id)
            session.add(StockMovementRow(product_id=product_id, delta=delta))
            try:
                await session.flush()
            except IntegrityError as error:
                raise integrity_conflict(error, "record stock movement") from error
            id, sku, name, price_cents, stock = row
            return Product(id=id, sku=sku, name=name, price_cents=price_cents, stock=stock)


class SqlOrderRepository(_Repository):
    model = OrderRow

    def to_entity(self, row: Any) -> Order:
        return _order(row)

    async def add(
        self,
        *,
        user_id: int,
        product_id: int,
        quantity: int,
        total_cents: int,
        status: OrderStatus = OrderStatus.PLACED,
    ) -> Order:
        order: Order = await self._create(
            user_id=user_id,
            product_id=product_id,
            quantity=quantity,
            total_cents=total_cents,
            status=status.value,
        )
        return order

    async def update(self, order: Order) -> Order:
        values = {"status": order.status.value, "total_cents": order.total_cents}
        if await self.rows.update(order.id, values) is None:
            raise NotFound("Order", id=order.id)
        return order

    async def list_by_user(self, user_id: int) -> list[Order]:
        async with self._session(write=False) as session:
            rows = (
                await session.scalars(
                    select(OrderRow).where(OrderRow.user_id == user_id).order_by(OrderRow.id)
                )
            ).all()
        return [_order(row) for row in rows]


@dataclass(frozen=True)
class Snapshot:
    """Every row of every table (ordered by id), as plain tuples."""

    users: tuple[tuple[Any, ...], ...]
    products: tuple[tuple[Any, ...], ...]
    orders: tuple[tuple[Any, ...], ...]
    stock_movements: tuple[tuple[Any, ...], ...]


class SqlShop:
    """The shop on one database URL. Build it with :meth:`open`; ``await close()``."""

    def __init__(
        self,
        session_manager: SessionManager,
        *,
        metrics: MetricsAdapter | None = None,
        execution_mode: str | None = None,
        generated_package: str | None = None,
        logger: LoggerPort | None = None,
        wrap_uow: Callable[[Any], Any] | None = None,
    ) -> None:
        self.session_manager = session_manager
        self.users = SqlUserRepository(session_manager)
        self.products = SqlProductRepository(session_manager)
        self.orders = SqlOrderRepository(session_manager)
        self.outbox = Outbox()
        self.repositories: Mapping[type[Any], Any] = {
            User: self.users,
            Product: self.products,
            Order: self.orders,
        }
        factory: Any = SQLAlchemyUnitOfWorkFactory(session_manager)
        self.uow_factory = factory if wrap_uow is None else wrap_uow(factory)
        self.executor = RuntimeExecutor(
            UseCaseCompiler(logger=logger, metrics=metrics),
            uow_factory=self.uow_factory,
            repo_resolver=self.repositories.get,
            metrics=metrics,
            logger=logger,
            execution_mode=execution_mode,
            generated_package=generated_package,
        )
        # The order confirmation job: inline, or on Celery (LOOM_JOBS=celery).
        self.jobs = job_service_from_environment(self, metrics)
        self.services = ShopServices(
            users=self.users,  # type: ignore[arg-type]
            products=self.products,  # type: ignore[arg-type]
            orders=self.orders,  # type: ignore[arg-type]
            executor=self.executor,
            jobs=self.jobs,
            outbox=self.outbox,
        )

    @classmethod
    async def open(cls, url: str, **kwargs: Any) -> SqlShop:
        """Connect to ``url`` (creating the tables that are missing) and wire the shop."""
        session_manager = SessionManager(url)
        await create_schema(session_manager)
        return cls(session_manager, **kwargs)

    def build(self, cls: type[T]) -> T:
        """The job service's factory: a shop job class, wired to this shop."""
        return cls(self.services)  # type: ignore[call-arg]

    def make(self, use_case_type: Callable[[ShopServices], T]) -> T:
        """A new instance of a shop use case, wired to this shop."""
        return use_case_type(self.services)

    async def snapshot(self) -> Snapshot:
        return await snapshot(self.session_manager)

    async def close(self) -> None:
        await self.session_manager.dispose()


async def create_schema(session_manager: SessionManager) -> None:
    async with session_manager.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


async def snapshot(session_manager: SessionManager) -> Snapshot:
    """Every committed row of the shop's tables."""
    tables: dict[str, tuple[tuple[Any, ...], ...]] = {}
    async with session_manager.session() as session:
        for model, columns in (
            (UserRow, ("id", "email", "name", "blocked")),
            (ProductRow, ("id", "sku", "name", "price_cents", "stock")),
            (OrderRow, ("id", "user_id", "product_id", "quantity", "total_cents", "status")),
            (StockMovementRow, ("id", "product_id", "delta")),
        ):
            statement = select(*(getattr(model, c) for c in columns)).order_by(model.id)
            rows = (await session.execute(statement)).all()
            tables[model.__tablename__] = tuple(tuple(row) for row in rows)
    return Snapshot(**tables)
