"""Jobs on Celery (``make bench`` part 4): a real Redis and one real worker process.

- Throughput: ``JOBS`` ``RunRecorded`` jobs are queued, then one worker
  process (solo pool, concurrency 1, no metrics adapter) is started and
  timed from the moment it says it is ready until the last job has recorded
  its run in Redis; once running loomgen's executors (strict generated mode),
  once interpreting, and, as the baseline, the same Redis writes as a bare
  Celery task (no loom: no validation, no executor, no event loop hop).
- Enqueue cost on the request path: the same use case (stage a record,
  dispatch one job, commit) timed per request with ``CeleryJobService``
  (the ``send_task`` to Redis happens after the commit, inside the request)
  and with a job service that queues nothing; the difference is what queueing
  one job costs a request. ``dispatch()`` itself (before the commit) is
  timed alone too.

Needs ``redis-server`` (``apt-get install redis-server``); skipped with a line
when it is absent.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
JOBS = 3_000
REQUESTS = 3_000
PACKAGE = "loom_bench_jobs_generated"


@dataclass
class Figures:
    jobs: int
    jobs_per_second: dict[str, float]
    requests: int
    request_with_job_us: float
    request_without_job_us: float
    dispatch_us: float

    @property
    def enqueue_us(self) -> float:
        return self.request_with_job_us - self.request_without_job_us


class _NoJobs:
    """A job service that queues nothing (the baseline of the request timing)."""

    def dispatch(self, job_type: Any, **kwargs: Any) -> Any:
        return None


def _build_generated(folder: Path) -> Path:
    from loomgen.build import build_package

    output = folder / PACKAGE
    result = build_package([ROOT / "tests" / "usecases"], output, root=ROOT)
    problems = [str(d) for d in result.diagnostics]
    if problems:
        raise RuntimeError("loomgen reported problems:\n" + "\n".join(problems))
    return folder


def _worker_env(redis_url: str, mode: str, generated_parent: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOM_")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(generated_parent), str(ROOT)]),
        LOOM_EXECUTION_MODE=mode,
        LOOM_GENERATED=PACKAGE,
        LOOM_TEST_REDIS_URL=f"{redis_url}/2",
        LOOM_TEST_BROKER=f"{redis_url}/0",
        LOOM_TEST_BACKEND=f"{redis_url}/1",
        LOOM_TEST_WORKER_CONFIG=str(config),
        LOOM_TEST_NO_EVENTS="1",
    )
    return env


def _throughput(
    redis_url: str, mode: str, folder: Path, generated_parent: Path, task: str
) -> float:
    import redis

    from loom.celery.config import CeleryConfig, create_celery_app
    from tests.loom.celery.servers import WorkerProcess, wait_until

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    app = create_celery_app(CeleryConfig(broker_url=f"{redis_url}/0"))
    with app.producer_or_acquire() as producer:
        for n in range(JOBS):
            app.send_task(task, kwargs={"payload": {"n": n}}, producer=producer)
    config = folder / "worker.toml"
    config.write_text(
        '[celery]\nbroker_url = "${oc.env:LOOM_TEST_BROKER}"\nworker_prefetch_multiplier = 4\n'
    )
    store = redis.Redis.from_url(f"{redis_url}/2")
    worker = WorkerProcess(
        folder / f"worker-{mode}.log",
        _worker_env(redis_url, mode, generated_parent, config),
        f"bench-{mode}",
    )
    worker.start()
    try:
        started = time.perf_counter()
        wait_until(lambda: store.llen("runs") >= JOBS, 600, f"{JOBS} jobs", interval=0.005)
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
        store.close()
        client.close()
    return JOBS / elapsed


def _request_costs(redis_url: str) -> tuple[float, float, float]:
    from loom.celery.config import CeleryConfig, create_celery_app
    from loom.celery.service import CeleryJobService
    from loom.core.engine import RuntimeExecutor, UseCaseCompiler
    from loom.core.job.context import clear_pending_dispatches
    from tests.usecases.celery_jobs import (
        RunRecorded,
        SaveAndQueue,
        StagingUnitOfWorkFactory,
        Store,
    )

    store = Store(f"{redis_url}/2")
    service = CeleryJobService(create_celery_app(CeleryConfig(broker_url=f"{redis_url}/0")))
    executor = RuntimeExecutor(
        UseCaseCompiler(),
        uow_factory=StagingUnitOfWorkFactory(store),
        execution_mode="interpreted",
    )

    async def requests(jobs: Any, count: int) -> float:
        use_case = SaveAndQueue(jobs)
        samples = []
        for n in range(count):
            t0 = time.perf_counter()
            await executor.execute(use_case, payload={"n": n})
            samples.append(time.perf_counter() - t0)
        return median(samples) * 1e6

    async def dispatches(count: int) -> float:
        samples = []
        for n in range(count):
            t0 = time.perf_counter()
            service.dispatch(RunRecorded, payload={"n": n})
            samples.append(time.perf_counter() - t0)
            clear_pending_dispatches()
        return median(samples) * 1e6

    async def measure() -> tuple[float, float, float]:
        await requests(service, 200)  # warm-up: connections, plans
        with_job, without_job = [], []
        for _ in range(3):  # interleaved
            with_job.append(await requests(service, REQUESTS // 3))
            without_job.append(await requests(_NoJobs(), REQUESTS // 3))
        return median(with_job), median(without_job), await dispatches(REQUESTS)

    try:
        return asyncio.run(measure())
    finally:
        store.client.close()


def measure() -> Figures | None:
    """Run the measurements; ``None`` (after saying why) without ``redis-server``."""
    if shutil.which("redis-server") is None:
        print("  skipped: redis-server is not installed (apt-get install redis-server)")
        return None
    from tests.loom.celery.servers import RedisServer

    with tempfile.TemporaryDirectory(prefix="loom-bench-jobs-") as tmp:
        folder = Path(tmp)
        generated_parent = _build_generated(folder / "gen")
        server = RedisServer(folder / "redis")
        server.start()
        try:
            rates = {
                mode: _throughput(
                    server.url, mode, folder, generated_parent, "loom.job.RunRecorded"
                )
                for mode in ("generated", "interpreted")
            }
            rates["bare Celery task"] = _throughput(
                server.url, "interpreted", folder, generated_parent, "bench.bare_record"
            )
            with_job, without_job, dispatch = _request_costs(server.url)
        finally:
            server.stop()
    return Figures(JOBS, rates, REQUESTS, with_job, without_job, dispatch)


def report(figures: Figures | None) -> None:
    if figures is None:
        return
    for mode, rate in figures.jobs_per_second.items():
        print(
            f"  one worker (solo pool, 1 process), {mode:<16}: {rate:8.0f} jobs/s"
            f" ({figures.jobs:,} RunRecorded jobs, each a Redis SISMEMBER + RPUSH)"
        )
    print(
        f"  request path, median of {figures.requests:,} requests: with one job queued"
        f" {figures.request_with_job_us:.0f} us, without {figures.request_without_job_us:.0f} us:"
        f" enqueue cost {figures.enqueue_us:.0f} us per job (send_task to Redis after the commit);"
        f" dispatch() alone {figures.dispatch_us:.1f} us"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"  (measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load:.1f} on"
        f" {os.cpu_count()} CPUs: Redis round trips and Celery's own per-task work dominate"
        " both figures, so they follow the machine's load)"
    )


if __name__ == "__main__":
    report(measure())
