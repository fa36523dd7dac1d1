"""Shape 5: a use case that runs another one inside its unit of work.

``PlaceOrder`` owns the transaction; ``ReserveStock`` runs nested and joins
it. How ``PlaceOrder`` reaches the inner use case is injected
(``run_inner``), so the hand-written variant can call its own inner function
while the executor variants go through ``RuntimeExecutor.execute``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bench.usecases.domain import Product
from loom.core.use_case import LoadById, UseCase


class ReserveStock(UseCase[Product, int]):
    async def execute(
        self, product_id: int, quantity: int, product: Product = LoadById(Product, by="product_id")
    ) -> int:
        return product.stock - quantity


class PlaceOrder(UseCase[Product, int]):
    def __init__(self, run_inner: Callable[..., Awaitable[Any]]) -> None:
        self.run_inner = run_inner

    async def execute(self, product_id: int, quantity: int) -> int:
        left: int = await self.run_inner(params={"product_id": product_id, "quantity": quantity})
        return left
