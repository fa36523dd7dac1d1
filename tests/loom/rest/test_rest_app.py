"""create_fastapi_app on a real uvicorn server: routing, params, payloads,
read-only GETs, error bodies and the startup checks, in both modes."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from pydantic import Field
from starlette.middleware import Middleware

from loom.core.command import Command, Computed, Patch
from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.rest import (
    InterfaceCompilationError,
    PydanticAdapter,
    RestInterface,
    RestRoute,
    TraceIdMiddleware,
)
from loom.prometheus import PrometheusMetricsAdapter, PrometheusMiddleware
from loom.rest.fastapi.app import create_fastapi_app
from tests.examples.http.scrape import ascrape, by_label, value
from tests.loom.rest.inprocess import serving
from tests.loom.rest.webcases import (
    Boom,
    EchoParams,
    Item,
    ItemApi,
    ItemRepo,
    NoInput,
    RecordingUoWFactory,
    Rename,
)


def _app(make_executor: Any, **kwargs: Any) -> tuple[Any, RecordingUoWFactory, RuntimeExecutor]:
    uow = RecordingUoWFactory()
    repo = ItemRepo({1: Item(1, "one")})
    executor = make_executor(uow_factory=uow, repo_resolver={Item: repo}.__getitem__)
    executor.prepare_all([EchoParams, Rename, NoInput, Boom])
    app = create_fastapi_app(executor, [ItemApi], middleware=[TraceIdMiddleware], **kwargs)
    return app, uow, executor


async def _exchange(make_executor: Any, mode: str) -> list[tuple[int, Any]]:
    app, uow, executor = _app(make_executor)
    assert executor.uses_generated(Rename) is (mode == "generated")
    out: list[tuple[int, Any]] = []
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        for method, path, body in [
            ("GET", "/items/7/echo/x%20y", None),
            ("GET", "/items/seven/echo/x", None),
            ("PATCH", "/items/1", {"name": " two "}),
            ("PATCH", "/items/1", {"name": 5}),
            ("PATCH", "/items/1", None),
            ("PATCH", "/items/2", {"name": "x"}),
            ("POST", "/items/1/touch", {"ignored": True}),
            ("DELETE", "/items/1", None),
        ]:
            response = await client.request(method, path, json=body)
            data = response.json()
            if isinstance(data, dict) and isinstance(data.get("detail"), dict):
                data["detail"].pop("trace_id")
            out.append((response.status_code, data))
    out.append((len(uow.created), [u.outcome for u in uow.created]))
    return out


async def test_routes_over_http(make_executor: Any, execution_mode: str) -> None:
    # the same expectations in both modes: equal results, errors and outcomes
    assert await _exchange(make_executor, execution_mode) == [
        (200, {"item_id": 7, "label": "x y", "read_only_uow": None}),
        (
            400,
            {
                "detail": {
                    "code": "bad_parameter",
                    "message": "EchoParams: invalid value for parameter 'item_id':"
                    " expected int, got str ('seven')",
                }
            },
        ),
        (200, {"id": 1, "name": "two"}),
        (
            422,
            {
                "detail": {
                    "code": "validation_error",
                    "message": "the payload does not match RenameCmd",
                    "violations": [{"field": "name", "message": "Input should be a valid string"}],
                }
            },
        ),
        (
            422,
            {
                "detail": {
                    "code": "validation_error",
                    "message": "the payload does not match RenameCmd",
                    "violations": [{"field": "name", "message": "Field required"}],
                }
            },
        ),
        (
            404,
            {
                "detail": {
                    "code": "not_found",
                    "message": "Item with id=2 not found",
                    "entity": "Item",
                    "id": 2,
                }
            },
        ),
        (200, {"payload_seen": False}),
        (
            500,
            {"detail": {"code": "internal_error", "message": "An unexpected error occurred"}},
        ),
        # GET ran without a unit of work; every other call had one, the failures rolled back
        (6, ["committed", "rolled_back", "rolled_back", "rolled_back", "committed", "rolled_back"]),
    ]


async def test_internal_errors_are_logged_not_sent(
    make_executor: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, _, _ = _app(make_executor)
    caplog.set_level(logging.ERROR, logger="loom.rest")
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.delete("/items/1", headers={"X-Request-ID": "t-500"})
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["detail"]["trace_id"] == "t-500"
    failures = [r for r in caplog.records if r.name == "loom.rest"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None
    assert "database password is secret" in str(failures[0].exc_info[1])


def test_startup_checks_name_the_problem() -> None:
    executor = RuntimeExecutor(UseCaseCompiler())
    executor.prepare(EchoParams)

    def build(**attrs: Any) -> None:
        iface = type("BadApi", (RestInterface,), attrs)
        create_fastapi_app(executor, [iface])

    route = RestRoute(use_case=EchoParams, method="GET", path="/{item_id}/echo/{label}")
    with pytest.raises(InterfaceCompilationError, match="BadApi: 'prefix' must be"):
        build(routes=(route,))
    with pytest.raises(InterfaceCompilationError, match="prefix 'items' must start with '/'"):
        build(prefix="items", routes=(route,))
    with pytest.raises(InterfaceCompilationError, match="'routes' is empty"):
        build(prefix="/items")
    with pytest.raises(InterfaceCompilationError, match="duplicate route"):
        build(prefix="/items", routes=(route, route))
    with pytest.raises(InterfaceCompilationError, match="Rename, which has not been compiled"):
        build(
            prefix="/items", routes=(RestRoute(use_case=Rename, method="PATCH", path="/{item_id}"),)
        )
    with pytest.raises(InterfaceCompilationError, match=r"path parameter \{nope\} is not"):
        build(
            prefix="/items", routes=(RestRoute(use_case=EchoParams, method="GET", path="/{nope}"),)
        )
    with pytest.raises(InterfaceCompilationError, match="unknown HTTP method 'FETCH'"):
        build(prefix="/items", routes=(RestRoute(use_case=EchoParams, method="FETCH", path=""),))


async def test_prometheus_over_http(make_executor: Any, execution_mode: str) -> None:
    registry = CollectorRegistry()
    uow = RecordingUoWFactory()
    executor = make_executor(
        uow_factory=uow,
        repo_resolver={Item: ItemRepo({1: Item(1, "one")})}.__getitem__,
        metrics=PrometheusMetricsAdapter(registry),
    )
    executor.prepare_all([EchoParams, Rename, NoInput, Boom])
    app = create_fastapi_app(
        executor,
        [ItemApi],
        middleware=[TraceIdMiddleware, Middleware(PrometheusMiddleware, registry=registry)],
        metrics_path="/metrics",
        metrics_registry=registry,
    )
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        for path in ("/items/1/echo/a", "/items/2/echo/b", "/items/x/echo/c", "/nowhere"):
            await client.get(path)
        await client.patch("/items/1", json={"name": "n"})
        await client.patch("/items/9", json={"name": "n"})
        await client.delete("/items/1")
        samples = await ascrape(client)
    http = by_label(samples, "http_requests_total", "method", "path_template", "status_code")
    assert http == {
        ("GET", "/items/{item_id}/echo/{label}", "200"): 2,
        ("GET", "/items/{item_id}/echo/{label}", "400"): 1,
        ("GET", "__unmatched__", "404"): 1,
        ("PATCH", "/items/{item_id}", "200"): 1,
        ("PATCH", "/items/{item_id}", "404"): 1,
        ("DELETE", "/items/{item_id}", "500"): 1,
    }
    assert (
        value(
            samples,
            "http_request_duration_seconds_count",
            method="GET",
            path_template="/items/{item_id}/echo/{label}",
        )
        == 3
    )
    requests = by_label(samples, "loom_usecase_requests_total", "usecase", "status")
    assert requests == {
        ("EchoParams", "success"): 2,
        ("EchoParams", "failure"): 1,
        ("Rename", "success"): 1,
        ("Rename", "failure"): 1,
        ("Boom", "failure"): 1,
    }
    errors = by_label(samples, "loom_usecase_errors_total", "usecase", "error_kind")
    assert errors == {
        ("EchoParams", "ParameterBindingError"): 1,
        ("Rename", "NotFound"): 1,
        ("Boom", "RuntimeError"): 1,
    }
    assert value(samples, "loom_usecase_duration_seconds_count", usecase="EchoParams") == 2
    assert by_label(samples, "loom_generated_fallback_total", "usecase", "status") == {}


def test_routes_are_documented_in_openapi(make_executor: Any) -> None:
    app, _, _ = _app(make_executor)
    paths = app.openapi()["paths"]
    assert sorted(paths) == [
        "/items/{item_id}",
        "/items/{item_id}/echo/{label}",
        "/items/{item_id}/touch",
    ]
    echo = paths["/items/{item_id}/echo/{label}"]["get"]
    assert [(p["name"], p["schema"]["type"]) for p in echo["parameters"]] == [
        ("item_id", "integer"),
        ("label", "string"),
    ]
    assert echo["summary"] == "Returns its path values, converted, and the unit of work it sees."
    assert "requestBody" in paths["/items/{item_id}"]["patch"]
    assert "requestBody" not in paths["/items/{item_id}/touch"]["post"]


def test_the_input_schema_drops_patch_defaults_and_leaves_the_command_alone() -> None:
    class Change(Command):
        name: Patch[str] = "kept"
        tags: Patch[list[str]] = Field(default_factory=list, description="labels")
        size: int = Field(3, ge=1)
        slug: Computed[str]

    schema = PydanticAdapter().compile_schema(Change)
    assert list(schema.model_fields) == ["name", "tags", "size"]
    assert (schema.model_fields["name"].default, schema.model_fields["tags"].default) == (
        None,
        None,
    )
    assert schema.model_fields["tags"].description == "labels"
    assert schema.model_fields["size"].metadata == Change.model_fields["size"].metadata
    assert Change.model_fields["name"].default == "kept"
    assert Change.from_payload({}) == (Change(name="kept", tags=[], size=3), frozenset())
