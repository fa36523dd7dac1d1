"""A scripted run of the shop on a fresh SQLite database.

    python -m examples.shop.demo [--mode auto|interpreted|generated] [--db PATH] [--both] [-v]

Every step is one execution through the executor; the demo prints what was
asked, what came back (or what was raised) and whether the interpreter or
loomgen's generated code ran it. ``--both`` runs the whole scenario twice,
interpreted and then in ``--mode`` (``auto`` unless given), and checks that
the outcomes, the e-mails and the final database are identical.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from examples.shop.app import ShopApp
from examples.shop.db import Snapshot
from examples.shop.domain import Email, Order, Product, User, format_cents
from examples.shop.jobs import StockAlert
from examples.shop.usecases import (
    AddProduct,
    BlockUser,
    CancelOrder,
    FindUserByEmail,
    GetUser,
    OrderHistory,
    OrderHistoryView,
    PlaceOrder,
    RegisterUser,
    ReserveStock,
    RestockProducts,
)
from loom.core.engine import GeneratedCodeError
from loom.core.errors import LoomError, RuleViolations
from loom.core.tracing import reset_trace_id, set_trace_id

DEFAULT_DB = Path("var/shop.db")

ALL_TYPES: tuple[type[Any], ...] = (
    RegisterUser,
    AddProduct,
    GetUser,
    FindUserByEmail,
    BlockUser,
    OrderHistory,
    ReserveStock,
    PlaceOrder,
    CancelOrder,
    RestockProducts,
    StockAlert,
)


@dataclass(frozen=True, slots=True)
class Step:
    """One execution: which class, with which params and payload."""

    use_case: type[Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    payload: Mapping[str, Any] | None = None
    nested: tuple[type[Any], ...] = ()
    """Classes the use case runs through the executor itself."""


SCENARIO: tuple[Step, ...] = (
    # Seed data, through the use cases themselves.
    Step(RegisterUser, payload={"emailAddress": " Ada@Example.com ", "name": "Ada Lovelace"}),
    Step(RegisterUser, payload={"emailAddress": "grace@example.com"}),
    Step(RegisterUser, payload={"email": "mallory@example.com", "name": "Mallory"}),
    Step(AddProduct, payload={"sku": "mug", "name": "Loom mug", "priceCents": 1250, "stock": 40}),
    Step(
        AddProduct, payload={"sku": "TEE", "name": "Loom T-shirt", "price_cents": 2000, "stock": 5}
    ),
    Step(AddProduct, payload={"sku": "CAP", "name": "Loom cap", "priceCents": 900}),
    # Rule failures and lookups.
    Step(RegisterUser, payload={"emailAddress": "ADA@example.com"}),
    Step(AddProduct, payload={"sku": "Mug", "name": "Another mug", "priceCents": 0, "stock": -1}),
    Step(BlockUser, params={"email": "mallory@example.com"}),
    Step(BlockUser, params={"email": "nobody@example.com"}),
    # Orders: each one runs ReserveStock inside its own unit of work.
    Step(PlaceOrder, {"user_id": 1}, {"sku": "MUG", "quantity": 2}, nested=(ReserveStock,)),
    Step(PlaceOrder, {"user_id": 2}, {"sku": "mug", "quantity": 12}, nested=(ReserveStock,)),
    Step(PlaceOrder, {"user_id": 1}, {"sku": "TEE", "quantity": 5}, nested=(ReserveStock,)),
    Step(
        PlaceOrder,
        {"user_id": 3},
        {"sku": "HAT", "quantity": 0, "totalCents": 1},
        nested=(ReserveStock,),
    ),
    Step(PlaceOrder, {"user_id": 2}, {"sku": "TEE", "quantity": 1}, nested=(ReserveStock,)),
    Step(PlaceOrder, {"user_id": 2}, {"sku": "CAP", "quantity": 1}, nested=(ReserveStock,)),
    Step(PlaceOrder, {"user_id": 99}, {"sku": "MUG", "quantity": 1}, nested=(ReserveStock,)),
    Step(PlaceOrder, {"user_id": 1}, {"sku": "MUG", "colour": "red"}, nested=(ReserveStock,)),
    Step(ReserveStock, {"product_id": 1}, {"quantity": 100}),
    # Read-only queries.
    Step(GetUser, {"user_id": "2"}),
    Step(GetUser, {"user_id": 42}),
    Step(GetUser, {"user_id": "two"}),
    Step(FindUserByEmail, {"email": "GRACE@example.com"}),
    Step(FindUserByEmail, {"email": "nobody@example.com"}),
    Step(OrderHistory, {"user_id": 1}),
    # Cancellations.
    Step(CancelOrder, {"order_id": 1, "requested_by": 2}),
    Step(CancelOrder, {"order_id": 1, "requested_by": 77}),
    Step(CancelOrder, {"order_id": 1, "requested_by": 1}),
    Step(CancelOrder, {"order_id": 1, "requested_by": 1}),
    # A delivery with an unknown SKU is rejected as a whole, then a good one.
    Step(
        RestockProducts,
        payload={"lines": [{"sku": "MUG", "quantity": 10}, {"sku": "HAT", "quantity": 3}]},
    ),
    Step(
        RestockProducts,
        payload={"lines": [{"sku": "TEE", "quantity": 10}, {"sku": "CAP", "quantity": 4}]},
    ),
    # The synchronous job.
    Step(StockAlert, {"product_id": 3}, {"belowUnits": 10}),
    Step(StockAlert, {"product_id": 1}, {}),
    Step(StockAlert, {"product_id": 1}, {"threshold": 0}),
)


# -- rendering ------------------------------------------------------------------


def describe(value: object) -> str:
    """A short, stable rendering of a result."""
    if isinstance(value, User):
        blocked = ", blocked" if value.blocked else ""
        return f"User #{value.id} {value.email} ({value.name}{blocked})"
    if isinstance(value, Product):
        return (
            f"Product #{value.id} {value.sku} '{value.name}'"
            f" {format_cents(value.price_cents)}, {value.stock} in stock"
        )
    if isinstance(value, Order):
        return (
            f"Order #{value.id}: user #{value.user_id} x{value.quantity} of product"
            f" #{value.product_id}, {format_cents(value.total_cents)}, {value.status.value}"
        )
    if isinstance(value, OrderHistoryView):
        orders = "; ".join(describe(order) for order in value.orders) or "no orders"
        return (
            f"{value.customer.email} spent {format_cents(value.spent_cents)}"
            f" in {len(value.orders)} order(s): {orders}"
        )
    if isinstance(value, list):
        return "[" + "; ".join(describe(item) for item in value) + "]"
    return repr(value)


def describe_error(error: Exception) -> str:
    if isinstance(error, RuleViolations):
        return f"{len(error.violations)} rule(s) failed: " + " | ".join(
            str(violation) for violation in error.violations
        )
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        return f"invalid payload: {problems}"
    return f"{type(error).__name__}: {error}"


def describe_request(step: Step) -> str:
    parts = []
    if step.params:
        parts.append(f"params={dict(step.params)}")
    if step.payload is not None:
        parts.append(f"payload={dict(step.payload)}")
    return f"{step.use_case.__name__}({', '.join(parts)})"


# -- running ----------------------------------------------------------------------


@dataclass
class Report:
    """What one run of the scenario produced (compared by ``--both``)."""

    outcomes: list[str]
    snapshot: Snapshot
    emails: list[Email]
    counts: dict[str, int]


async def run_step(app: ShopApp, number: int, step: Step) -> tuple[str, str]:
    """Run one step; return (how it ran, what came out)."""
    modes = [f"{step.use_case.__name__}:{app.mode_of(step.use_case)}"]
    modes.extend(f"{nested.__name__}:{app.mode_of(nested)}" for nested in step.nested)
    instance = app.make(step.use_case)
    token = set_trace_id(f"demo-{number:02d}")
    try:
        result = await app.executor.execute(
            instance, params=dict(step.params), payload=step.payload
        )
        outcome = f"ok    {describe(result)}"
    except (LoomError, ValidationError, ValueError) as error:
        outcome = f"ERROR {describe_error(error)}"
    finally:
        reset_trace_id(token)
    return ", ".join(modes), outcome


async def run_scenario(db_path: Path, mode: str, *, quiet: bool = False) -> Report:
    """Recreate the database at ``db_path`` and play :data:`SCENARIO` on it."""

    def say(text: str = "") -> None:
        if not quiet:
            print(text)

    app = await ShopApp.open(db_path, fresh=True, execution_mode=mode)
    try:
        app.executor.prepare_all(ALL_TYPES)
        generated = sum(app.executor.uses_generated(t) for t in ALL_TYPES)
        say(
            f"== shop demo: mode={mode}, db={db_path}, {generated}/{len(ALL_TYPES)}"
            " use cases run generated code"
        )
        outcomes: list[str] = []
        for number, step in enumerate(SCENARIO, start=1):
            how, outcome = await run_step(app, number, step)
            outcomes.append(f"{describe_request(step)} -> {outcome}")
            say(f"{number:2d}. {describe_request(step)}")
            say(f"      [{how}] {outcome}")
        snapshot = await app.database.snapshot()
        counts = {str(kind): count for kind, count in sorted(app.metrics.counts().items())}
        say()
        say(render_database(snapshot))
        say()
        say(f"outbox ({len(app.outbox.sent)} e-mails sent after commit):")
        for email in app.outbox.sent:
            say(f"  [{email.trace_id}] to {email.to}: {email.subject} ({email.body})")
        say()
        say("metrics events: " + ", ".join(f"{kind}={count}" for kind, count in counts.items()))
        per_use_case = app.metrics.counts_by_use_case()
        for name in sorted({name for name, _ in per_use_case}):
            line = ", ".join(
                f"{kind}={per_use_case[(name, kind)]}"
                for kind in sorted({k for n, k in per_use_case if n == name})
            )
            say(f"  {name}: {line}")
        return Report(outcomes, snapshot, list(app.outbox.sent), counts)
    finally:
        await app.close()


def render_database(snapshot: Snapshot) -> str:
    headers = {
        "users": ("id", "email", "name", "blocked"),
        "products": ("id", "sku", "name", "price_cents", "stock"),
        "orders": ("id", "user_id", "product_id", "quantity", "total_cents", "status"),
    }
    lines = ["final database contents:"]
    for table, rows in snapshot.tables:
        lines.append(f"  {table} ({', '.join(headers.get(table, ()))}):")
        lines.extend(f"    {row!r}" for row in rows)
        if not rows:
            lines.append("    (empty)")
    lines.append(f"  sqlite_sequence: {list(snapshot.sequences)!r}")
    return "\n".join(lines)


def compare(first: Report, second: Report) -> list[str]:
    """Where two runs differ (empty when they agree)."""
    problems = [
        f"step {number}: {a!r} != {b!r}"
        for number, (a, b) in enumerate(zip(first.outcomes, second.outcomes, strict=True), 1)
        if a != b
    ]
    if first.snapshot != second.snapshot:
        problems.append("the final databases differ")
    if first.emails != second.emails:
        problems.append("the e-mails sent differ")
    # Only the execution events tell what a run did. COMPILE_* and
    # GENERATED_FALLBACK are about setup: a class is compiled once per process
    # (its plan is stored on the class), so the second run compiles nothing.
    first_counts = {k: v for k, v in first.counts.items() if k.startswith("exec_")}
    second_counts = {k: v for k, v in second.counts.items() if k.startswith("exec_")}
    if first_counts != second_counts:
        problems.append(f"the metrics differ: {first_counts} != {second_counts}")
    return problems


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.shop.demo", description=__doc__)
    parser.add_argument(
        "--mode",
        choices=("auto", "interpreted", "generated"),
        default=None,
        help="execution mode (default: auto; with --both, the mode of the second run)",
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"default: {DEFAULT_DB}")
    parser.add_argument(
        "--both",
        action="store_true",
        help="run interpreted, then in --mode, and check both runs agree",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show loom's log lines")
    return parser.parse_args(argv)


async def amain(args: argparse.Namespace) -> int:
    if not args.both:
        await run_scenario(args.db, args.mode or "auto")
        return 0
    second_mode = args.mode if args.mode not in (None, "interpreted") else "auto"
    first = await run_scenario(args.db, "interpreted")
    print()
    second = await run_scenario(args.db, second_mode)
    print()
    problems = compare(first, second)
    if problems:
        print(f"the interpreted and {second_mode} runs DISAGREE:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(
        f"both modes agree (interpreted and {second_mode}):"
        f" {len(first.outcomes)} steps, same results, same database, same e-mails"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.CRITICAL + 1,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return asyncio.run(amain(args))
    except GeneratedCodeError as error:
        print(f"cannot run in generated mode: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
