"""The executor's events as Prometheus metrics."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from loom.core.engine.events import EventKind, RuntimeEvent
from loom.prometheus._registry import instruments_for


@dataclass(frozen=True, slots=True)
class _UseCaseInstruments:
    requests: Counter
    duration: Histogram
    errors: Counter
    fallbacks: Counter


def _make(registry: CollectorRegistry) -> _UseCaseInstruments:
    return _UseCaseInstruments(
        requests=Counter(
            "loom_usecase_requests",
            "Use case executions, by use case and outcome.",
            ["usecase", "status"],
            registry=registry,
        ),
        duration=Histogram(
            "loom_usecase_duration_seconds",
            "Duration of successful use case executions, in seconds.",
            ["usecase"],
            registry=registry,
        ),
        errors=Counter(
            "loom_usecase_errors",
            "Failed use case executions, by use case and exception class.",
            ["usecase", "error_kind"],
            registry=registry,
        ),
        fallbacks=Counter(
            "loom_generated_fallback",
            "Use cases the interpreter runs although generated code was expected,"
            " by use case and status (stale, interpreted, unavailable).",
            ["usecase", "status"],
            registry=registry,
        ),
    )


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
    ==========================================  ===================================

    The first three are loom-kernel's names and labels, so its dashboards keep
    working. Other events are ignored. ``registry`` defaults to
    ``prometheus_client``'s global registry; adapters on the same registry
    share their instruments.
    """

    __slots__ = ("_instruments",)

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
            error_kind = "unknown" if event.error is None else type(event.error).__name__
            instruments.errors.labels(name, error_kind).inc()
        elif kind is EventKind.GENERATED_FALLBACK:
            instruments.fallbacks.labels(event.use_case_name, event.status or "unknown").inc()
