"""loom's Prometheus instruments: the adapter's series over many calls, in both
modes, and the kept labelled children behind them (``loom.prometheus._children``)."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter

from loom.core.errors import RuleViolations
from loom.prometheus import PrometheusMetricsAdapter
from loom.prometheus._children import KeptCounter, KeptHistogram
from tests.usecases.computes_rules import Register
from tests.usecases.params import EchoParams, Explode

VALID = {"name": " Ada ", "email": "ADA@EXAMPLE.COM", "age": 36}
TOO_YOUNG = {"name": "Ada", "email": "ada@example.com", "age": 12}


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    found = registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def test_every_call_counts_on_the_kept_children(
    make_executor: Any, execution_mode: str
) -> None:
    registry = CollectorRegistry()
    executor = make_executor(metrics=PrometheusMetricsAdapter(registry))
    for user_id in range(5):
        await executor.execute(EchoParams(), params={"user_id": user_id, "name": "n"})
    for _ in range(3):
        with pytest.raises(LookupError):
            await executor.execute(Explode(), params={"message": "gone"})
    for _ in range(2):
        with pytest.raises(RuleViolations):
            await executor.execute(Register(), payload=TOO_YOUNG)
    await executor.execute(Register(), payload=VALID)

    requests = "loom_usecase_requests_total"
    assert sample(registry, requests, usecase="EchoParams", status="success") == 5
    assert sample(registry, requests, usecase="Explode", status="failure") == 3
    assert sample(registry, requests, usecase="Register", status="rule_failure") == 2
    assert sample(registry, requests, usecase="Register", status="success") == 1
    assert sample(registry, "loom_usecase_duration_seconds_count", usecase="EchoParams") == 5
    errors = "loom_usecase_errors_total"
    assert sample(registry, errors, usecase="Explode", error_kind="LookupError") == 3
    assert sample(registry, errors, usecase="Register", error_kind="RuleViolations") == 2


def test_a_cleared_or_removed_child_is_never_updated_again() -> None:
    registry = CollectorRegistry()
    counter = KeptCounter("jobs", "Jobs.", ["job", "status"], registry=registry)
    counter.labels("a", "ok").inc()
    counter.labels("b", "ok").inc()
    counter.clear()
    counter.labels("a", "ok").inc()
    assert sample(registry, "jobs_total", job="a", status="ok") == 1
    assert sample(registry, "jobs_total", job="b", status="ok") == 0

    counter.remove("a", "ok")
    counter.labels("a", "ok").inc(2)
    assert sample(registry, "jobs_total", job="a", status="ok") == 2


def test_labels_answers_as_prometheus_client_does() -> None:
    registry = CollectorRegistry()
    counter = KeptCounter("calls", "Calls.", ["usecase", "status"], registry=registry)
    histogram = KeptHistogram("took", "Took.", ["usecase"], registry=registry)
    child = counter.labels("A", "success")
    assert counter.labels("A", "success") is child
    assert counter.labels(usecase="A", status="success") is child
    assert counter.labels("A", 200) is counter.labels("A", "200")  # values become strings
    with pytest.raises(ValueError, match="Incorrect label count"):
        counter.labels("A")
    with pytest.raises(ValueError, match="already has labels set"):
        child.labels("A", "success")
    histogram.labels("A").observe(0.25)
    assert sample(registry, "took_count", usecase="A") == 1
    assert isinstance(child, Counter)
