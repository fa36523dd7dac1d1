"""The example shop on a real SQLite file: transactions, nesting, dispatches, concurrency.

Every test runs once per execution mode (``make_executor``). Units of work
are wrapped in :class:`RecordingUnitOfWork`, which logs ``begin``/``commit``/
``rollback`` (with the trace id current at the time) into one shared event
log; the outbox logs into the same list, so tests can check what happened in
which order.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from pydantic import ValidationError

from examples.shop.app import ShopApp
from examples.shop.db import Database, SqliteUnitOfWork, SqliteUnitOfWorkFactory
from examples.shop.domain import Email, Order, OrderStatus, Product, User
from examples.shop.jobs import StockAlert
from examples.shop.services import Outbox
from examples.shop.usecases import (
    AddProduct,
    BlockUser,
    CancelOrder,
    FindUserByEmail,
    GetUser,
    OrderHistory,
    PlaceOrder,
    RegisterUser,
    ReserveStock,
    RestockProducts,
)
from loom.core.engine import EventKind, RuntimeExecutor
from loom.core.errors import Conflict, Forbidden, NotFound, RuleViolations
from loom.core.job.context import pending_dispatch_count
from loom.core.tracing import get_trace_id, reset_trace_id, set_trace_id
from loom.core.uow.context import get_active_uow

MakeExecutor = Callable[..., RuntimeExecutor]
Event = tuple[str, ...]


# -- recording doubles -----------------------------------------------------------


class RecordingUnitOfWork:
    """Wraps a :class:`SqliteUnitOfWork`; logs each call and who made it."""

    def __init__(
        self, inner: SqliteUnitOfWork, number: int, log: list[Event], factory: RecordingFactory
    ) -> None:
        self.inner = inner
        self.number = number
        self.log = log
        self.factory = factory
        self.trace_ids: set[str | None] = set()
        """Trace ids of every caller: the executor and each repository statement."""

    def _record(self, action: str) -> None:
        self.trace_ids.add(get_trace_id())
        self.log.append((action, str(self.number)))

    async def begin(self) -> None:
        self._record("begin")
        await self.inner.begin()

    async def commit(self) -> None:
        self._record("commit")
        gate = self.factory.commit_gate
        if gate is not None:
            await gate.wait()
        if get_trace_id() in self.factory.refuse_commit_for:
            raise RuntimeError("commit refused")
        await self.inner.commit()

    async def rollback(self) -> None:
        self._record("rollback")
        await self.inner.rollback()

    def connection_for(self, database: Database) -> aiosqlite.Connection | None:
        self.trace_ids.add(get_trace_id())
        return self.inner.connection_for(database)


class RecordingFactory:
    """A unit of work factory that counts and records the units it makes."""

    def __init__(self, inner: SqliteUnitOfWorkFactory, log: list[Event]) -> None:
        self.inner = inner
        self.log = log
        self.created: list[RecordingUnitOfWork] = []
        self.refuse_commit_for: set[str | None] = set()
        """Trace ids whose commit fails (before anything is committed)."""
        self.commit_gate: asyncio.Event | None = None
        """When set, every commit waits for this event."""

    def create(self) -> RecordingUnitOfWork:
        uow = RecordingUnitOfWork(self.inner.create(), len(self.created) + 1, self.log, self)
        self.created.append(uow)
        return uow

    def count(self, action: str) -> int:
        return sum(1 for event in self.log if event[0] == action)


class RecordingOutbox(Outbox):
    """An outbox that also logs each send into the shared event log."""

    def __init__(self, log: list[Event]) -> None:
        super().__init__()
        self.log = log

    async def send(self, email: Email) -> None:
        self.log.append(("send", email.subject, str(email.trace_id)))
        await super().send(email)


class Shop:
    """The app under test plus its recorders."""

    def __init__(self, app: ShopApp, factory: RecordingFactory, log: list[Event]) -> None:
        self.app = app
        self.factory = factory
        self.log = log
        self.executor = app.executor

    async def run(
        self,
        use_case_type: Callable[..., Any],
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Any:
        return await self.executor.execute(
            self.app.make(use_case_type), params=params, payload=payload
        )

    async def file_bytes(self) -> bytes:
        """The database file after the WAL has been folded into it."""
        await self.app.database.checkpoint()
        return self.app.database.path.read_bytes()


ADA = "ada@example.com"
GRACE = "grace@example.com"
MALLORY = "mallory@example.com"


@pytest.fixture
async def shop(make_executor: MakeExecutor, tmp_path: Path) -> AsyncIterator[Shop]:
    log: list[Event] = []
    factories: list[RecordingFactory] = []

    def recording_factory(database: Database) -> RecordingFactory:
        factories.append(RecordingFactory(SqliteUnitOfWorkFactory(database), log))
        return factories[-1]

    app = await ShopApp.open(
        tmp_path / "shop.db",
        executor_factory=make_executor,
        uow_factory=recording_factory,
        outbox=RecordingOutbox(log),
    )
    try:
        # Seed outside any unit of work (autocommit).
        await app.users.add(email=ADA, name="Ada")
        await app.users.add(email=GRACE, name="Grace")
        await app.users.add(email=MALLORY, name="Mallory", blocked=True)
        await app.products.add(sku="MUG", name="Mug", price_cents=1250, stock=50)
        await app.products.add(sku="TEE", name="T-shirt", price_cents=2000, stock=2)
        yield Shop(app, factories[0], log)
    finally:
        await app.close()


# -- success ----------------------------------------------------------------------


async def test_successful_order_is_persisted_in_one_transaction(shop: Shop) -> None:
    order = await shop.run(PlaceOrder, {"user_id": 1}, {"sku": "mug", "quantity": 12})

    assert order == Order(1, 1, 1, 12, 13500, OrderStatus.PLACED)  # 10% bulk discount
    snapshot = await shop.app.database.snapshot()
    assert snapshot.rows("orders") == ((1, 1, 1, 12, 13500, "placed"),)
    assert snapshot.rows("products")[0] == (1, "MUG", "Mug", 1250, 38)
    # The nested ReserveStock joined PlaceOrder's unit of work.
    assert len(shop.factory.created) == 1
    assert shop.log == [
        ("begin", "1"),
        ("commit", "1"),
        ("send", "Order #1 confirmed", "None"),
    ]
    finished = [e.use_case_name for e in shop.app.metrics.events if e.kind is EventKind.EXEC_DONE]
    # The e-mail job runs (inline, read-only: no unit of work of its own) once
    # PlaceOrder has committed, before PlaceOrder's call returns.
    assert finished == ["ReserveStock", "SendEmail", "PlaceOrder"]


async def test_every_kind_of_write_is_committed(shop: Shop) -> None:
    user = await shop.run(RegisterUser, payload={"emailAddress": " Linus@Example.COM "})
    product = await shop.run(
        AddProduct, payload={"sku": "cap", "name": "Cap", "priceCents": 900, "stock": 3}
    )
    assert await shop.run(BlockUser, {"email": GRACE}) is True
    assert await shop.run(BlockUser, {"email": "nobody@example.com"}) is False
    restocked = await shop.run(RestockProducts, payload={"lines": [{"sku": "TEE", "quantity": 8}]})

    assert user == User(4, "linus@example.com", "linus", False)
    assert product == Product(3, "CAP", "Cap", 900, 3)
    assert restocked == [Product(2, "TEE", "T-shirt", 2000, 10)]
    snapshot = await shop.app.database.snapshot()
    assert snapshot.rows("users")[1] == (2, GRACE, "Grace", 1)
    assert snapshot.rows("users")[3] == (4, "linus@example.com", "linus", 0)
    assert snapshot.rows("products")[1:] == (
        (2, "TEE", "T-shirt", 2000, 10),
        (3, "CAP", "Cap", 900, 3),
    )
    assert shop.factory.count("begin") == shop.factory.count("commit") == 5
    assert shop.factory.count("rollback") == 0


async def test_cancel_order_restores_stock_and_notifies(shop: Shop) -> None:
    await shop.run(PlaceOrder, {"user_id": 1}, {"sku": "TEE", "quantity": 2})
    cancelled = await shop.run(CancelOrder, {"order_id": 1, "requested_by": 1})

    assert cancelled.status is OrderStatus.CANCELLED
    snapshot = await shop.app.database.snapshot()
    assert snapshot.rows("products")[1] == (2, "TEE", "T-shirt", 2000, 2)
    assert snapshot.rows("orders") == ((1, 1, 2, 2, 4000, "cancelled"),)
    assert [email.subject for email in shop.app.outbox.sent] == [
        "Order #1 confirmed",
        "Order #1 cancelled",
    ]


async def test_read_only_queries_open_no_unit_of_work(shop: Shop) -> None:
    await shop.run(PlaceOrder, {"user_id": 2}, {"sku": "MUG", "quantity": 1})
    shop.log.clear()

    assert await shop.run(GetUser, {"user_id": "2"}) == User(2, GRACE, "Grace", False)
    assert await shop.run(FindUserByEmail, {"email": "ADA@example.com"}) == User(1, ADA, "Ada")
    assert await shop.run(FindUserByEmail, {"email": "nobody@example.com"}) is None
    history = await shop.run(OrderHistory, {"user_id": 2})

    assert [order.id for order in history.orders] == [1]
    assert history.spent_cents == 1250
    assert shop.log == []
    assert len(shop.factory.created) == 1


async def test_sync_job_queues_its_alert_until_commit(shop: Shop) -> None:
    assert await shop.run(StockAlert, {"product_id": 2}, {"belowUnits": 5}) is True
    assert await shop.run(StockAlert, {"product_id": 1}, {}) is False

    assert shop.log[:3] == [
        ("begin", "1"),
        ("commit", "1"),
        ("send", "Reorder TEE", "None"),
    ]
    assert shop.log[3:] == [("begin", "2"), ("commit", "2")]


# -- failures leave no trace -------------------------------------------------------

FAILURES: list[
    tuple[str, Callable[..., Any], dict[str, Any] | None, dict[str, Any] | None, type[Exception]]
] = [
    # Several rules fail; they are reported together.
    (
        "rules",
        PlaceOrder,
        {"user_id": 3},
        {"sku": "HAT", "quantity": 0, "totalCents": 5},
        RuleViolations,
    ),
    ("load-missing", PlaceOrder, {"user_id": 99}, {"sku": "MUG"}, NotFound),
    ("exists-missing", CancelOrder, {"order_id": 1, "requested_by": 42}, None, NotFound),
    (
        "inside-execute-after-writes",
        RestockProducts,
        None,
        {
            "lines": [
                {"sku": "MUG", "quantity": 5},
                {"sku": "TEE", "quantity": 1},
                {"sku": "HAT", "quantity": 1},
            ]
        },
        NotFound,
    ),
    ("forbidden", CancelOrder, {"order_id": 1, "requested_by": 2}, None, Forbidden),
    ("duplicate", RegisterUser, None, {"emailAddress": "ADA@EXAMPLE.COM"}, RuleViolations),
    ("reserve-too-much", ReserveStock, {"product_id": 2}, {"quantity": 3}, RuleViolations),
    (
        "invalid-payload",
        PlaceOrder,
        {"user_id": 1},
        {"sku": "MUG", "quantity": "many"},
        ValidationError,
    ),
]


@pytest.mark.parametrize(
    ("use_case_type", "params", "payload", "error_type"),
    [case[1:] for case in FAILURES],
    ids=[case[0] for case in FAILURES],
)
async def test_a_failed_execution_leaves_the_database_exactly_as_it_was(
    shop: Shop,
    use_case_type: Callable[..., Any],
    params: dict[str, Any] | None,
    payload: dict[str, Any] | None,
    error_type: type[Exception],
) -> None:
    await shop.run(PlaceOrder, {"user_id": 1}, {"sku": "MUG", "quantity": 1})
    rows_before = await shop.app.database.snapshot()
    bytes_before = await shop.file_bytes()
    shop.log.clear()

    with pytest.raises(error_type):
        await shop.run(use_case_type, params, payload)

    assert await shop.app.database.snapshot() == rows_before
    assert await shop.file_bytes() == bytes_before
    assert shop.log == [("begin", "2"), ("rollback", "2")]
    assert len(shop.app.outbox.sent) == 1  # only the order placed above


async def test_a_failing_nested_use_case_rolls_back_the_outer_writes(shop: Shop) -> None:
    before = await shop.app.database.snapshot()
    # PlaceOrder is handed a stale copy of the product claiming plenty of
    # stock, so its own rules pass and it inserts the order; the nested
    # ReserveStock loads the real row (2 left) inside the same transaction and
    # refuses.
    stale_tee = Product(2, "TEE", "T-shirt", 2000, stock=99)
    with pytest.raises(RuleViolations, match="only 2 x TEE in stock"):
        await shop.executor.execute(
            shop.app.make(PlaceOrder),
            params={"user_id": 1},
            payload={"sku": "TEE", "quantity": 5},
            load_overrides={Product: stale_tee},
        )

    assert await shop.app.database.snapshot() == before
    assert shop.log == [("begin", "1"), ("rollback", "1")]
    assert shop.app.outbox.sent == []
    errors = [
        (e.use_case_name, e.status)
        for e in shop.app.metrics.events
        if e.kind is EventKind.EXEC_ERROR
    ]
    assert errors == [("ReserveStock", "rule_failure"), ("PlaceOrder", "rule_failure")]


async def test_cancelling_twice_is_a_conflict_that_changes_nothing(shop: Shop) -> None:
    await shop.run(PlaceOrder, {"user_id": 1}, {"sku": "TEE", "quantity": 1})
    await shop.run(CancelOrder, {"order_id": 1, "requested_by": 1})
    before = await shop.app.database.snapshot()

    with pytest.raises(Conflict, match="already cancelled"):
        await shop.run(CancelOrder, {"order_id": 1, "requested_by": 1})

    assert await shop.app.database.snapshot() == before
    assert before.rows("products")[1][4] == 2
    assert shop.log[-2:] == [("begin", "3"), ("rollback", "3")]


async def test_all_violated_rules_are_reported_together(shop: Shop) -> None:
    with pytest.raises(RuleViolations) as caught:
        await shop.run(PlaceOrder, {"user_id": 3}, {"sku": "HAT", "quantity": 0, "totalCents": 5})

    assert [v.field for v in caught.value.violations] == [
        "total_cents",
        "quantity",
        "user_id",
        "sku",
    ]


async def test_commit_failure_rolls_back_and_discards_dispatches(shop: Shop) -> None:
    before = await shop.app.database.snapshot()
    shop.factory.refuse_commit_for.add("doomed")
    token = set_trace_id("doomed")
    try:
        with pytest.raises(RuntimeError, match="commit refused"):
            await shop.run(PlaceOrder, {"user_id": 1}, {"sku": "MUG", "quantity": 3})
    finally:
        reset_trace_id(token)

    assert shop.log == [("begin", "1"), ("commit", "1"), ("rollback", "1")]
    assert shop.app.outbox.sent == []
    assert pending_dispatch_count() == 0
    assert await shop.app.database.snapshot() == before

    # The next execution starts clean: nothing left over from the failed one.
    await shop.run(PlaceOrder, {"user_id": 2}, {"sku": "MUG", "quantity": 1})
    assert [(e.to, e.subject) for e in shop.app.outbox.sent] == [(GRACE, "Order #1 confirmed")]


# -- isolation ------------------------------------------------------------------------


async def test_reads_outside_a_unit_of_work_see_only_committed_rows(shop: Shop) -> None:
    shop.factory.commit_gate = gate = asyncio.Event()
    registering = asyncio.create_task(
        shop.run(RegisterUser, payload={"emailAddress": "new@example.com"})
    )
    async def commit_reached() -> None:
        while shop.factory.count("commit") == 0:  # the insert is done, the commit waits
            await asyncio.sleep(0.001)

    await asyncio.wait_for(commit_reached(), timeout=30)

    assert await shop.run(FindUserByEmail, {"email": "new@example.com"}) is None
    gate.set()
    created = await registering
    assert await shop.run(FindUserByEmail, {"email": "new@example.com"}) == created


async def test_unknown_lookup_fields_and_profiles_are_rejected(shop: Shop) -> None:
    users = shop.app.users
    with pytest.raises(ValueError, match="cannot look up by"):
        await users.get_by("email = email OR 1", "x")
    with pytest.raises(ValueError, match="cannot look up by"):
        await users.exists_by("blocked; DROP TABLE users", 1)
    with pytest.raises(ValueError, match="unknown load profile"):
        await users.get_by_id(1, profile="everything")
    assert len((await shop.app.database.snapshot()).rows("users")) == 3


async def test_a_thousand_concurrent_executions_never_share_anything(shop: Shop) -> None:
    count = 1000
    await shop.app.products.update(Product(1, "MUG", "Mug", 1250, count * 3))
    doomed = {f"trace-{i}" for i in range(count) if i % 7 == 3}
    shop.factory.refuse_commit_for.update(doomed)
    seen_uows: dict[str, int] = {}

    async def one(i: int) -> tuple[str, object]:
        trace_id = f"trace-{i}"
        set_trace_id(trace_id)  # this task's context only
        await asyncio.sleep(0)
        user_id = 3 if i % 10 == 0 else 1 + i % 2  # every 10th: the blocked user
        try:
            order = await shop.run(
                PlaceOrder, {"user_id": user_id}, {"sku": "MUG", "quantity": 1 + i % 3}
            )
        except (RuleViolations, RuntimeError) as error:
            outcome: object = error
        else:
            outcome = order
        # Back outside the executor: nothing of the execution is left in this context.
        assert get_active_uow() is None
        assert pending_dispatch_count() == 0
        assert get_trace_id() == trace_id
        return trace_id, outcome

    results = dict(await asyncio.gather(*(one(i) for i in range(count))))

    # One unit of work per execution, each used by exactly one request.
    assert len(shop.factory.created) == count
    for uow in shop.factory.created:
        assert len(uow.trace_ids) == 1, uow.trace_ids
        (trace_id,) = uow.trace_ids
        assert trace_id is not None
        seen_uows[trace_id] = uow.number
    assert len(seen_uows) == count

    orders = {t: r for t, r in results.items() if isinstance(r, Order)}
    blocked = {f"trace-{i}" for i in range(count) if i % 10 == 0}
    assert set(orders) == set(results) - blocked - doomed
    for trace_id, outcome in results.items():
        if trace_id in blocked:
            assert isinstance(outcome, RuleViolations)
        elif trace_id in doomed:
            assert isinstance(outcome, RuntimeError)

    # Each committed order produced exactly its own e-mail, carrying its trace id.
    sent = {email.trace_id: email for email in shop.app.outbox.sent}
    assert len(shop.app.outbox.sent) == len(sent) == len(orders)
    for trace_id, order in orders.items():
        assert sent[trace_id].subject == f"Order #{order.id} confirmed"
        position = shop.log.index(("send", f"Order #{order.id} confirmed", trace_id))
        assert shop.log.index(("commit", str(seen_uows[trace_id]))) < position

    # The database holds exactly the committed orders, and the stock agrees.
    snapshot = await shop.app.database.snapshot()
    stored = {row[0]: row for row in snapshot.rows("orders")}
    assert sorted(stored) == sorted(order.id for order in orders.values())
    for order in orders.values():
        assert stored[order.id] == (
            order.id,
            order.user_id,
            1,
            order.quantity,
            order.total_cents,
            "placed",
        )
    remaining = snapshot.rows("products")[0][4]
    assert remaining == count * 3 - sum(order.quantity for order in orders.values())

    # Every event carried the trace id of the request that caused it.
    started = Counter(
        (e.use_case_name, e.trace_id)
        for e in shop.app.metrics.events
        if e.kind is EventKind.EXEC_START
    )
    for trace_id in results:
        assert started[("PlaceOrder", trace_id)] == 1
        assert started[("ReserveStock", trace_id)] == (0 if trace_id in blocked else 1)


SHOP_TYPES = (
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


async def test_every_shop_use_case_runs_in_the_requested_mode(
    shop: Shop, execution_mode: str
) -> None:
    shop.executor.prepare_all(SHOP_TYPES)
    for use_case_type in SHOP_TYPES:
        assert shop.app.mode_of(use_case_type) == execution_mode, use_case_type
