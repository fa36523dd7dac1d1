"""The executor's events as Prometheus metrics."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from loom.core.engine.events import EventKind, RuntimeEvent
from loom.prometheus._children import KeptCounter, KeptHistogram
from loom.prometheus._registry import instruments_for


@dataclass(frozen=True, slots=True)
class _UseCaseInstruments:
    requests: Counter
    duration: Histogram
    errors: Counter
    fallbacks: Counter
    jobs_dispatched: Counter
    jobs_started: Counter
    jobs_succeeded: Counter
    jobs_retried: Counter
    jobs_exhausted: Counter
    job_duration: Histogram


def _make(registry: CollectorRegistry) -> _UseCaseInstruments:
    return _UseCaseInstruments(
        requests=KeptCounter(
            "loom_usecase_requests",
            "Use case executions, by use case and outcome.",
            ["usecase", "status"],
            registry=registry,
        ),
        duration=KeptHistogram(
            "loom_usecase_duration_seconds",
            "Duration of successful use case executions, in seconds.",
            ["usecase"],
            registry=registry,
        ),
        errors=KeptCounter(
            "loom_usecase_errors",
            "Failed use case executions, by use case and exception class.",
            ["usecase", "error_kind"],
            registry=registry,
        ),
        fallbacks=KeptCounter(
            "loom_generated_fallback",
            "Use cases the interpreter runs although generated code was expected,"
            " by use case and status (stale, interpreted, unavailable).",
            ["usecase", "status"],
            registry=registry,
        ),
        jobs_dispatched=KeptCounter(
            "loom_job_dispatched",
            "Jobs queued by a job service (sent once their unit of work commits), by job.",
            ["job"],
            registry=registry,
        ),
        jobs_started=KeptCounter(
            "loom_job_started",
            "Job runs started on a worker (first runs and retries), by job.",
            ["job"],
            registry=registry,
        ),
        jobs_succeeded=KeptCounter(
            "loom_job_succeeded",
            "Job runs that succeeded, by job.",
            ["job"],
            registry=registry,
        ),
        jobs_retried=KeptCounter(
            "loom_job_retried",
            "Failed job runs that will be retried, by job and exception class.",
            ["job", "error_kind"],
            registry=registry,
        ),
        jobs_exhausted=KeptCounter(
            "loom_job_exhausted",
            "Jobs that failed for good (retries used up, invalid payload, unknown job),"
            " by job and exception class.",
            ["job", "error_kind"],
            registry=registry,
        ),
        job_duration=KeptHistogram(
            "loom_job_duration_seconds",
            "Duration of successful job runs on a worker, in seconds.",
            ["job"],
            registry=registry,
        ),
    )


def _error_kind(event: RuntimeEvent) -> str:
    return "unknown" if event.error is None else type(event.error).__name__


class PrometheusMetricsAdapter:
    """A :class:`~loom.core.engine.MetricsAdapter` writing to Prometheus instruments.

    ==========================================  ===================================
    series                                      updated on
    ==========================================  ===================================
    ``loom_usecase_requests_total``             ``EXEC_DONE`` (``status`` from the
    ``{usecase,status}``                        event, ``success`` when unset) and
                                                ``EXEC_ERROR`` (``failure`` when unset)
    ``loom_usecase_duration_seconds``           ``EXEC_DONE`` carrying a duration
    ``{usecase}``
    ``loom_usecase_errors_total``               ``EXEC_ERROR``: the exception's class
    ``{usecase,error_kind}``                    name (``unknown`` without one)
    ``loom_generated_fallback_total``           ``GENERATED_FALLBACK``: a use case
    ``{usecase,status}``                        left to the interpreter
    ``loom_job_dispatched_total{job}``          ``JOB_DISPATCHED`` (web process)
    ``loom_job_started_total{job}``             ``JOB_STARTED`` (worker; retries too)
    ``loom_job_succeeded_total{job}``           ``JOB_SUCCEEDED``
    ``loom_job_duration_seconds{job}``          ``JOB_SUCCEEDED`` carrying a duration
    ``loom_job_retried_total``                  ``JOB_RETRYING``: the exception's class
    ``{job,error_kind}``                        name
    ``loom_job_exhausted_total``                ``JOB_EXHAUSTED``: the exception's
    ``{job,error_kind}``                        class name (``UnknownJobError`` for
                                                a job the worker does not know)
    ==========================================  ===================================

    The first three are loom-kernel's names and labels, so its dashboards keep
    working; the ``loom_job_*`` families are loom's own (loom-kernel's adapter
    counts no job events). Other events are ignored. ``registry`` defaults to
    ``prometheus_client``'s global registry; adapters on the same registry
    share their instruments.
    """

    __slots__ = ("_instruments",)

    event_kinds = frozenset(
        {
            EventKind.EXEC_DONE,
            EventKind.EXEC_ERROR,
            EventKind.GENERATED_FALLBACK,
            EventKind.JOB_DISPATCHED,
            EventKind.JOB_STARTED,
            EventKind.JOB_SUCCEEDED,
            EventKind.JOB_RETRYING,
            EventKind.JOB_EXHAUSTED,
        }
    )
    """The kinds :meth:`on_event` acts on (see :class:`~loom.core.engine.MetricsAdapter`)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._instruments = instruments_for("usecase", registry, _make)

    def on_event(self, event: RuntimeEvent) -> None:
        kind = event.kind
        instruments = self._instruments
        if kind is EventKind.EXEC_DONE:
            instruments.requests.labels(event.use_case_name, event.status or "success").inc()
            if event.duration_ms is not None:
                instruments.duration.labels(event.use_case_name).observe(event.duration_ms / 1000)
        elif kind is EventKind.EXEC_ERROR:
            name = event.use_case_name
            instruments.requests.labels(name, event.status or "failure").inc()
            instruments.errors.labels(name, _error_kind(event)).inc()
        elif kind is EventKind.GENERATED_FALLBACK:
            instruments.fallbacks.labels(event.use_case_name, event.status or "unknown").inc()
        elif kind is EventKind.JOB_DISPATCHED:
            instruments.jobs_dispatched.labels(event.use_case_name).inc()
        elif kind is EventKind.JOB_STARTED:
            instruments.jobs_started.labels(event.use_case_name).inc()
        elif kind is EventKind.JOB_SUCCEEDED:
            instruments.jobs_succeeded.labels(event.use_case_name).inc()
            if event.duration_ms is not None:
                instruments.job_duration.labels(event.use_case_name).observe(
                    event.duration_ms / 1000
                )
        elif kind is EventKind.JOB_RETRYING:
            instruments.jobs_retried.labels(event.use_case_name, _error_kind(event)).inc()
        elif kind is EventKind.JOB_EXHAUSTED:
            instruments.jobs_exhausted.labels(event.use_case_name, _error_kind(event)).inc()
