"""Entities, commands, in-memory repositories and unit of work for the benchmark.

Everything here is shared by the three variants of each shape (hand-written,
generated, interpreted), so they differ only in how the pipeline is driven.
The repositories are ``async`` like real ones but never suspend, so a
measurement is pure Python overhead, not I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from loom.core.command import Command

EntityT = TypeVar("EntityT")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    name: str


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    name: str
    owner_email: str


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    sku: str
    stock: int


class RenameUserCmd(Command):
    """The command of the together shape."""

    email: str
    name: str


class AssignTeamCmd(Command):
    owner_email: str
    team_name: str


class ReportCmd(Command):
    title: str
    copies: int = 1


class InMemoryRepository(Generic[EntityT]):
    """``get_by_id``/``get_by``/``exists_by`` over dict indexes built once."""

    __slots__ = ("_by_id", "_indexes")

    def __init__(self, entities: Iterable[EntityT], *fields: str) -> None:
        items = list(entities)
        self._by_id: dict[Any, EntityT] = {getattr(e, "id"): e for e in items}
        self._indexes: dict[str, dict[Any, EntityT]] = {
            field: {getattr(e, field): e for e in items} for field in fields
        }

    async def get_by_id(self, entity_id: Any, *, profile: str) -> EntityT | None:
        return self._by_id.get(entity_id)

    async def get_by(self, field: str, value: Any, *, profile: str) -> EntityT | None:
        return self._indexes[field].get(value)

    async def exists_by(self, field: str, value: Any) -> bool:
        return value in self._indexes[field]


class InMemoryUnitOfWork:
    """A transaction that only counts what happened to it."""

    __slots__ = ("factory",)

    def __init__(self, factory: InMemoryUnitOfWorkFactory) -> None:
        self.factory = factory

    async def begin(self) -> None:
        self.factory.begun += 1

    async def commit(self) -> None:
        self.factory.committed += 1

    async def rollback(self) -> None:
        self.factory.rolled_back += 1


class InMemoryUnitOfWorkFactory:
    def __init__(self) -> None:
        self.begun = 0
        self.committed = 0
        self.rolled_back = 0

    def create(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)


USERS = [User(i, f"user{i}@example.com", f"User {i}") for i in range(1, 101)]
TEAMS = [Team(i, f"team-{i}", f"user{i}@example.com") for i in range(1, 11)]
PRODUCTS = [Product(i, f"SKU-{i}", 100) for i in range(1, 51)]


def repositories() -> dict[type[Any], Any]:
    """Fresh repositories keyed by entity type (the executor's ``dependencies``)."""
    return {
        User: InMemoryRepository(USERS, "email"),
        Team: InMemoryRepository(TEAMS, "name", "owner_email"),
        Product: InMemoryRepository(PRODUCTS, "sku"),
    }
