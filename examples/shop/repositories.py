"""Repositories: the only code that speaks SQL.

Every statement runs on the connection of the active unit of work when
there is one (so it belongs to that transaction and disappears with a
rollback), else on a pooled connection of its own. Column names never come
from callers: ``get_by``/``exists_by`` accept only the fields each repository
whitelists and reject anything else with ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from typing import Any, ClassVar, Generic, TypeVar

import aiosqlite

from examples.shop.db import Database, Row, connection_for, execute
from examples.shop.domain import Order, OrderStatus, Product, User
from loom.core.errors import Conflict, NotFound
from loom.core.uow.context import get_active_uow

EntityT = TypeVar("EntityT", User, Product, Order)

PROFILES = frozenset({"default"})
"""Load profiles the repositories know; the shop loads whole rows only."""


class SqliteRepository(Generic[EntityT]):
    """Common reads and writes of one table whose rows map to ``EntityT``.

    Subclasses name the table, its columns (``id`` first, in the order of
    the entity's fields), the fields callers may look up by, and how a row
    becomes an entity.
    """

    table: ClassVar[str]
    columns: ClassVar[tuple[str, ...]]
    lookup_fields: ClassVar[frozenset[str]]
    entity_name: ClassVar[str]

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- mapping -----------------------------------------------------------

    def to_entity(self, row: Row) -> EntityT:
        raise NotImplementedError

    def to_row(self, entity: EntityT) -> Row:
        """The entity's values in column order (enums become their values)."""
        return tuple(
            value.value if isinstance(value, OrderStatus) else value for value in astuple(entity)
        )

    # -- plumbing ----------------------------------------------------------

    def _field(self, field: str) -> str:
        if field not in self.lookup_fields:
            allowed = ", ".join(sorted(self.lookup_fields))
            raise ValueError(
                f"{type(self).__name__}: cannot look up by {field!r} (allowed: {allowed})"
            )
        return field

    @staticmethod
    def _profile(profile: str) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown load profile {profile!r} (known: {', '.join(PROFILES)})")

    async def _run(self, sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
        async with connection_for(self.database, get_active_uow()) as connection:
            return await execute(connection, sql, parameters)

    async def _one(self, sql: str, parameters: Sequence[Any]) -> EntityT | None:
        rows = await self._run(sql, parameters)
        return self.to_entity(rows[0]) if rows else None

    @property
    def _select(self) -> str:
        return f"SELECT {', '.join(self.columns)} FROM {self.table}"

    # -- the repository protocol loom uses ---------------------------------

    async def get_by_id(self, id: int, *, profile: str = "default") -> EntityT | None:
        """The entity with this id, or ``None``."""
        self._profile(profile)
        return await self._one(f"{self._select} WHERE id = ?", (id,))

    async def get_by(
        self, field: str, value: object, *, profile: str = "default"
    ) -> EntityT | None:
        """The first entity (lowest id) whose ``field`` equals ``value``, or ``None``."""
        self._profile(profile)
        column = self._field(field)
        return await self._one(f"{self._select} WHERE {column} = ? ORDER BY id LIMIT 1", (value,))

    async def exists_by(self, field: str, value: object) -> bool:
        """Whether any entity's ``field`` equals ``value``."""
        column = self._field(field)
        rows = await self._run(
            f"SELECT EXISTS (SELECT 1 FROM {self.table} WHERE {column} = ?)", (value,)
        )
        return bool(rows[0][0])

    # -- writes ------------------------------------------------------------

    async def _insert(self, values: dict[str, object]) -> EntityT:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        try:
            rows = await self._run(
                f"INSERT INTO {self.table} ({names}) VALUES ({marks})"
                f" RETURNING {', '.join(self.columns)}",
                tuple(values.values()),
            )
        except aiosqlite.IntegrityError as error:
            raise Conflict(f"cannot add {self.entity_name}: {error}") from error
        return self.to_entity(rows[0])

    async def update(self, entity: EntityT) -> EntityT:
        """Write every field of ``entity`` to its row; ``NotFound`` if it has none."""
        id_value, *values = self.to_row(entity)
        assignments = ", ".join(f"{column} = ?" for column in self.columns[1:])
        try:
            rows = await self._run(
                f"UPDATE {self.table} SET {assignments} WHERE id = ? RETURNING id",
                (*values, id_value),
            )
        except aiosqlite.IntegrityError as error:
            raise Conflict(f"cannot update {self.entity_name} {id_value}: {error}") from error
        if not rows:
            raise NotFound(self.entity_name, id=id_value)
        return entity

    async def list_all(self) -> list[EntityT]:
        return [self.to_entity(row) for row in await self._run(f"{self._select} ORDER BY id")]


class UserRepository(SqliteRepository[User]):
    table = "users"
    columns = ("id", "email", "name", "blocked")
    lookup_fields = frozenset({"id", "email", "name"})
    entity_name = "User"

    def to_entity(self, row: Row) -> User:
        id, email, name, blocked = row
        return User(id=id, email=email, name=name, blocked=bool(blocked))

    async def add(self, *, email: str, name: str, blocked: bool = False) -> User:
        """Create a user; ``Conflict`` when the e-mail address is taken."""
        return await self._insert({"email": email, "name": name, "blocked": int(blocked)})


class ProductRepository(SqliteRepository[Product]):
    table = "products"
    columns = ("id", "sku", "name", "price_cents", "stock")
    lookup_fields = frozenset({"id", "sku", "name"})
    entity_name = "Product"

    def to_entity(self, row: Row) -> Product:
        id, sku, name, price_cents, stock = row
        return Product(id=id, sku=sku, name=name, price_cents=price_cents, stock=stock)

    async def add(self, *, sku: str, name: str, price_cents: int, stock: int) -> Product:
        """Create a product; ``Conflict`` when the SKU is taken or a value is invalid."""
        return await self._insert(
            {"sku": sku, "name": name, "price_cents": price_cents, "stock": stock}
        )

    async def change_stock(self, product_id: int, delta: int) -> Product:
        """Add ``delta`` (negative to take away) to the stock, atomically.

        ``Conflict`` when the stock would fall below zero, ``NotFound`` when
        there is no such product.
        """
        try:
            rows = await self._run(
                f"UPDATE products SET stock = stock + ? WHERE id = ?"
                f" RETURNING {', '.join(self.columns)}",
                (delta, product_id),
            )
        except aiosqlite.IntegrityError as error:
            raise Conflict(f"not enough stock of product {product_id} to take {-delta}") from error
        if not rows:
            raise NotFound(self.entity_name, id=product_id)
        return self.to_entity(rows[0])


class OrderRepository(SqliteRepository[Order]):
    table = "orders"
    columns = ("id", "user_id", "product_id", "quantity", "total_cents", "status")
    lookup_fields = frozenset({"id", "user_id", "product_id", "status"})
    entity_name = "Order"

    def to_entity(self, row: Row) -> Order:
        id, user_id, product_id, quantity, total_cents, status = row
        return Order(
            id=id,
            user_id=user_id,
            product_id=product_id,
            quantity=quantity,
            total_cents=total_cents,
            status=OrderStatus(status),
        )

    async def add(
        self,
        *,
        user_id: int,
        product_id: int,
        quantity: int,
        total_cents: int,
        status: OrderStatus = OrderStatus.PLACED,
    ) -> Order:
        return await self._insert(
            {
                "user_id": user_id,
                "product_id": product_id,
                "quantity": quantity,
                "total_cents": total_cents,
                "status": status.value,
            }
        )

    async def list_by_user(self, user_id: int) -> list[Order]:
        rows = await self._run(f"{self._select} WHERE user_id = ? ORDER BY id", (user_id,))
        return [self.to_entity(row) for row in rows]
