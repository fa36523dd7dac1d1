"""loom-kernel's surface around the engine, as loomgen compiles it.

Patch/Internal/Computed command fields (presence tests on a Patch field read
fields_set), msgspec field declarations, a three-parameter UseCase using its
main repository, an F("label") path, and a Job with routing class variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from loom.core.command import Command, Computed, Internal, Patch
from loom.core.job import Job
from loom.core.use_case import Compute, F, Input, LoadById, Rule, UseCase


@dataclass
class Product:
    id: int
    name: str


class Products:
    async def get_by_id(self, id: int, profile: str = "default") -> Product | None:
        return Product(id, "lamp")


class EditProduct(Command, frozen=True):
    name: Patch[str] = None
    label: Patch[str]
    tenant_id: Internal[int] = 0
    slug: Computed[str]
    stock: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0
    warehouse_id: str = msgspec.field(default="main", name="warehouse")


def slugify(name: str) -> str:
    return name.strip().lower().replace(" ", "-")


def not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be blank"


class EditProductUseCase(UseCase[Product, dict[str, Any], Products]):
    computes = [
        Compute.set(F(EditProduct).slug)
        .from_command(F(EditProduct).name, via=slugify)
        .when_present(F(EditProduct).name)
    ]
    rules = [
        Rule.check(F(EditProduct).name, via=not_blank).when_present(F(EditProduct).name),
        Rule.require_present(F(EditProduct).label),
        Rule.check(F("product").warehouse_id, via=not_blank),
    ]

    async def execute(
        self,
        product_id: int,
        cmd: EditProduct = Input(),
        product: Product = LoadById(Product, by="product_id"),
    ) -> dict[str, Any]:
        return {"repo": type(self.main_repo).__name__, "product": product.name, "slug": cmd.slug}


class ReindexJob(Job[int]):
    __queue__ = "search"
    __retries__ = 2
    __timeout__ = 30

    def execute(self, product_id: int) -> int:
        return product_id
