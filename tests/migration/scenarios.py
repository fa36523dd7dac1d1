"""Requests against loom-kernel's guide use cases, and their outcomes as plain data.

:func:`run` executes every scenario with a fresh in-memory repository per
entity and returns, per scenario, what ``execute`` returned or which error
was raised, and the repositories' rows afterwards. It runs unchanged under
loom-kernel 0.12.3 (``record.py``, whose output is ``kernel_0_12_3.json``)
and under loom (``tests/differential/test_migration.py``, both execution modes): the two
must give the same data.

The wiring is the one both runtimes share: ``RuntimeExecutor(compiler,
repo_resolver=...)`` for the markers, and ``UseCaseClass(main_repo=...)``
for ``self.main_repo``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from tests.migration import dsl_guide, orders, quickstart
from tests.migration.entities import Product, User

FIELDS = {User: ("id", "full_name", "email"), Product: ("id", "name", "price", "sku")}


def plain(value: Any) -> Any:
    """Entities, commands and containers as JSON-able data, the same for both runtimes."""
    if isinstance(value, (User, Product)):
        return {name: plain(getattr(value, name)) for name in FIELDS[type(value)]}
    struct_fields = getattr(type(value), "__struct_fields__", None)
    if struct_fields is not None:  # a loom-kernel command
        return {name: plain(getattr(value, name)) for name in struct_fields}
    model_fields = getattr(type(value), "model_fields", None)
    if isinstance(model_fields, dict):  # a loom command
        return {name: plain(getattr(value, name)) for name in model_fields}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class MemoryRepository:
    """The repository methods the guides call, over a dict of rows."""

    def __init__(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        self.model = model
        self.rows = {row["id"]: model(**row) for row in rows}

    async def get_by_id(self, id: Any, profile: str = "default") -> Any:
        return self.rows.get(id)

    async def get_by(self, field: str, value: Any, profile: str = "default") -> Any:
        return next((row for row in self.rows.values() if getattr(row, field) == value), None)

    async def exists_by(self, field: str, value: Any) -> bool:
        return any(getattr(row, field) == value for row in self.rows.values())

    async def create(self, cmd: Any) -> Any:
        new_id = max(self.rows, default=0) + 1
        data = {name: getattr(cmd, name) for name in FIELDS[self.model] if name != "id"}
        self.rows[new_id] = self.model(id=new_id, **data)
        return self.rows[new_id]

    async def update(self, id: int, cmd: Any) -> Any:
        row = self.rows.get(id)
        if row is None:
            return None
        data = plain(row)
        for name in FIELDS[self.model]:
            value = getattr(cmd, name, None)
            if name != "id" and value is not None:
                data[name] = value
        self.rows[id] = self.model(**data)
        return self.rows[id]


USERS = [{"id": 1, "full_name": "Ada Lovelace", "email": "ada@example.com"}]
PRODUCTS = [
    {"id": 1, "name": "System", "price": 1.0, "sku": "SYS-1"},
    {"id": 2, "name": "Lamp", "price": 12.5, "sku": "LMP-2"},
]

# (label, use case class, params, payload)
SCENARIOS: list[tuple[str, type[Any], dict[str, Any] | None, dict[str, Any] | None]] = [
    ("create user", quickstart.CreateUserUseCase, None,
     {"fullName": "Grace Hopper", "email": "grace@example.com"}),
    ("create user, snake_case keys", quickstart.CreateUserUseCase, None,
     {"full_name": "Alan Turing", "email": "alan@example.com"}),
    ("create user, taken email", quickstart.CreateUserUseCase, None,
     {"fullName": "Ada", "email": "ada@example.com"}),
    ("create user, blank name and bad email", quickstart.CreateUserUseCase, None,
     {"fullName": "  ", "email": "nope"}),
    ("create user, missing email", quickstart.CreateUserUseCase, None, {"fullName": "X"}),
    ("update user, name only", quickstart.UpdateUserUseCase, {"user_id": 1},
     {"fullName": "Ada King"}),
    ("update user, blank name", quickstart.UpdateUserUseCase, {"user_id": 1},
     {"fullName": " "}),
    ("update user, email only", quickstart.UpdateUserUseCase, {"user_id": 1},
     {"email": "ada@king.org"}),
    ("update user, unknown id", quickstart.UpdateUserUseCase, {"user_id": 99},
     {"fullName": "Nobody"}),
    ("create product", dsl_guide.CreateProductUseCase, None,
     {"name": "  Desk  ", "price": 99.999, "sku": "DSK-3"}),
    ("create product, blank name, free", dsl_guide.CreateProductUseCase, None,
     {"name": "   ", "price": 0.0, "sku": "X"}),
    ("create product, price not a number", dsl_guide.CreateProductUseCase, None,
     {"name": "Desk", "price": "cheap", "sku": "X"}),
    ("update product, empty patch", dsl_guide.UpdateProductUseCase, {"product_id": "2"}, {}),
    ("update product, name", dsl_guide.UpdateProductUseCase, {"product_id": "2"},
     {"name": "  Floor lamp "}),
    ("update product, price", dsl_guide.UpdateProductUseCase, {"product_id": "2"},
     {"price": 10.456}),
    ("update product, negative price", dsl_guide.UpdateProductUseCase, {"product_id": "2"},
     {"price": -1.0}),
    ("update system product name", dsl_guide.UpdateProductUseCase, {"product_id": "1"},
     {"name": "Renamed"}),
    ("update product, name equals price", dsl_guide.UpdateProductUseCase, {"product_id": "2"},
     {"name": "5.0", "price": 5.0}),
    ("update product, unknown id", dsl_guide.UpdateProductUseCase, {"product_id": "42"},
     {"sku": "NEW-1"}),
    ("price product", dsl_guide.PriceProductUseCase, None, {"unitPrice": 2.5, "quantity": 4}),
    ("place order", orders.PlaceOrderUseCase, None,
     {"sku": "LMP-2", "quantity": 2, "warehouse": "north", "tags": ["gift"]}),
    ("place order, defaults", orders.PlaceOrderUseCase, None,
     {"sku": "SYS-1", "quantity": 100, "warehouse": "south"}),
    ("place order, note", orders.PlaceOrderUseCase, None,
     {"sku": "SYS-1", "quantity": 1, "warehouse": "w", "note": "fragile", "priority": 1}),
    ("place order, shouting note", orders.PlaceOrderUseCase, None,
     {"sku": "SYS-1", "quantity": 1, "warehouse": "w", "note": "FRAGILE"}),
    ("place order, quantity 0", orders.PlaceOrderUseCase, None,
     {"sku": "LMP-2", "quantity": 0, "warehouse": "north"}),
    ("place order, quantity 101", orders.PlaceOrderUseCase, None,
     {"sku": "LMP-2", "quantity": 101, "warehouse": "north"}),
    ("place order, short sku", orders.PlaceOrderUseCase, None,
     {"sku": "LM", "quantity": 1, "warehouse": "north"}),
    ("place order, lowercase sku", orders.PlaceOrderUseCase, None,
     {"sku": "lmp-2", "quantity": 1, "warehouse": "north"}),
    ("place order, empty tag", orders.PlaceOrderUseCase, None,
     {"sku": "LMP-2", "quantity": 1, "warehouse": "north", "tags": [""]}),
    ("place order, no warehouse", orders.PlaceOrderUseCase, None,
     {"sku": "LMP-2", "quantity": 1}),
]

_AT = re.compile(r"at `\$\.?(.*)`$")
_MISSING = re.compile(r"missing required field `([^`]*)`")


def error_outcome(error: BaseException) -> dict[str, Any]:
    """An error as data: its kind and what identifies it, not the runtime's wording."""
    kind = type(error).__name__
    violations = getattr(error, "violations", None)
    if kind == "RuleViolations" and violations is not None:
        return {"error": kind, "violations": [[v.field, v.message] for v in violations]}
    if kind == "NotFound":
        return {"error": kind, "entity": getattr(error, "entity", None), "id": getattr(error, "id", None)}
    errors = getattr(error, "errors", None)
    if callable(errors):  # pydantic (loom)
        loc = errors()[0]["loc"]
        return {"error": "ValidationError", "at": ".".join(str(part) for part in loc)}
    if kind == "ValidationError":  # msgspec (loom-kernel): "... - at `$.field`"
        found = _AT.search(str(error))
        path = [found.group(1).replace("[", ".").replace("]", "")] if found else []
        missing = _MISSING.search(str(error))
        path += [missing.group(1)] if missing else []
        return {"error": "ValidationError", "at": ".".join(part for part in path if part)}
    return {"error": kind, "message": str(error)}


async def run(make_executor: Callable[..., Any]) -> list[dict[str, Any]]:
    """Every scenario, each against fresh repositories; the outcomes in order."""
    outcomes = []
    for label, use_case_type, params, payload in SCENARIOS:
        repositories = {
            User: MemoryRepository(User, USERS),
            Product: MemoryRepository(Product, PRODUCTS),
        }
        executor = make_executor(repo_resolver=repositories.__getitem__)
        model = use_case_type.describe_main_repo()[0]
        use_case = use_case_type(main_repo=repositories[model])
        try:
            result: dict[str, Any] = {
                "result": plain(await executor.execute(use_case, params=params, payload=payload))
            }
        except Exception as error:  # noqa: BLE001 - the outcome is what is compared
            result = error_outcome(error)
        result["label"] = label
        result["rows"] = {
            model.__name__: [plain(row) for row in repo.rows.values()]
            for model, repo in repositories.items()
        }
        outcomes.append(result)
    return outcomes
