"""Events the compiler and executor report to a :class:`MetricsAdapter`."""

from __future__ import annotations

from dataclasses import dataclass, fields
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


@dataclass(frozen=True, slots=True, init=False)
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

    def __init__(
        self,
        kind: EventKind,
        use_case_name: str,
        step_name: str | None = None,
        duration_ms: float | None = None,
        status: str | None = None,
        error: BaseException | None = None,
        trace_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        # The __init__ dataclass writes for a frozen class, but through the
        # slots' own descriptors instead of object.__setattr__: the executor
        # builds an event per call with a metrics adapter, and this halves it.
        _set_kind(self, kind)
        _set_use_case_name(self, use_case_name)
        _set_step_name(self, step_name)
        _set_duration_ms(self, duration_ms)
        _set_status(self, status)
        _set_error(self, error)
        _set_trace_id(self, trace_id)
        _set_reason(self, reason)


(
    _set_kind,
    _set_use_case_name,
    _set_step_name,
    _set_duration_ms,
    _set_status,
    _set_error,
    _set_trace_id,
    _set_reason,
) = (RuntimeEvent.__dict__[field.name].__set__ for field in fields(RuntimeEvent))
