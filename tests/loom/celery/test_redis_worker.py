"""Jobs queued on a real Redis broker, run by a real Celery worker process, in both modes.

The worker process interprets, or runs loomgen's executors strictly (a job
without a fresh generated executor stops it at startup), per
``execution_mode``. Every number checked comes from Redis, where the jobs
record their runs and the worker's metrics adapter its events.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import redis

from loom.celery.config import CeleryConfig, create_celery_app
from loom.celery.service import CeleryJobService
from loom.core.engine import RuntimeExecutor
from loom.core.tracing import set_trace_id
from tests.loom.celery.conftest import StartWorker
from tests.loom.celery.servers import wait_until
from tests.usecases.celery_jobs import (
    AlwaysFails,
    HeldJob,
    RunRecorded,
    SaveAndQueue,
    StagingUnitOfWorkFactory,
    Store,
)

MakeExecutor = Callable[..., RuntimeExecutor]


def web_service(redis_url: str) -> CeleryJobService:
    app = create_celery_app(
        CeleryConfig(broker_url=f"{redis_url}/0", result_backend=f"{redis_url}/1")
    )
    return CeleryJobService(app)


def events(store: Store, prefix: str = "job_") -> list[dict[str, Any]]:
    """The worker's events whose kind starts with ``prefix``, in order."""
    rows = [json.loads(row) for row in store.client.lrange("events", 0, -1)]
    return [row for row in rows if row["kind"].startswith(prefix)]


def broker_is_empty(redis_url: str) -> bool:
    client = redis.Redis.from_url(f"{redis_url}/0")
    try:
        return client.llen("default") == 0 and client.hlen("unacked") == 0
    finally:
        client.close()


async def save_and_queue(
    executor: RuntimeExecutor, service: CeleryJobService, n: int, fail: bool
) -> bool:
    set_trace_id(f"trace-{n}")
    try:
        await executor.execute(SaveAndQueue(service, fail=fail), payload={"n": n})
    except ValueError:
        return False
    return True


def test_a_thousand_jobs_from_concurrent_requests_run_once_each_after_their_commit(
    make_executor: MakeExecutor, store: Store, redis_url: str, start_worker: StartWorker
) -> None:
    worker = start_worker("w1")
    service = web_service(redis_url)
    executor = make_executor(uow_factory=StagingUnitOfWorkFactory(store))
    good = list(range(1000))
    rolled_back = list(range(5000, 5050))

    async def requests() -> list[bool]:
        calls = [save_and_queue(executor, service, n, False) for n in good]
        # The rolled-back requests are spread among the others.
        for i, n in enumerate(rolled_back):
            calls.insert(i * 20, save_and_queue(executor, service, n, True))
        outcomes: list[bool] = []
        for start in range(0, len(calls), 50):  # 50 requests in flight at a time
            outcomes += await asyncio.gather(*calls[start : start + 50])
        return outcomes

    outcomes = asyncio.run(requests())
    assert outcomes.count(True) == 1000 and outcomes.count(False) == 50

    wait_until(lambda: store.client.llen("runs") >= 1000, 240, "1,000 job runs")
    wait_until(lambda: broker_is_empty(redis_url), 30, "the broker queue to drain")
    runs = store.runs()
    assert len(runs) == 1000
    assert Counter(run["n"] for run in runs) == Counter(good)
    assert all(run["committed"] for run in runs), "a job ran before its record was committed"
    assert all(run["trace"] == f"trace-{run['n']}" for run in runs)
    assert not set(store.client.smembers("committed")) & {str(n) for n in rolled_back}
    kinds = Counter((e["name"], e["kind"]) for e in events(store))
    assert kinds[("RunRecorded", "job_started")] == 1000
    assert kinds[("RunRecorded", "job_succeeded")] == 1000
    assert kinds[("RunRecorded", "job_exhausted")] == 0
    executions = Counter((e["name"], e["kind"]) for e in events(store, "exec_"))
    assert executions == {("RunRecorded", "exec_start"): 1000, ("RunRecorded", "exec_done"): 1000}
    # The worker's log lines carry the trace id of the request that queued the job.
    assert "trace_id='trace-999'" in worker.output()


def test_a_failing_job_is_retried_per_its_settings_then_exhausted(
    store: Store, redis_url: str, start_worker: StartWorker
) -> None:
    start_worker("w1")
    service = web_service(redis_url)

    async def queue() -> None:
        set_trace_id("trace-fail")
        service.dispatch(AlwaysFails, params={"n": 7})
        from loom.core.job.context import flush_pending_dispatches

        await flush_pending_dispatches()

    asyncio.run(queue())
    wait_until(
        lambda: any(e["kind"] == "job_exhausted" for e in events(store)),
        60,
        "AlwaysFails to be exhausted",
    )
    wait_until(lambda: broker_is_empty(redis_url), 30, "the broker queue to drain")
    assert store.client.lrange("attempts", 0, -1) == ["7", "7", "7"]  # 1 run + 2 retries
    assert [e["kind"] for e in events(store)] == [
        "job_started",
        "job_retrying",
        "job_started",
        "job_retrying",
        "job_started",
        "job_exhausted",
    ]
    exhausted = events(store)[-1]
    assert exhausted["error"] == "RuntimeError: attempt at 7 failed"
    assert exhausted["trace"] == "trace-fail"


def test_a_payload_failing_validation_on_the_worker_is_exhausted_with_the_message(
    store: Store, redis_url: str, start_worker: StartWorker
) -> None:
    start_worker("w1")
    app = create_celery_app(CeleryConfig(broker_url=f"{redis_url}/0"))
    # As another sender (another version of the web app) could queue it.
    app.send_task("loom.job.RunRecorded", kwargs={"payload": {"n": "seven"}, "trace_id": "t-bad"})
    app.send_task("loom.job.RunRecorded", kwargs={"payload": {"n": 8}, "trace_id": "t-good"})
    wait_until(lambda: store.client.llen("runs") == 1, 60, "the valid job to run")
    wait_until(lambda: broker_is_empty(redis_url), 30, "the broker queue to drain")
    assert [(e["kind"], e["trace"]) for e in events(store)] == [
        ("job_started", "t-bad"),
        ("job_exhausted", "t-bad"),
        ("job_started", "t-good"),
        ("job_succeeded", "t-good"),
    ]
    error = events(store)[1]["error"]
    assert error.startswith("JobPayloadError: job RunRecorded: payload is not a valid RecordCmd")
    assert "n\n  Input should be a valid integer" in error
    assert store.runs()[0]["n"] == 8


def test_an_unknown_job_name_is_a_clear_error_on_the_worker(
    store: Store, redis_url: str, start_worker: StartWorker
) -> None:
    worker = start_worker("w1")
    app = create_celery_app(CeleryConfig(broker_url=f"{redis_url}/0"))
    app.send_task("loom.job.NoSuchJob", kwargs={"payload": {}})
    wait_until(lambda: events(store), 60, "the unknown job to be reported")
    [event] = events(store)
    assert (event["kind"], event["name"], event["status"]) == (
        "job_exhausted",
        "NoSuchJob",
        "unknown_job",
    )
    assert "this worker has no job named 'NoSuchJob'" in event["error"]
    assert "it runs: AlwaysFails, HeldJob, RunRecorded" in event["error"]
    wait_until(lambda: "[UNKNOWN]" in worker.output(), 10, "the worker to log the unknown job")


def test_a_worker_killed_mid_job_loses_nothing_it_had_received(
    store: Store, redis_url: str, start_worker: StartWorker
) -> None:
    first = start_worker("w1", visibility_timeout=3)
    service = web_service(redis_url)
    store.client.set("hold", "1")

    async def queue() -> None:
        from loom.core.job.context import flush_pending_dispatches

        for n in range(3):
            service.dispatch(HeldJob, params={"n": n})
        await flush_pending_dispatches()

    asyncio.run(queue())
    wait_until(lambda: store.client.lrange("started", 0, -1) == ["0"], 60, "job 0 to start")
    first.kill()  # mid-run: job 0 was received, never acknowledged
    store.client.delete("hold")
    start_worker("w2", visibility_timeout=3)
    wait_until(lambda: store.client.llen("runs") >= 3, 90, "every job to complete")
    wait_until(lambda: broker_is_empty(redis_url), 30, "the broker queue to drain")
    assert sorted(run["n"] for run in store.runs()) == [0, 1, 2]
    # Job 0 was given to the second worker (after the visibility timeout).
    assert Counter(store.client.lrange("started", 0, -1)) == {"0": 2, "1": 1, "2": 1}
