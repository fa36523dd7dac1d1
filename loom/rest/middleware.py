"""Trace ids for HTTP requests: pure ASGI middleware, no framework needed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from loom.core.tracing import reset_trace_id, set_trace_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_TRACE_ID_LENGTH = 128


class TraceIdMiddleware:
    """Gives every HTTP request a trace id and sends it back.

    The id is the request's ``header`` (``X-Request-ID`` by default) when it
    is a plausible id: 1 to 128 printable ASCII characters without spaces,
    quotes, commas or semicolons (what log and header syntax would choke on).
    Otherwise, or when absent, a new one is made (32 hex digits). It is
    current (:func:`~loom.core.tracing.get_trace_id`) while the application
    handles the request, so events, logs and error bodies carry it, and is
    added to the response under the same header. Other scope types pass
    through untouched.
    """

    def __init__(self, app: ASGIApp, *, header: str = "x-request-id") -> None:
        self._app = app
        self._header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        trace_id = _extract_header(scope.get("headers") or [], self._header)
        if trace_id is None or not is_valid_trace_id(trace_id):
            trace_id = uuid.uuid4().hex
        encoded = trace_id.encode("ascii")
        header = self._header
        sent_header = False

        async def send_with_id(message: Message) -> None:
            nonlocal sent_header
            if message["type"] == "http.response.start" and not sent_header:
                sent_header = True
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != header]
                headers.append((header, encoded))
                message = {**message, "headers": headers}
            await send(message)

        token = set_trace_id(trace_id)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            reset_trace_id(token)


def is_valid_trace_id(value: str) -> bool:
    """Whether a client-sent id is used as it is (see :class:`TraceIdMiddleware`)."""
    return 0 < len(value) <= MAX_TRACE_ID_LENGTH and all(
        "!" <= char <= "~" and char not in "\"',;\\" for char in value
    )


def _extract_header(headers: Any, name: bytes) -> str | None:
    """The first ``name`` header's value (stripped), or ``None`` when absent or blank."""
    for key, value in headers:
        if key.lower() == name:
            text = value.decode("latin-1").strip()
            return text or None
    return None
