"""Use cases served over HTTP by tests/loom/rest (compiled by loomgen for generated mode)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from loom.core.command import Command
from loom.core.uow.context import get_active_uow
from loom.core.use_case import Input, LoadById, UseCase


@dataclass(frozen=True)
class Item:
    id: int
    name: str


class ItemRepo:
    """Items in a dict; ``saved`` lists every update."""

    def __init__(self, items: dict[int, Item]) -> None:
        self.items = dict(items)
        self.saved: list[Item] = []

    async def get_by_id(self, id: int, profile: str = "default") -> Item | None:
        return self.items.get(id)


class RenameCmd(Command):
    name: str


class EchoParams(UseCase[Item, dict[str, Any]]):
    """Returns its path values, converted, and the unit of work it sees."""

    async def execute(self, item_id: int, label: str) -> dict[str, Any]:
        return {"item_id": item_id, "label": label, "read_only_uow": get_active_uow()}


class Rename(UseCase[Item, Item]):
    async def execute(
        self, item_id: int, cmd: RenameCmd = Input(), item: Item = LoadById(Item, by="item_id")
    ) -> Item:
        return replace(item, name=cmd.name.strip())


class NoInput(UseCase[Item, dict[str, bool]]):
    """Has no ``Input()``: the HTTP layer must not read a body for it."""

    async def execute(self, item_id: int) -> dict[str, bool]:
        return {"payload_seen": False}


class Boom(UseCase[Item, None]):
    async def execute(self, item_id: int) -> None:
        raise RuntimeError("database password is secret")
