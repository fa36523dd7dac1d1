"""The Celery application the worker processes of the tests run.

``celery -A tests.loom.celery.worker_app worker`` with, in the environment,
``LOOM_TEST_WORKER_CONFIG`` (the worker configuration file the test wrote)
and ``LOOM_TEST_REDIS_URL`` (the Redis holding the jobs' records and the
events). Every event of the worker goes to the Redis list ``events`` as JSON.
"""

from __future__ import annotations

import json
import os
from typing import Any

from loom.celery import WorkerSetup, create_app
from loom.core.engine import RuntimeEvent
from tests.usecases.celery_jobs import AlwaysFails, HeldJob, RunRecorded, Store


class RedisEvents:
    """A metrics adapter that pushes every event to the Redis list ``events``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def on_event(self, event: RuntimeEvent) -> None:
        row = {
            "kind": event.kind.value,
            "name": event.use_case_name,
            "status": event.status,
            "error": (
                None if event.error is None else f"{type(event.error).__name__}: {event.error}"
            ),
            "trace": event.trace_id,
        }
        self.store.client.rpush("events", json.dumps(row))


store = Store(os.environ["LOOM_TEST_REDIS_URL"])


def wire(setup: WorkerSetup) -> None:
    def build(cls: type[Any]) -> Any:
        return cls(store)

    setup.factory = build


app = create_app(
    os.environ["LOOM_TEST_WORKER_CONFIG"],
    jobs=[RunRecorded, AlwaysFails, HeldJob],
    modules=[wire],
    # The benchmark (bench/jobs.py) measures the worker without an adapter.
    metrics=None if os.environ.get("LOOM_TEST_NO_EVENTS") else RedisEvents(store),
)


@app.task(name="bench.bare_record", shared=False)  # type: ignore[untyped-decorator]
def bare_record(payload: dict[str, Any]) -> int:
    """The work of RunRecorded as a bare Celery task: the benchmark's baseline."""
    n = int(payload["n"])
    committed = bool(store.client.sismember("committed", str(n)))
    row = {"job": "bare", "n": n, "committed": committed, "trace": None}
    store.client.rpush("runs", json.dumps(row))
    return n * 10
