"""Request payloads, validated into immutable commands.

Every command strips surrounding whitespace from its strings. Some fields
carry a camelCase alias, the way a JSON client would send them; a payload may
use either spelling.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from loom.core.command import Command


class ShopCommand(Command, forbid_unknown_fields=True):
    """Base of the shop's commands: frozen, no unknown fields, trimmed strings."""

    model_config: ClassVar[ConfigDict] = ConfigDict(str_strip_whitespace=True)


class RegisterUserCmd(ShopCommand):
    """Open an account. Without ``name`` the part of the address before ``@`` is used."""

    email: str = Field(alias="emailAddress", min_length=1, max_length=254)
    name: str = Field(default="", max_length=100)


class AddProductCmd(ShopCommand):
    """Put a new product on sale."""

    sku: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=100)
    price_cents: int = Field(alias="priceCents")
    stock: int = 0


class PlaceOrderCmd(ShopCommand):
    """Buy ``quantity`` units of the product ``sku``.

    ``total_cents`` is worked out by the use case's computes; a client that
    sends it gets a rule violation.
    """

    sku: str = Field(min_length=1, max_length=32)
    quantity: int = 1
    total_cents: int = Field(default=0, alias="totalCents")


class ReserveStockCmd(ShopCommand):
    """Take ``quantity`` units of a product out of the warehouse."""

    quantity: int


class RestockLine(BaseModel):
    """One line of a delivery: ``quantity`` more units of ``sku``."""

    model_config: ClassVar[ConfigDict] = ConfigDict(
        frozen=True, extra="forbid", str_strip_whitespace=True
    )

    sku: str = Field(min_length=1, max_length=32)
    quantity: int


class RestockCmd(ShopCommand):
    """A delivery: every line is applied, or none is."""

    lines: tuple[RestockLine, ...]


class StockAlertCmd(ShopCommand):
    """Alert the warehouse when fewer than ``threshold`` units are left."""

    threshold: int = Field(default=5, alias="belowUnits")


class SendEmailCmd(ShopCommand):
    """One e-mail for :class:`~examples.shop.jobs.SendEmail`."""

    to: str
    subject: str
    body: str
