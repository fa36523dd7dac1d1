"""HTTP request metrics for any ASGI application."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from loom.prometheus._children import KeptCounter, KeptHistogram
from loom.prometheus._registry import instruments_for

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNMATCHED = "__unmatched__"
"""The ``path_template`` of requests no route matched (a 404, a probe)."""


@dataclass(frozen=True, slots=True)
class _HttpInstruments:
    requests: Counter
    duration: Histogram


def _make(registry: CollectorRegistry) -> _HttpInstruments:
    return _HttpInstruments(
        requests=KeptCounter(
            "http_requests",
            "HTTP requests, by method, route template and status code.",
            ["method", "path_template", "status_code"],
            registry=registry,
        ),
        duration=KeptHistogram(
            "http_request_duration_seconds",
            "HTTP request duration in seconds, by method and route template.",
            ["method", "path_template"],
            registry=registry,
        ),
    )


class PrometheusMiddleware:
    """Pure ASGI middleware: ``http_requests_total{method,path_template,status_code}``
    and ``http_request_duration_seconds{method,path_template}``.

    ``path_template`` is the matched route's template (``/orders/{order_id}``,
    never ``/orders/42``), read once the application has routed the request,
    or ``__unmatched__``; the label set stays bounded whatever clients send.
    A request whose application raised before answering counts as ``500``,
    one whose client went away before the answer as ``499``. Other scope
    types (lifespan, websocket) pass through untouched.
    """

    def __init__(self, app: ASGIApp, registry: CollectorRegistry | None = None) -> None:
        self._app = app
        self._instruments = instruments_for("http", registry, _make)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 0

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message.get("status", 200))
            await send(message)

        started = time.perf_counter()
        try:
            await self._app(scope, receive, send_and_watch)
        except BaseException as exc:
            if status == 0:
                status = 499 if _is_disconnect(exc) else 500
            raise
        finally:
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", "UNKNOWN")).upper()
            template = path_template(scope)
            self._instruments.requests.labels(method, template, str(status or 200)).inc()
            self._instruments.duration.labels(method, template).observe(elapsed)


def path_template(scope: Scope) -> str:
    """The template of the route that matched ``scope``, or :data:`UNMATCHED`."""
    route = scope.get("route")
    template = getattr(route, "path", None) if route is not None else None
    if isinstance(template, str) and template:
        return template
    return UNMATCHED


def _is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, (asyncio.CancelledError, OSError)) or (
        type(exc).__name__ == "ClientDisconnect"
    )
