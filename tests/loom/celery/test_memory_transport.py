"""CeleryJobService and the worker runner on Celery's in-memory transport, both modes.

A worker runs in a thread of the test process (Celery's own test worker) on
the ``memory://`` broker with the ``cache+memory://`` result backend; what
the service publishes is captured with Celery's ``before_task_publish``
signal.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from loom.celery import CeleryJobService, WorkerSetup, bootstrap_worker, create_app
from loom.celery.bootstrap import WorkerBootstrapResult, WorkerConfigError, load_worker_config
from loom.celery.config import CeleryConfig, create_celery_app
from loom.core.engine import EventKind, RuntimeEvent, RuntimeExecutor
from loom.core.job import JobFailedError, JobHandle
from loom.core.job.context import flush_pending_dispatches
from loom.core.tracing import set_trace_id
from loom.prometheus import PrometheusMetricsAdapter
from tests.support import RecordingMetrics, RecordingUnitOfWorkFactory
from tests.usecases.celery_jobs import FlakyJob, SlowJob
from tests.usecases.jobs import (
    DispatchJobs,
    DoubleJob,
    FailingJob,
    GreetJob,
    RecordingCallback,
    RoutedJob,
)

MakeExecutor = Callable[..., RuntimeExecutor]
# A short polling interval lets the test worker stop at once (memory transport polls).
MEMORY = {
    "celery": {
        "broker_url": "memory://",
        "result_backend": "cache+memory://",
        "broker_transport_options": {"polling_interval": 0.05},
    }
}


class Published:
    """Every message published while it is connected: (task name, headers, properties)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def __call__(self, sender: str, headers: dict[str, Any], **kwargs: Any) -> None:
        self.messages.append({"task": sender, "headers": headers, **kwargs})

    @property
    def tasks(self) -> list[str]:
        return [message["task"] for message in self.messages]


@pytest.fixture
def published() -> Iterator[Published]:
    recorder = Published()
    before_task_publish.connect(recorder, weak=False)
    yield recorder
    before_task_publish.disconnect(recorder)


class Tee:
    """Forwards every event to each adapter."""

    def __init__(self, *adapters: Any) -> None:
        self.adapters = adapters

    def on_event(self, event: RuntimeEvent) -> None:
        for adapter in self.adapters:
            adapter.on_event(event)


class Worker:
    def __init__(
        self, result: WorkerBootstrapResult, metrics: RecordingMetrics, registry: CollectorRegistry
    ) -> None:
        self.result = result
        self.app = result.celery_app
        self.metrics = metrics
        self.registry = registry
        self.journal: list[tuple[str, ...]] = []


@pytest.fixture
def worker(execution_mode: str, request: pytest.FixtureRequest) -> Iterator[Worker]:
    """A worker thread running DoubleJob, GreetJob, FailingJob, RoutedJob, FlakyJob in this mode.

    Its events go to a recorder and to a Prometheus adapter on a registry of its own.
    """
    package = (
        request.getfixturevalue("generated_package") if execution_mode == "generated" else None
    )
    metrics = RecordingMetrics()
    registry = CollectorRegistry()
    journal: list[tuple[str, ...]] = []

    def wire(setup: WorkerSetup) -> None:
        setup.execution_mode = execution_mode
        setup.generated_package = package
        setup.factory = lambda cls: cls(journal) if cls is RecordingCallback else cls()

    result = bootstrap_worker(
        config=MEMORY,
        jobs=[DoubleJob, GreetJob, FailingJob, RoutedJob, FlakyJob, SlowJob],
        callbacks=[RecordingCallback],
        modules=[wire],
        metrics=Tee(metrics, PrometheusMetricsAdapter(registry)),
    )
    for job in result.jobs:
        assert result.executor.uses_generated(job) == (execution_mode == "generated")
    made = Worker(result, metrics, registry)
    made.journal = journal
    # The memory broker is one per process: drop what earlier tests left queued.
    with result.celery_app.connection_for_write() as connection:
        for queue in ("default", "heavy", "urgent"):
            connection.default_channel.queue_purge(queue)
    with start_worker(result.celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        yield made
    result.loop.close()


def run_use_case(executor: RuntimeExecutor, use_case: Any, **kwargs: Any) -> Any:
    return asyncio.run(executor.execute(use_case, **kwargs))


def test_jobs_are_sent_only_after_the_commit_and_never_on_rollback(
    make_executor: MakeExecutor, published: Published
) -> None:
    app = create_celery_app(CeleryConfig(broker_url="memory://"))
    service = CeleryJobService(app)
    uow = RecordingUnitOfWorkFactory()
    sent_at_commit: list[list[str]] = []

    class Watching(RecordingUnitOfWorkFactory):
        def create(self) -> Any:
            made = uow.create()
            original = made.commit

            async def commit() -> None:
                sent_at_commit.append(list(published.tasks))
                await original()

            made.commit = commit  # type: ignore[method-assign]
            return made

    executor = make_executor(uow_factory=Watching())
    handles = run_use_case(executor, DispatchJobs(service), params={"n": 3})
    assert sent_at_commit == [[]], "nothing may reach the broker before the commit"
    assert published.tasks == ["loom.job.DoubleJob", "loom.job.GreetJob", "loom.job.FailingJob"]
    assert [m["headers"]["id"] for m in published.messages] == [h.job_id for h in handles]
    with pytest.raises(ValueError, match="use case failed after dispatching"):
        run_use_case(executor, DispatchJobs(service, fail=True), params={"n": 4})
    assert len(published.messages) == 3, "a rolled-back use case sent a job"


def test_the_routing_class_variables_become_the_message_options(published: Published) -> None:
    app = create_celery_app(CeleryConfig(broker_url="memory://"))
    metrics = RecordingMetrics()
    service = CeleryJobService(app, metrics=metrics)

    async def dispatch() -> list[JobHandle[Any]]:
        set_trace_id("trace-routing")
        handles = [
            service.dispatch(RoutedJob, params={"n": 1}),
            service.dispatch(RoutedJob, params={"n": 2}, queue="urgent", priority=9, countdown=0),
            service.dispatch(DoubleJob, params={"n": 3}),
        ]
        await flush_pending_dispatches()
        return handles

    before = datetime.now(UTC)
    handles = asyncio.run(dispatch())
    routed, overridden, plain = published.messages
    assert [h.queue for h in handles] == ["heavy", "urgent", "default"]
    assert (routed["routing_key"], routed["properties"]["priority"]) == ("heavy", 3)
    eta = datetime.fromisoformat(routed["headers"]["eta"])
    assert 9 <= (eta - before).total_seconds() <= 60
    assert routed["headers"]["timelimit"] == [None, 600]
    assert routed["body"][1] == {"payload": {}, "params": {"n": 1}, "trace_id": "trace-routing"}
    assert (overridden["routing_key"], overridden["properties"]["priority"]) == ("urgent", 9)
    assert overridden["headers"]["eta"] is None
    assert (plain["routing_key"], plain["headers"]["eta"]) == ("default", None)
    assert plain["headers"]["timelimit"] == [None, None]
    assert [(e.kind, e.use_case_name) for e in metrics.events] == [
        (EventKind.JOB_DISPATCHED, "RoutedJob"),
        (EventKind.JOB_DISPATCHED, "RoutedJob"),
        (EventKind.JOB_DISPATCHED, "DoubleJob"),
    ]
    assert {e.trace_id for e in metrics.events} == {"trace-routing"}


def test_dispatch_refuses_what_is_not_a_job() -> None:
    service = CeleryJobService(create_celery_app(CeleryConfig(broker_url="memory://")))
    with pytest.raises(TypeError, match="dispatch\\(\\) takes a Job subclass"):
        service.dispatch(RecordingCallback)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payload must be a dict, not list"):
        service.dispatch(GreetJob, payload=[1, 2])  # type: ignore[arg-type]


def test_a_worker_runs_the_jobs_and_handles_return_their_results(worker: Worker) -> None:
    service = CeleryJobService(worker.app)

    async def dispatch() -> tuple[JobHandle[Any], ...]:
        set_trace_id("trace-run")
        handles = (
            service.dispatch(DoubleJob, params={"n": 21}),
            service.dispatch(GreetJob, payload={"name": "  Ada ", "email": "ada@example.com"}),
        )
        group = service.dispatch_parallel([(GreetJob, {"name": "Bob", "email": "b@example.com"})])
        await flush_pending_dispatches()
        return (*handles, *group.handles)

    double, greet, grouped = asyncio.run(dispatch())
    assert double.wait(timeout=30) == 42
    assert greet.wait(timeout=30) == "hello Ada"
    assert grouped.wait(timeout=30) == "hello Bob"
    jobs = [e for e in worker.metrics.events if e.kind.name.startswith("JOB_")]
    assert [(e.kind, e.use_case_name) for e in jobs] == [
        (EventKind.JOB_STARTED, "DoubleJob"),
        (EventKind.JOB_SUCCEEDED, "DoubleJob"),
        (EventKind.JOB_STARTED, "GreetJob"),
        (EventKind.JOB_SUCCEEDED, "GreetJob"),
        (EventKind.JOB_STARTED, "GreetJob"),
        (EventKind.JOB_SUCCEEDED, "GreetJob"),
    ]
    assert {e.trace_id for e in jobs} == {"trace-run"}
    executions = [e for e in worker.metrics.events if e.kind is EventKind.EXEC_DONE]
    assert [e.trace_id for e in executions] == ["trace-run"] * 3


def test_callbacks_hear_of_success_and_of_failure(worker: Worker) -> None:
    service = CeleryJobService(worker.app)

    async def dispatch() -> tuple[JobHandle[Any], JobHandle[Any]]:
        ok = service.dispatch(DoubleJob, params={"n": 5}, on_success=RecordingCallback)
        bad = service.dispatch(FailingJob, params={"n": 6}, on_failure=RecordingCallback)
        await flush_pending_dispatches()
        return ok, bad

    ok, bad = asyncio.run(dispatch())
    assert ok.wait(timeout=30) == 10
    with pytest.raises(JobFailedError, match="job refused 6"):
        bad.wait(timeout=30)
    # The callbacks are tasks of their own, run after the job's.
    import time

    deadline = time.monotonic() + 30
    while len(worker.journal) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sorted(worker.journal) == [
        ("failure", bad.job_id, "ValueError", "job refused 6"),
        ("success", ok.job_id, "10"),
    ]
    [exhausted] = [e for e in worker.metrics.events if e.kind is EventKind.JOB_EXHAUSTED]
    assert exhausted.use_case_name == "FailingJob" and str(exhausted.error) == "job refused 6"


def test_a_job_over_its_time_limit_fails(worker: Worker) -> None:
    service = CeleryJobService(worker.app)

    async def dispatch() -> tuple[JobHandle[Any], JobHandle[Any]]:
        handles = (
            service.dispatch(SlowJob, params={"seconds": 0.01}),
            service.dispatch(SlowJob, params={"seconds": 30}),
        )
        await flush_pending_dispatches()
        return handles

    quick, slow = asyncio.run(dispatch())
    assert quick.wait(timeout=30) == "done"
    with pytest.raises(JobFailedError, match="job SlowJob ran over its time limit of 1s"):
        slow.wait(timeout=30)
    [exhausted] = worker.metrics.of_kind(EventKind.JOB_EXHAUSTED)
    assert type(exhausted.error).__name__ == "JobTimeLimitError"


def test_an_error_celery_cannot_rebuild_reaches_the_caller_readable(worker: Worker) -> None:
    # RuleViolations takes a list of violations, not its message: Celery's
    # result backend could not rebuild it, so the worker sends a JobError.
    result = worker.app.send_task("loom.job.GreetJob", kwargs={"payload": {"email": "a@b.c"}})
    with pytest.raises(Exception, match="^RuleViolations: name: is required$") as caught:
        result.get(timeout=30)
    assert type(caught.value).__name__ == "JobError"
    [exhausted] = worker.metrics.of_kind(EventKind.JOB_EXHAUSTED)
    assert type(exhausted.error).__name__ == "RuleViolations"


def test_an_invalid_payload_is_exhausted_at_once_with_the_validation_message(
    worker: Worker,
) -> None:
    result = worker.app.send_task("loom.job.GreetJob", kwargs={"payload": {"name": "x"}})
    with pytest.raises(Exception, match="payload is not a valid Signup"):
        result.get(timeout=30)
    missing = worker.app.send_task("loom.job.DoubleJob", kwargs={"params": {}})
    with pytest.raises(Exception, match="job DoubleJob: missing required parameter\\(s\\) n"):
        missing.get(timeout=30)
    kinds = [e.kind for e in worker.metrics.events if e.kind.name.startswith("JOB_")]
    assert kinds == [EventKind.JOB_STARTED, EventKind.JOB_EXHAUSTED] * 2
    error = worker.metrics.of_kind(EventKind.JOB_EXHAUSTED)[0].error
    assert "email\n  Field required" in str(error)


def test_eager_mode_runs_the_job_in_the_caller_after_the_commit(
    make_executor: MakeExecutor, execution_mode: str, request: pytest.FixtureRequest
) -> None:
    package = (
        request.getfixturevalue("generated_package") if execution_mode == "generated" else None
    )

    journal: list[tuple[str, ...]] = []

    def wire(setup: WorkerSetup) -> None:
        setup.execution_mode = execution_mode
        setup.generated_package = package
        setup.factory = lambda cls: cls(journal) if cls is RecordingCallback else cls()

    result = bootstrap_worker(
        config={"celery": {**MEMORY["celery"], "task_always_eager": True}},
        jobs=[DoubleJob, GreetJob, FailingJob],
        callbacks=[RecordingCallback],
        modules=[wire],
    )
    try:
        service = CeleryJobService(result.celery_app)
        uow = RecordingUnitOfWorkFactory()
        handles = run_use_case(
            make_executor(uow_factory=uow), DispatchJobs(service), params={"n": 2}
        )
        assert handles[0].wait() == 4
        assert handles[1].wait() == "hello user 2"
        with pytest.raises(JobFailedError, match="job refused 2"):
            handles[2].wait()
        assert journal == [("failure", handles[2].job_id, "ValueError", "job refused 2")]
    finally:
        result.loop.close()


def test_run_executes_in_this_process(make_executor: MakeExecutor) -> None:
    app = create_celery_app(CeleryConfig(broker_url="memory://"))
    service = CeleryJobService(app, executor=make_executor())
    assert asyncio.run(service.run(DoubleJob, params={"n": 4})) == 8
    with pytest.raises(NotImplementedError, match="needs the executor"):
        asyncio.run(CeleryJobService(app).run(DoubleJob, params={"n": 4}))
    with pytest.raises(NotImplementedError, match="group callbacks need chords"):
        CeleryJobService(app).dispatch_parallel([], on_all_success=RecordingCallback)


# -- configuration --------------------------------------------------------------------


def test_create_celery_app_acknowledges_late_and_checks_the_default_queue() -> None:
    app = create_celery_app(CeleryConfig(broker_url="memory://", visibility_timeout=30))
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.broker_transport_options == {"visibility_timeout": 30}
    with pytest.raises(ValueError, match="task_default_queue='default' is not one of"):
        create_celery_app(CeleryConfig(broker_url="memory://", queues=["email"]))


CONFIG_FILES = {
    ".yaml": (
        "celery:\n  broker_url: ${oc.env:LOOM_TEST_BROKER_URL}\n  worker_concurrency: 2\n",
        "celery:\n  worker_concurrency: 8\njobs:\n  RoutedJob:\n    retries: 1\n",
    ),
    ".toml": (
        '[celery]\nbroker_url = "${oc.env:LOOM_TEST_BROKER_URL}"\nworker_concurrency = 2\n',
        "[celery]\nworker_concurrency = 8\n[jobs.RoutedJob]\nretries = 1\n",
    ),
    ".json": (
        '{"celery": {"broker_url": "${oc.env:LOOM_TEST_BROKER_URL}", "worker_concurrency": 2}}',
        '{"celery": {"worker_concurrency": 8}, "jobs": {"RoutedJob": {"retries": 1}}}',
    ),
}


@pytest.mark.parametrize("suffix", sorted(CONFIG_FILES))
def test_worker_configuration_files_merge_and_read_the_environment(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOM_TEST_BROKER_URL", "memory://")
    paths = []
    for name, text in zip(("base", "override"), CONFIG_FILES[suffix]):
        path = tmp_path / f"{name}{suffix}"
        path.write_text(text)
        paths.append(str(path))
    assert load_worker_config(*paths) == {
        "celery": {"broker_url": "memory://", "worker_concurrency": 8},
        "jobs": {"RoutedJob": {"retries": 1}},
    }


def test_bootstrap_applies_job_overrides_and_declares_the_job_queues(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("__retries__", "__queue__"):
        monkeypatch.setattr(RoutedJob, name, getattr(RoutedJob, name))
    result = bootstrap_worker(
        config={**MEMORY, "jobs": {"RoutedJob": {"retries": 1, "queue": "slow"}}},
        jobs=[DoubleJob, RoutedJob],
    )
    result.loop.close()
    assert (RoutedJob.__retries__, RoutedJob.__queue__) == (1, "slow")
    assert [q.name for q in result.celery_app.conf.task_queues] == ["default", "slow"]
    assert {"loom.job.DoubleJob", "loom.job.RoutedJob"} <= set(result.celery_app.tasks)


def test_bootstrap_errors_name_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(WorkerConfigError, match="no 'celery' section"):
        bootstrap_worker(config={}, jobs=[DoubleJob])
    with pytest.raises(WorkerConfigError, match="no job for this worker"):
        bootstrap_worker(config=MEMORY)
    with pytest.raises(WorkerConfigError, match="section 'jobs': no job named Nope"):
        bootstrap_worker(config={**MEMORY, "jobs": {"Nope": {}}}, jobs=[DoubleJob])
    with pytest.raises(WorkerConfigError, match="(?s)section .celery.*worker_concurency"):
        bootstrap_worker(
            config={"celery": {"broker_url": "memory://", "worker_concurency": 1}}, jobs=[DoubleJob]
        )
    with pytest.raises(WorkerConfigError, match="environment variable LOOM_NOT_SET is not set"):
        path = tmp_path / "w.json"
        path.write_text(json.dumps({"celery": {"broker_url": "${oc.env:LOOM_NOT_SET}"}}))
        bootstrap_worker(str(path), jobs=[DoubleJob])
    with pytest.raises(WorkerConfigError, match="does not exist"):
        bootstrap_worker(str(tmp_path / "missing.yaml"), jobs=[DoubleJob])


def test_discovery_finds_the_jobs_and_callbacks_of_the_named_modules() -> None:
    result = bootstrap_worker(
        config={
            **MEMORY,
            "app": {"discovery": {"modules": {"include": ["tests.usecases.jobs"]}}},
        }
    )
    result.loop.close()
    names = {job.__name__ for job in result.jobs}
    assert {"DoubleJob", "GreetJob", "NotifyUserJob", "RoutedJob", "FailingJob"} <= names
    assert result.callbacks == (RecordingCallback,)
    assert "loom.callback_error.RecordingCallback" in result.celery_app.tasks


def test_create_app_returns_the_bootstrapped_celery_app(tmp_path: Path) -> None:
    path = tmp_path / "worker.toml"
    path.write_text('[celery]\nbroker_url = "memory://"\n')
    app = create_app(str(path), jobs=[DoubleJob])
    assert "loom.job.DoubleJob" in app.tasks


def scrape(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The registry's exposition, read back with prometheus_client's own parser."""
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_prometheus_counts_the_job_events_of_web_process_and_worker(worker: Worker) -> None:
    FlakyJob.attempts.clear()
    service = CeleryJobService(worker.app, metrics=PrometheusMetricsAdapter(worker.registry))

    async def dispatch() -> list[JobHandle[Any]]:
        handles = [
            service.dispatch(DoubleJob, params={"n": 1}),
            service.dispatch(FlakyJob, params={"n": 2}),
            service.dispatch(FailingJob, params={"n": 3}),
            service.dispatch(GreetJob, payload={"name": "no email"}),
        ]
        await flush_pending_dispatches()
        return handles

    double, flaky, failing, invalid = asyncio.run(dispatch())
    assert double.wait(timeout=30) == 2
    assert flaky.wait(timeout=30) == 2  # after one retry
    for handle in (failing, invalid):
        with pytest.raises(JobFailedError):
            handle.wait(timeout=30)
    samples = scrape(worker.registry)

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    for job in ("DoubleJob", "FlakyJob", "FailingJob", "GreetJob"):
        assert value("loom_job_dispatched_total", job=job) == 1
    assert value("loom_job_started_total", job="FlakyJob") == 2
    assert value("loom_job_succeeded_total", job="DoubleJob") == 1
    assert value("loom_job_succeeded_total", job="FlakyJob") == 1
    assert value("loom_job_duration_seconds_count", job="FlakyJob") == 1
    assert value("loom_job_retried_total", job="FlakyJob", error_kind="ConnectionError") == 1
    assert value("loom_job_exhausted_total", job="FailingJob", error_kind="ValueError") == 1
    assert value("loom_job_exhausted_total", job="GreetJob", error_kind="JobPayloadError") == 1
    # The job's own execution is a use case execution too.
    assert value("loom_usecase_requests_total", usecase="DoubleJob", status="success") == 1
