"""The shop served by uvicorn, driven over real HTTP, in both execution modes.

The same scenario runs against an interpreted and a generated server; the
responses (trace ids aside), the final database and the metrics must be
identical, and each response is the status and body the HTTP layer promises.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.shop.orm import Snapshot, snapshot
from loom.core.repository.sqlalchemy import SessionManager
from tests.examples.http.scrape import by_label, scrape, value
from tests.examples.http.server import shop_server

MODES = ("interpreted", "generated")

Exchange = tuple[str, str, int, Any]


def _strip_trace(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _strip_trace(v) for k, v in body.items() if k != "trace_id"}
    if isinstance(body, list):
        return [_strip_trace(item) for item in body]
    return body


def _scenario(client: httpx.Client) -> list[Exchange]:
    exchanges: list[Exchange] = []

    def call(method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> Any:
        if raw is not None:
            response = client.request(method, path, content=raw)
        elif body is not None:
            response = client.request(method, path, json=body)
        else:
            response = client.request(method, path)
        data = response.json()
        exchanges.append((method, path, response.status_code, _strip_trace(data)))
        return response

    call("POST", "/users", {"emailAddress": " Ada@Example.org "})
    call("POST", "/users", {"emailAddress": "ada@example.org"})
    call("POST", "/users", {"emailAddress": "not-an-address"})
    call("POST", "/users", {"name": "nobody"})
    call("POST", "/users", raw=b"{not json")
    call("POST", "/users", raw=b"[1, 2]")
    call("POST", "/users", {"emailAddress": "bob@example.org", "name": "Bob"})
    call("GET", "/users/1")
    call("GET", "/users/999")
    call("GET", "/users/abc")
    call("GET", "/users/by-email/ada@example.org")
    call("GET", "/users/by-email/nobody@example.org")
    call("POST", "/products", {"sku": "kb-1", "name": "Keyboard", "priceCents": 4999, "stock": 5})
    call("POST", "/products", {"sku": "KB-1", "name": "Again", "priceCents": 1, "stock": 1})
    call("POST", "/products", {"sku": "m-1", "name": "Mouse", "priceCents": 0})
    call("POST", "/users/1/orders", {"sku": "KB-1", "quantity": 2})
    call("POST", "/users/1/orders", {"sku": "KB-1", "quantity": 9})
    call("POST", "/users/1/orders", {"sku": "KB-1", "quantity": 1, "totalCents": 1})
    call("POST", "/users/1/orders", {"sku": "NOPE", "quantity": 1})
    call("POST", "/users/999/orders", {"sku": "KB-1", "quantity": 1})
    call("POST", "/users/2/orders/1/cancel")
    call("POST", "/users/1/orders/1/cancel")
    call("POST", "/users/1/orders/1/cancel")
    call("POST", "/users/1/orders/77/cancel")
    call(
        "POST",
        "/deliveries",
        {"lines": [{"sku": "KB-1", "quantity": 3}, {"sku": "NO", "quantity": 1}]},
    )
    call("POST", "/deliveries", {"lines": [{"sku": "KB-1", "quantity": 3}]})
    call("POST", "/products/1/reservations", {"quantity": 9})
    call("POST", "/products/1/reservations", {"quantity": 1})
    call("POST", "/users/by-email/bob@example.org/block")
    call("POST", "/users/2/orders", {"sku": "KB-1", "quantity": 1})
    call("GET", "/users/1/orders")
    return exchanges


def _run(tmp_path: Path, mode: str) -> tuple[list[Exchange], dict[Any, float], Snapshot, str]:
    url = f"sqlite+aiosqlite:///{tmp_path / f'shop-{mode}.db'}"
    with shop_server(url, mode=mode) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            exchanges = _scenario(client)
            traced = client.get("/users/999", headers={"X-Request-ID": "req-42"})
            assert traced.headers["x-request-id"] == "req-42"
            assert traced.json()["detail"]["trace_id"] == "req-42"
            fresh = client.get("/users/1")
            assert len(fresh.headers["x-request-id"]) == 32
        samples = scrape(server.url)
        log = server.log()

    async def read() -> Snapshot:
        manager = SessionManager(url)
        try:
            return await snapshot(manager)
        finally:
            await manager.dispose()

    return exchanges, samples, asyncio.run(read()), log


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("shop-http")
    return {mode: _run(tmp, mode) for mode in MODES}


def test_both_modes_answer_alike(runs: dict[str, Any]) -> None:
    interpreted, generated = runs["interpreted"], runs["generated"]
    assert generated[0] == interpreted[0]
    assert generated[2] == interpreted[2]
    use_case_series = "loom_usecase_requests_total", "loom_usecase_errors_total"
    for series in use_case_series:
        assert by_label(generated[1], series, "usecase", "status", "error_kind") == by_label(
            interpreted[1], series, "usecase", "status", "error_kind"
        )


@pytest.mark.parametrize("mode", MODES)
def test_statuses_and_bodies(runs: dict[str, Any], mode: str) -> None:
    exchanges = runs[mode][0]
    got = {
        (method, path, i): (status, body)
        for i, (method, path, status, body) in enumerate(exchanges)
    }
    statuses = [status for (_, _, status, _) in exchanges]
    assert statuses == [
        201,
        422,
        422,
        422,
        422,
        422,
        201,  # users
        200,
        404,
        400,
        200,
        200,  # reads
        201,
        422,
        422,  # products
        201,
        422,
        422,
        422,
        404,  # orders
        403,
        200,
        409,
        404,  # cancels
        404,
        200,  # deliveries (the failed one wrote nothing)
        422,
        200,  # reservations
        200,
        422,  # block, then the blocked customer orders
        200,  # history
    ]
    assert exchanges[0][3] == {"id": 1, "email": "ada@example.org", "name": "ada", "blocked": False}
    assert exchanges[1][3] == {
        "detail": {
            "code": "rule_violations",
            "message": "email: ada@example.org is already registered",
            "violations": [{"field": "email", "message": "ada@example.org is already registered"}],
        }
    }
    missing = exchanges[3][3]["detail"]
    assert missing["code"] == "validation_error"
    assert [v["field"] for v in missing["violations"]] == ["emailAddress"]
    assert exchanges[4][3]["detail"]["code"] == "validation_error"
    assert "not valid JSON" in exchanges[4][3]["detail"]["message"]
    assert exchanges[5][3]["detail"]["message"] == "the request body must be a JSON object"
    assert exchanges[8][3] == {
        "detail": {
            "code": "not_found",
            "message": "User with id=999 not found",
            "entity": "User",
            "id": 999,
        }
    }
    assert exchanges[9][3]["detail"]["code"] == "bad_parameter"
    assert "user_id" in exchanges[9][3]["detail"]["message"]
    assert exchanges[11][3] is None
    assert exchanges[15][3] == {
        "id": 1,
        "user_id": 1,
        "product_id": 1,
        "quantity": 2,
        "total_cents": 9998,
        "status": "placed",
    }
    assert exchanges[20][3]["detail"]["code"] == "forbidden"
    assert exchanges[22][3]["detail"]["code"] == "conflict"
    assert exchanges[24][3]["detail"] == {
        "code": "not_found",
        "message": "Product with id='NO' not found",
        "entity": "Product",
        "id": "NO",
    }
    # 5 - 2 (order) + 2 (cancel) + 3 (delivery; the failed one added nothing) = 8
    assert exchanges[25][3][0]["stock"] == 8
    assert exchanges[27][3]["stock"] == 7
    history = exchanges[-1][3]
    assert [order["status"] for order in history["orders"]] == ["cancelled"]
    assert got  # every exchange decoded as JSON


@pytest.mark.parametrize("mode", MODES)
def test_database_after_the_scenario(runs: dict[str, Any], mode: str) -> None:
    snap: Snapshot = runs[mode][2]
    assert [row[1] for row in snap.users] == ["ada@example.org", "bob@example.org"]
    assert snap.products == ((1, "KB-1", "Keyboard", 4999, 7),)
    assert snap.orders == ((1, 1, 1, 2, 9998, "cancelled"),)
    # added 5, ordered 2, cancelled 2 back, delivered 3, reserved 1; the failed
    # delivery and the failed reservation left no movement
    assert [row[2] for row in snap.stock_movements] == [5, -2, 2, 3, -1]


@pytest.mark.parametrize("mode", MODES)
def test_metrics_count_what_was_sent(runs: dict[str, Any], mode: str) -> None:
    exchanges, samples, _, _ = runs[mode]
    http = by_label(samples, "http_requests_total", "method", "path_template", "status_code")
    # the scenario, then the two trace id requests; /metrics itself is counted after it answers
    assert sum(http.values()) == len(exchanges) + 2
    assert http[("GET", "/users/{user_id}", "404")] == 2
    assert http[("POST", "/users/{requested_by}/orders/{order_id}/cancel", "200")] == 1
    assert not any(template.startswith("/users/1") for _, template, _ in http)
    assert (
        value(samples, "loom_usecase_requests_total", usecase="PlaceOrder", status="success") == 1
    )
    assert (
        value(samples, "loom_usecase_requests_total", usecase="ReserveStock", status="success") == 2
    )
    placed_errors = by_label(samples, "loom_usecase_errors_total", "usecase", "error_kind")
    assert placed_errors[("PlaceOrder", "RuleViolations")] == 4
    assert placed_errors[("PlaceOrder", "NotFound")] == 1
    assert value(samples, "loom_usecase_duration_seconds_count", usecase="GetUser") == 2
    # generated code runs every shop use case: no fallback in either mode's series
    assert by_label(samples, "loom_generated_fallback_total", "usecase") == {}


def test_fallback_counter_when_generated_code_is_unavailable(tmp_path: Path) -> None:
    # auto mode asked for a package that does not exist: production runs
    # interpreted, and the dashboard sees it
    env = {"LOOM_GENERATED": "shop_generated_that_is_not_there"}
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    with shop_server(url, mode="auto", env=env) as server:
        ok = httpx.post(f"{server.url}/users", json={"emailAddress": "a@b.org"}, timeout=30)
        assert ok.status_code == 201
        samples = scrape(server.url)
    fallbacks = by_label(samples, "loom_generated_fallback_total", "status")
    assert fallbacks == {("unavailable",): 1}
    assert "shop_generated_that_is_not_there" in server.log()
