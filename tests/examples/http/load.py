"""A bounded load against a running shop server, and the checks made after it.

``run_load(url, total=..., clients=...)`` first sets the shop up (customers,
one blocked customer, a few products with little stock), then sends
``total`` requests from ``clients`` concurrent clients: reads, orders that
must fail their rules, and orders and direct reservations racing for the
same few products. Every response must be one the request kind allows
(a 5xx, a timeout or an unexpected status fails the run). ``check_invariants``
then compares the database and ``/metrics`` with what the clients saw.

Shared by tests/load/test_shop_http.py (a smaller count in CI) and ``make bench``
(bench/http.py, the full 10,000).
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from examples.shop.orm import Snapshot
from tests.examples.http.scrape import Samples, by_label

CUSTOMERS = 20
PRODUCTS = 4
STOCK = 60
"""Units of each product at the start: the racing orders sell out most of them."""

# request kind -> the statuses it may get
ALLOWED: dict[str, frozenset[int]] = {
    "get_user": frozenset({200}),
    "history": frozenset({200}),
    "missing_user": frozenset({404}),
    "bad_order": frozenset({422}),
    "blocked_order": frozenset({422}),
    "order": frozenset({201, 422, 409}),  # sold out by the rule, or lost a race (409)
    "reserve": frozenset({200, 422, 409}),
}

TEMPLATES = {
    "get_user": ("GET", "/users/{user_id}"),
    "history": ("GET", "/users/{user_id}/orders"),
    "missing_user": ("GET", "/users/{user_id}"),
    "bad_order": ("POST", "/users/{user_id}/orders"),
    "blocked_order": ("POST", "/users/{user_id}/orders"),
    "order": ("POST", "/users/{user_id}/orders"),
    "reserve": ("POST", "/products/{product_id}/reservations"),
}


@dataclass
class LoadResult:
    total: int
    clients: int
    seconds: float
    latencies: list[float]
    statuses: Counter[tuple[str, int]]
    unexpected: list[str]
    ordered: Counter[int] = field(default_factory=Counter)  # product id -> units in 201 orders
    reserved: Counter[int] = field(default_factory=Counter)  # product id -> units reserved
    setup_requests: Counter[tuple[str, str, int]] = field(default_factory=Counter)

    @property
    def rps(self) -> float:
        return self.total / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def summary(self) -> str:
        return (
            f"{self.total} requests, {self.clients} clients: {self.rps:,.0f} req/s,"
            f" p50 {self.percentile(50) * 1000:.1f} ms, p99 {self.percentile(99) * 1000:.1f} ms"
            f" (mean {statistics.fmean(self.latencies) * 1000:.1f} ms)"
        )


def _plan(total: int, seed: int) -> list[tuple[str, str, str, Any, int]]:
    """``(kind, method, path, body, product_id)`` for every request, fixed by ``seed``."""
    rng = random.Random(seed)
    skus = [f"HOT-{i}" for i in range(1, PRODUCTS + 1)]
    plan: list[tuple[str, str, str, Any, int]] = []
    for _ in range(total):
        roll = rng.random()
        user = rng.randint(1, CUSTOMERS)
        if roll < 0.25:
            plan.append(("get_user", "GET", f"/users/{user}", None, 0))
        elif roll < 0.35:
            plan.append(("history", "GET", f"/users/{user}/orders", None, 0))
        elif roll < 0.38:
            plan.append(("missing_user", "GET", f"/users/{10_000 + user}", None, 0))
        elif roll < 0.50:
            body = rng.choice(
                [
                    {"sku": skus[0], "quantity": 0},
                    {"sku": "NO-SUCH-SKU", "quantity": 1},
                    {"sku": skus[1], "quantity": 1, "totalCents": 1},
                ]
            )
            plan.append(("bad_order", "POST", f"/users/{user}/orders", body, 0))
        elif roll < 0.55:
            blocked = CUSTOMERS + 1
            body = {"sku": rng.choice(skus), "quantity": 1}
            plan.append(("blocked_order", "POST", f"/users/{blocked}/orders", body, 0))
        elif roll < 0.90:
            index = rng.randrange(PRODUCTS)
            body = {"sku": skus[index], "quantity": rng.randint(1, 3)}
            plan.append(("order", "POST", f"/users/{user}/orders", body, index + 1))
        else:
            index = rng.randrange(PRODUCTS)
            body = {"quantity": rng.randint(1, 2)}
            plan.append(("reserve", "POST", f"/products/{index + 1}/reservations", body, index + 1))
    return plan


async def setup_shop(client: httpx.AsyncClient) -> Counter[tuple[str, str, int]]:
    """Customers 1..CUSTOMERS, customer CUSTOMERS+1 blocked, products 1..PRODUCTS."""
    sent: Counter[tuple[str, str, int]] = Counter()

    async def call(method: str, path: str, template: str, body: Any, expect: int) -> Any:
        response = await client.request(method, path, json=body)
        if response.status_code != expect:
            raise AssertionError(f"setup {method} {path}: {response.status_code} {response.text}")
        sent[(method, template, expect)] += 1
        return response.json()

    for n in range(1, CUSTOMERS + 2):
        user = await call("POST", "/users", "/users", {"emailAddress": f"c{n}@load.test"}, 201)
        assert user["id"] == n, user
    await call(
        "POST", f"/users/by-email/c{CUSTOMERS + 1}@load.test/block",
        "/users/by-email/{email}/block", None, 200,
    )  # fmt: skip
    for n in range(1, PRODUCTS + 1):
        body = {"sku": f"hot-{n}", "name": f"Hot {n}", "priceCents": 100 * n, "stock": STOCK}
        product = await call("POST", "/products", "/products", body, 201)
        assert product["id"] == n, product
    return sent


async def run_load(
    base_url: str, *, total: int, clients: int = 50, seed: int = 19, time_limit: float = 600
) -> LoadResult:
    """Set the shop up, then send ``total`` requests from ``clients`` concurrent clients."""
    plan = _plan(total, seed)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        setup = await setup_shop(client)
        queue: asyncio.Queue[tuple[str, str, str, Any, int]] = asyncio.Queue()
        for item in plan:
            queue.put_nowait(item)
        latencies: list[float] = []
        statuses: Counter[tuple[str, int]] = Counter()
        unexpected: list[str] = []
        ordered: Counter[int] = Counter()
        reserved: Counter[int] = Counter()

        async def worker() -> None:
            while True:
                try:
                    kind, method, path, body, product = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.perf_counter()
                try:
                    response = await client.request(method, path, json=body)
                except httpx.HTTPError as error:
                    unexpected.append(f"{kind} {method} {path}: {type(error).__name__} {error}")
                    continue
                latencies.append(time.perf_counter() - started)
                status = response.status_code
                statuses[(kind, status)] += 1
                if status not in ALLOWED[kind]:
                    unexpected.append(f"{kind} {method} {path} {body}: {status} {response.text}")
                elif kind == "order" and status == 201:
                    ordered[product] += body["quantity"]
                elif kind == "reserve" and status == 200:
                    reserved[product] += body["quantity"]

        started = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(clients))), timeout=time_limit
        )
        seconds = time.perf_counter() - started
    return LoadResult(
        total, clients, seconds, latencies, statuses, unexpected, ordered, reserved, setup
    )


def check_invariants(result: LoadResult, snapshot: Snapshot, samples: Samples) -> None:
    """The database and the metrics agree with what the clients saw."""
    check_database(result, snapshot)
    check_metrics(result, samples)


def check_database(result: LoadResult, snapshot: Snapshot) -> None:
    """Every response was allowed; stock and orders add up."""
    assert not result.unexpected, "\n".join(result.unexpected[:20])
    assert sum(result.statuses.values()) == result.total
    # stock never negative, and always what its movements add up to
    movements: dict[int, list[int]] = {}
    for _, product_id, delta in snapshot.stock_movements:
        movements.setdefault(product_id, []).append(delta)
    for product_id, _, _, _, stock in snapshot.products:
        assert stock >= 0, (product_id, stock)
        assert stock == sum(movements[product_id]), (product_id, stock, movements[product_id])
    # every committed order with its stock movement, and nothing else taken out
    orders_by_product: Counter[int] = Counter()
    for _, _, product_id, quantity, _, status in snapshot.orders:
        assert status == "placed"
        orders_by_product[product_id] += quantity
    assert orders_by_product == result.ordered
    taken = Counter({p: -sum(d for d in ds if d < 0) for p, ds in movements.items()})
    assert +taken == +(result.ordered + result.reserved)
    withdrawals = sum(1 for _, _, delta in snapshot.stock_movements if delta < 0)
    reservations_ok = sum(n for (kind, status), n in result.statuses.items()
                          if kind == "reserve" and status == 200)  # fmt: skip
    assert withdrawals == len(snapshot.orders) + reservations_ok
    assert len(snapshot.orders) == result.statuses[("order", 201)]


def check_metrics(result: LoadResult, samples: Samples) -> None:
    """The scraped counters equal the requests sent and the executions they made."""  # the HTTP counters equal the requests sent, by route template and status
    expected: Counter[tuple[str, str, str]] = Counter()
    for (method, template, status), n in result.setup_requests.items():
        expected[(method, template, str(status))] += n
    for (kind, status), n in result.statuses.items():
        method, template = TEMPLATES[kind]
        expected[(method, template, str(status))] += n
    http = by_label(samples, "http_requests_total", "method", "path_template", "status_code")
    http.pop(("GET", "/metrics", "200"), None)
    assert Counter({k: int(v) for k, v in http.items()}) == expected
    # the use case counters equal the executions the requests made
    requests = by_label(samples, "loom_usecase_requests_total", "usecase")
    orders_sent = sum(
        n
        for (kind, _), n in result.statuses.items()
        if kind in ("bad_order", "blocked_order", "order")
    )
    assert requests[("PlaceOrder",)] == orders_sent
    reserves_sent = sum(n for (kind, _), n in result.statuses.items() if kind == "reserve")
    # A direct reservation is one execution. An order that got past its rules runs one
    # nested: it commits (201), loses the race at the stock update (409) or, on a server
    # database whose concurrent commits the nested load sees, fails the nested rule (422).
    nested = result.statuses[("order", 201)] + result.statuses[("order", 409)]
    executions = requests[("ReserveStock",)]
    assert (
        reserves_sent + nested
        <= executions
        <= reserves_sent + nested + result.statuses[("order", 422)]
    )
    reads = sum(
        n for (kind, _), n in result.statuses.items() if kind in ("get_user", "missing_user")
    )
    assert requests[("GetUser",)] == reads
    assert requests[("OrderHistory",)] == result.statuses[("history", 200)]
