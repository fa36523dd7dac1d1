"""The shop's entities: plain, immutable values.

Repositories build them from database rows; use cases never mutate them, they
derive changed copies with :func:`dataclasses.replace` and hand those back to
a repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PLACED = "placed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class User:
    """A customer. A blocked customer may not place orders."""

    id: int
    email: str
    name: str
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class Product:
    """Something for sale; ``stock`` units are left in the warehouse."""

    id: int
    sku: str
    name: str
    price_cents: int
    stock: int


@dataclass(frozen=True, slots=True)
class Order:
    """``quantity`` units of one product bought by one user."""

    id: int
    user_id: int
    product_id: int
    quantity: int
    total_cents: int
    status: OrderStatus = OrderStatus.PLACED


@dataclass(frozen=True, slots=True)
class Email:
    """A message queued for the outside world once its transaction committed.

    ``trace_id`` is the trace id of the request that produced it, so a message
    can be tied back to the execution that sent it.
    """

    to: str
    subject: str
    body: str
    trace_id: str | None = None


def format_cents(cents: int) -> str:
    """``1250`` -> ``"12.50"``."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"
