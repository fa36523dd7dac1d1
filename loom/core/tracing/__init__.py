"""The trace id of the current request (see :mod:`loom.core.tracing.context`)."""

from loom.core.tracing.context import (
    generate_trace_id,
    get_trace_id,
    reset_trace_id,
    set_trace_id,
)

__all__ = ["generate_trace_id", "get_trace_id", "reset_trace_id", "set_trace_id"]
