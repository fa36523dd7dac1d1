"""Use cases whose computes and rules are declared with the DSL (``Compute``/``Rule``).

The declarations are module constants, the way loom-kernel users write them.
The ``via`` functions append what they received to ``OBSERVED``.
"""

from __future__ import annotations

from typing import Annotated, Any

from loom.core.command import Command
from loom.core.use_case import (
    CommandField,
    Compute,
    F,
    Input,
    LoadById,
    Rule,
    RuleViolation,
    UseCase,
)
from tests.usecases.domain import OBSERVED, User


class Dimensions(Command):
    width: int | None = None
    height: Annotated[int | None, CommandField(patch=True)] = None


class CreateProduct(Command):
    name: str
    price: int
    slug: str = ""
    dims: Dimensions | None = None


class UpdateProduct(Command):
    name: Annotated[str | None, CommandField(patch=True)] = None
    price: Annotated[int | None, CommandField(patch=True)] = None
    note: str | None = None


def normalize_name(name: str) -> str:
    OBSERVED.append(("normalize_name", name))
    return " ".join(name.split()).title()


def normalize_with_product(name: str | None, product_id: int) -> str | None:
    OBSERVED.append(("normalize_with_product", (name, product_id)))
    return None if name is None else name.strip()


def price_must_be_positive(price: int) -> str | None:
    OBSERVED.append(("price_must_be_positive", price))
    return "must be positive" if price <= 0 else None


def payload_is_empty(cmd: UpdateProduct, fields_set: frozenset[str]) -> bool:
    OBSERVED.append(("payload_is_empty", fields_set))
    return not fields_set


def name_equals_price(name: str | None, price: int | None) -> bool:
    OBSERVED.append(("name_equals_price", (name, price)))
    return name == str(price)


def within_budget(price: int | None, owner: User) -> RuleViolation | None:
    """Returns a violation of its own (field and message) instead of a string."""
    OBSERVED.append(("within_budget", (price, owner.id)))
    if price is not None and price > 100 * owner.id:
        return RuleViolation("budget", f"over {100 * owner.id} for {owner.name}")
    return None


def height_from_width(cmd: CreateProduct) -> int:
    OBSERVED.append(("height_from_width", cmd.dims))
    assert cmd.dims is not None and cmd.dims.width is not None
    return cmd.dims.width * 2


def truthy_but_not_true(width: int) -> Any:
    """Returns 1 for a wide product: only exactly ``True`` is a violation, so it passes."""
    OBSERVED.append(("truthy_but_not_true", width))
    return 1 if width > 10 else 0


CREATE_NORMALIZE_NAME = Compute.set(F(CreateProduct).name).from_command(
    F(CreateProduct).name, via=normalize_name
)
CREATE_SLUG = Compute.set(F(CreateProduct).slug).from_command(F(CreateProduct).name)
CREATE_HEIGHT = (
    Compute.set(F(CreateProduct).dims.height)
    .from_command(via=height_from_width)
    .when_present(F(CreateProduct).dims.width)
)
UPDATE_NORMALIZE_NAME = (
    Compute.set(F(UpdateProduct).name)
    .from_command(F(UpdateProduct).name, via=normalize_with_product)
    .from_params("product_id")
    .when_present(F(UpdateProduct).name)
)

PRICE_RULE = Rule.check(F(CreateProduct).price, via=price_must_be_positive)
WIDTH_RULE = Rule.check(F(CreateProduct).dims.width, via=truthy_but_not_true).when_present(
    F(CreateProduct).dims.width
)
NOT_EMPTY = Rule.forbid(
    payload_is_empty, message="at least one field must be provided"
).from_command()
NAME_PRICE = (
    Rule.forbid(name_equals_price, message="name cannot be equal to price")
    .from_command(F(UpdateProduct).name, F(UpdateProduct).price)
    .when_present(F(UpdateProduct).name & F(UpdateProduct).price)
)
BUDGET = (
    Rule.check(F(UpdateProduct).price, via=within_budget)
    .from_params("owner")
    .when_present(F(UpdateProduct).price)
)
NOTE_OR_PRICE = Rule.require_present(
    F(UpdateProduct).note, field="note", message="a note is needed with a price"
).when_present(F(UpdateProduct).price)


class CreateProductUseCase(UseCase[Any, CreateProduct]):
    computes = [CREATE_NORMALIZE_NAME, CREATE_SLUG, CREATE_HEIGHT]
    rules = [PRICE_RULE, WIDTH_RULE]

    async def execute(self, cmd: CreateProduct = Input()) -> CreateProduct:
        return cmd


class UpdateProductUseCase(UseCase[Any, UpdateProduct]):
    computes = [UPDATE_NORMALIZE_NAME]
    rules = [NOT_EMPTY, NAME_PRICE, BUDGET]

    async def execute(
        self,
        product_id: int,
        owner_id: int,
        cmd: UpdateProduct = Input(),
        owner: User = LoadById(User, by="owner_id"),
    ) -> UpdateProduct:
        return cmd


def note_not_blank(cmd: UpdateProduct, fields_set: frozenset[str]) -> None:
    """A plain rule function next to DSL declarations."""
    OBSERVED.append(("note_not_blank", cmd.note))
    if cmd.note is not None and not cmd.note.strip():
        raise RuleViolation("note", "must not be blank")


class RenameProductUseCase(UseCase[Any, UpdateProduct]):
    """The name is required (declared inline in the list); a price needs a note."""

    rules = [Rule.require_present(F(UpdateProduct).name), NOTE_OR_PRICE, note_not_blank]

    async def execute(self, cmd: UpdateProduct = Input()) -> UpdateProduct:
        return cmd
