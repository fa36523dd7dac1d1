"""Events the compiler and executor report to a :class:`MetricsAdapter`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """What happened."""

    COMPILE_START = "compile_start"
    COMPILE_DONE = "compile_done"
    EXEC_START = "exec_start"
    EXEC_DONE = "exec_done"
    EXEC_ERROR = "exec_error"
    GENERATED_FALLBACK = "generated_fallback"
    """The interpreter runs a use case although generated code was asked for
    or exists: ``status`` is ``"stale"`` (generated code no longer matches),
    ``"interpreted"`` (the build left it to the interpreter, or no build can
    see it) or ``"unavailable"`` (the generated package cannot be imported);
    ``reason`` says exactly why."""


@dataclass(frozen=True, slots=True)
class RuntimeEvent:
    """One immutable event. ``use_case_name`` is the class's qualified name."""

    kind: EventKind
    use_case_name: str
    step_name: str | None = None
    duration_ms: float | None = None
    status: str | None = None
    error: BaseException | None = None
    trace_id: str | None = None
    reason: str | None = None
