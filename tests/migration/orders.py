"""A loom-kernel-style command with msgspec field declarations (a migration case).

``msgspec.field`` and ``msgspec.Meta`` as loom-kernel users wrote them on
its msgspec ``Struct`` commands, with a ``Patch`` field and ``main_repo``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from loom.core.command import Command, Patch
from loom.core.use_case import F, Input, Rule
from loom.core.use_case.use_case import UseCase
from tests.migration.entities import Product


class PlaceOrder(Command, frozen=True):
    sku: Annotated[str, msgspec.Meta(min_length=3, max_length=8, pattern="^[A-Z]")]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100)]
    warehouse_id: str = msgspec.field(name="warehouse")
    tags: list[Annotated[str, msgspec.Meta(min_length=1)]] = msgspec.field(default_factory=list)
    priority: int = msgspec.field(default=3)
    note: Patch[str] = None


def _note_not_shouting(note: str | None) -> str | None:
    return "note must not shout" if note is not None and note.isupper() else None


class PlaceOrderUseCase(UseCase[Product, dict[str, Any]]):
    rules = [Rule.check(F(PlaceOrder).note, via=_note_not_shouting).when_present(F(PlaceOrder).note)]

    async def execute(self, cmd: PlaceOrder = Input()) -> dict[str, Any]:
        product = await self.main_repo.get_by("sku", cmd.sku)
        return {
            "product": None if product is None else product.name,
            "quantity": cmd.quantity,
            "warehouse": cmd.warehouse_id,
            "tags": list(cmd.tags),
            "priority": cmd.priority,
            "note": cmd.note,
        }
