"""Every form of the Compute/Rule DSL, next to a plain function."""

from typing import Annotated, Any

from loom.core.command import Command
from loom.core.use_case import CommandField, Compute, F, Input, Rule, RuleViolation, UseCase

NAME_REQUIRED = "a product needs a name"


class Dimensions(Command):
    width: int | None = None


class CreateProduct(Command):
    name: str
    slug: str | None = None
    price: int
    size: Dimensions | None = None


class UpdateProduct(Command):
    name: Annotated[str | None, CommandField(patch=True)] = None
    price: Annotated[int | None, CommandField(patch=True)] = None
    note: str | None = None


def normalize_name(name: str) -> str:
    return name.strip().title()


def slugify(name: str, product_id: int) -> str:
    return f"{product_id}-{name.lower()}"


def price_must_be_positive(price: int) -> str | None:
    return None if price > 0 else "must be positive"


def payload_is_empty(cmd: UpdateProduct, fields_set: frozenset[str]) -> bool:
    return not fields_set


def name_equals_price(name: str | None, price: int | None) -> bool:
    return name == str(price)


def width_is_sane(width: int | None) -> bool:
    return width is not None and width > 1000


def no_shouting(cmd: Any, fields_set: frozenset[str]) -> None:
    if cmd.name and cmd.name.isupper():
        raise RuleViolation("name", "no shouting")


CREATE_NORMALIZE_NAME = Compute.set(F(CreateProduct).name).from_command(
    F(CreateProduct).name, via=normalize_name
)
CREATE_SLUG = (
    Compute.set(F(CreateProduct).slug)
    .from_command(F(CreateProduct).name, via=slugify)
    .from_params("product_id")
)
COPY_NOTE = Compute.set(F(UpdateProduct).note).from_command(F(UpdateProduct).name).when_present(
    F(UpdateProduct).name | F(UpdateProduct).note
)
PRICE_RULE = Rule.check(F(CreateProduct).price, via=price_must_be_positive)
NOT_EMPTY = Rule.forbid(payload_is_empty, message="at least one field must be provided").from_command()
NAME_PRICE = (
    Rule.forbid(name_equals_price, message="name cannot be equal to price")
    .from_command(F(UpdateProduct).name, F(UpdateProduct).price)
    .when_present(F(UpdateProduct).name & F(UpdateProduct).price)
)
REQUIRED = Rule.require_present(F(UpdateProduct).name, message=NAME_REQUIRED)
# A nested path: called as a spec, not compiled inline.
SANE_WIDTH = Rule.check(F(CreateProduct).size.width, via=width_is_sane, message="too wide")


class CreateProductUseCase(UseCase[Any, Any]):
    computes = [CREATE_NORMALIZE_NAME, CREATE_SLUG]
    rules = [PRICE_RULE, SANE_WIDTH, no_shouting]

    async def execute(self, product_id: int, cmd: CreateProduct = Input()) -> Any:
        return cmd


class UpdateProductUseCase(UseCase[Any, Any]):
    computes = [COPY_NOTE]
    rules = [NOT_EMPTY, NAME_PRICE, REQUIRED, Rule.require_present(F(UpdateProduct).note).when_present(F(UpdateProduct).price)]

    def execute(self, cmd: UpdateProduct = Input()) -> Any:
        return cmd
