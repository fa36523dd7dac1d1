"""SQLAlchemy models and use cases for the unit of work and repository tests.

The use cases take their repositories in ``__init__`` (and load entities
through the executor's ``repo_resolver``), as an application built on
:mod:`loom.core.repository.sqlalchemy` would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from loom.core.command import Command
from loom.core.engine import RuntimeExecutor
from loom.core.errors import Conflict
from loom.core.job.context import add_pending_dispatch
from loom.core.repository.sqlalchemy import RepositorySQLAlchemy, get_active_session
from loom.core.use_case import Exists, Input, LoadById, OnMissing, UseCase


class Base(DeclarativeBase):
    pass


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    products: Mapped[list[Product]] = relationship(
        back_populates="category", info={"profiles": ("with_products",)}
    )


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price_cents > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    price_cents: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    category: Mapped[Category | None] = relationship(
        back_populates="products", info={"profiles": ("with_category", "detail")}
    )
    movements: Mapped[list[StockMovement]] = relationship(
        back_populates="product", info={"profiles": ("detail",)}, order_by="StockMovement.id"
    )


class StockMovement(Base):
    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    note: Mapped[str] = mapped_column(String(120), default="")
    product: Mapped[Product] = relationship(back_populates="movements")


class NewProduct(Command):
    sku: str
    name: str
    price_cents: int
    stock: int = 0


class Reservation(Command):
    quantity: int


class CreateProduct(UseCase[Product, Product]):
    """Inserts a product; ``fail`` raises after the insert."""

    def __init__(self, products: RepositorySQLAlchemy[Product], *, fail: bool = False) -> None:
        self.products = products
        self.fail = fail

    async def execute(self, cmd: NewProduct = Input()) -> Product:
        product = await self.products.create(cmd)
        if self.fail:
            raise RuntimeError(f"failed after creating {product.sku}")
        return product


class ReserveStock(UseCase[Product, Product]):
    """Takes ``quantity`` off a product's stock (a row lock first) and records the movement."""

    def __init__(
        self,
        movements: RepositorySQLAlchemy[StockMovement],
        *,
        fail: bool = False,
        dispatch: Callable[[int], Any] | None = None,
    ) -> None:
        self.movements = movements
        self.fail = fail
        self.dispatch = dispatch

    async def execute(
        self,
        product_id: int,
        cmd: Reservation = Input(),
        product: Product = LoadById(Product, by="product_id", profile="for_update"),
    ) -> Product:
        if product.stock < cmd.quantity:
            raise Conflict(f"only {product.stock} of {product.sku} left")
        product.stock -= cmd.quantity
        movement = await self.movements.create(
            {"product_id": product.id, "quantity": -cmd.quantity, "note": "reserved"}
        )
        if self.dispatch is not None:
            dispatch, movement_id = self.dispatch, movement.id
            add_pending_dispatch(lambda: dispatch(movement_id))
        if self.fail:
            raise RuntimeError("failed after reserving")
        return product


class RestockThenReserve(UseCase[Product, Product]):
    """Adds stock, then executes ``reserve`` (nested) through the same executor."""

    def __init__(
        self, executor: RuntimeExecutor, reserve: ReserveStock, *, swallow: bool = False
    ) -> None:
        self.executor = executor
        self.reserve = reserve
        self.swallow = swallow

    async def execute(
        self,
        product_id: int,
        quantity: int,
        product: Product = LoadById(Product, by="product_id", profile="for_update"),
    ) -> Product:
        product.stock += 10
        try:
            await self.executor.execute(
                self.reserve, params={"product_id": product_id}, payload={"quantity": quantity}
            )
        except Exception:
            if not self.swallow:
                raise
        return product


class DescribeProduct(UseCase[Product, dict[str, Any]]):
    """Read-only: a product with its category and movements, and whether a session was active."""

    read_only = True

    async def execute(
        self,
        product_id: int,
        product: Product = LoadById(Product, by="product_id", profile="detail"),
        categorized: bool = Exists(
            Category, from_param="product_id", against="id", on_missing=OnMissing.RETURN_FALSE
        ),
    ) -> dict[str, Any]:
        return {
            "sku": product.sku,
            "stock": product.stock,
            "category": product.category.name if product.category else None,
            "movements": [m.quantity for m in product.movements],
            "category_with_same_id": categorized,
            "active_session": get_active_session(),
        }


class ActiveSession(UseCase[Any, Any]):
    """Creates a movement and returns the session it ran on."""

    def __init__(self, movements: RepositorySQLAlchemy[StockMovement]) -> None:
        self.movements = movements

    async def execute(self, product_id: int) -> Any:
        await self.movements.create({"product_id": product_id, "quantity": 1, "note": "probe"})
        return get_active_session()
