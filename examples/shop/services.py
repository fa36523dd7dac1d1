"""What the shop's use cases are constructed with."""

from __future__ import annotations

from dataclasses import dataclass, field

from examples.shop.domain import Email
from examples.shop.repositories import OrderRepository, ProductRepository, UserRepository
from loom.core.engine import RuntimeExecutor
from loom.core.job import JobService


class Outbox:
    """Stands in for a mail server: keeps every message it was asked to send.

    Use cases never call it directly; they queue ``send`` as a post-commit
    dispatch, so a message goes out only for data that was really saved.
    """

    def __init__(self) -> None:
        self.sent: list[Email] = []

    async def send(self, email: Email) -> None:
        self.sent.append(email)


@dataclass(frozen=True, slots=True)
class ShopServices:
    """The repositories, the outbox, the executor (for nested use cases) and the job service."""

    users: UserRepository
    products: ProductRepository
    orders: OrderRepository
    executor: RuntimeExecutor
    jobs: JobService
    outbox: Outbox = field(default_factory=Outbox)
