"""Events the compiler and executor report to a :class:`MetricsAdapter`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """What happened.

    The members and values are loom-kernel 0.12.3's, so adapters written for
    it route events unchanged; ``GENERATED_FALLBACK`` is loom's own. The
    executor emits the compile and ``EXEC_*`` kinds; ``STEP_DONE`` and the
    ``JOB_*`` kinds are there for job runners and adapters that report them.
    """

    COMPILE_START = "compile_start"
    COMPILE_DONE = "compile_done"
    EXEC_START = "exec_start"
    STEP_DONE = "step_done"
    EXEC_DONE = "exec_done"
    EXEC_ERROR = "exec_error"
    JOB_DISPATCHED = "job_dispatched"
    JOB_STARTED = "job_started"
    JOB_SUCCEEDED = "job_succeeded"
    JOB_RETRYING = "job_retrying"
    JOB_EXHAUSTED = "job_exhausted"
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
