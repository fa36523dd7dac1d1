"""The trace id of the current request, carried in a context variable.

Each asyncio task sees its own value: ``asyncio.gather`` copies the context
into every child task, so concurrent requests never see each other's id.
The transport that receives a request sets it (and resets it with the token
when the request ends); any layer may read it.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar, Token

_trace_id: ContextVar[str | None] = ContextVar("loom_trace_id", default=None)

get_trace_id = _trace_id.get
"""Return the trace id of the current context, or ``None``."""


def set_trace_id(trace_id: str | None) -> Token[str | None]:
    """Set the trace id for the current context; keep the token to undo it."""
    return _trace_id.set(trace_id)


def reset_trace_id(token: Token[str | None]) -> None:
    """Restore the trace id that was current before ``set_trace_id``."""
    _trace_id.reset(token)


def generate_trace_id() -> str:
    """A new random trace id: 32 lowercase hexadecimal digits (a UUID4 without dashes)."""
    return uuid.uuid4().hex


__all__ = ["generate_trace_id", "get_trace_id", "reset_trace_id", "set_trace_id"]
