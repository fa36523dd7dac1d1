"""A Redis server per session (flushed for each test) and Celery worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.loom.celery.servers import ROOT, RedisServer, WorkerProcess
from tests.usecases.celery_jobs import Store


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The server's URL, every database emptied first."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def store(redis_url: str) -> Iterator[Store]:
    store = Store(f"{redis_url}/2")
    yield store
    store.client.close()


WORKER_CONFIG = """\
[celery]
broker_url = "${oc.env:LOOM_TEST_BROKER}"
result_backend = "${oc.env:LOOM_TEST_BACKEND}"
worker_prefetch_multiplier = 1
%(extra)s
"""

StartWorker = Callable[..., WorkerProcess]


@pytest.fixture
def start_worker(
    redis_url: str, execution_mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StartWorker]:
    """``start_worker(name, visibility_timeout=None, app=..., env={})`` -> a ready worker process.

    The worker runs generated executors (strictly) or interprets, as the
    test's ``execution_mode`` says. Every worker is stopped at the end.
    """
    pythonpath = [str(ROOT)]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOOM_", "PYTEST_", "COV_"))
    }
    if execution_mode == "generated":
        package = request.getfixturevalue("generated_package")
        import importlib

        location = Path(importlib.import_module(package).__file__ or "").parent.parent
        pythonpath.insert(0, str(location))
        env["LOOM_GENERATED"] = package
    env["LOOM_EXECUTION_MODE"] = execution_mode
    env["PYTHONPATH"] = os.pathsep.join(pythonpath)
    env["LOOM_TEST_REDIS_URL"] = f"{redis_url}/2"
    env["LOOM_TEST_BROKER"] = f"{redis_url}/0"
    env["LOOM_TEST_BACKEND"] = f"{redis_url}/1"
    started: list[WorkerProcess] = []

    def start(
        name: str,
        visibility_timeout: int | None = None,
        app: str = "tests.loom.celery.worker_app",
        **extra_env: str,
    ) -> WorkerProcess:
        extra = ""
        if visibility_timeout is not None:
            extra = (
                f"visibility_timeout = {visibility_timeout}\n"
                "[celery.broker_transport_options]\n"
                "unacked_restore_interval = 1\n"
                "unacked_restore_throttle = 1\n"
            )
        config = tmp_path / f"{name}.toml"
        config.write_text(WORKER_CONFIG % {"extra": extra})
        worker = WorkerProcess(
            tmp_path / f"{name}.log",
            {**env, "LOOM_TEST_WORKER_CONFIG": str(config), **extra_env},
            name,
            app=app,
        )
        started.append(worker)
        worker.start()
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(autouse=True)
def _interpreted_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """Executors built here without an explicit mode interpret.

    In ``auto`` mode an executor imports the repository's own ``generated``
    package, which would stay in ``sys.modules`` for the rest of the session
    (and shadow the ``generated`` package of other tests' throw-away projects).
    """
    monkeypatch.setenv("LOOM_EXECUTION_MODE", "interpreted")
