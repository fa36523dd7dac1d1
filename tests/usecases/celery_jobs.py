"""Jobs and use cases for the Celery tests, with Redis as the shared database.

The web side's unit of work stages the record numbers a use case saves and
adds them to the Redis set ``committed`` only when it commits; the jobs on
the worker record each run in the list ``runs``, saying whether their record
was committed when they ran. So a run that came before its commit, a run of
a rolled-back use case, or a second run of one job all show in Redis.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import redis

from loom.core.command import Command
from loom.core.job import Job, JobService
from loom.core.tracing import get_trace_id
from loom.core.uow.context import get_active_uow
from loom.core.use_case import Input, UseCase


class RecordCmd(Command):
    n: int


class Store:
    """A sync Redis client shared by the jobs of one process."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, decode_responses=True)

    def runs(self) -> list[dict[str, Any]]:
        return [json.loads(row) for row in self.client.lrange("runs", 0, -1)]


class StagingUnitOfWork:
    """Stages record numbers; ``commit`` makes them visible to every process at once."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.staged: list[int] = []

    async def begin(self) -> None:
        pass

    async def commit(self) -> None:
        if self.staged:
            self.store.client.sadd("committed", *self.staged)

    async def rollback(self) -> None:
        self.staged.clear()


class StagingUnitOfWorkFactory:
    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self) -> StagingUnitOfWork:
        return StagingUnitOfWork(self.store)


class RunRecorded(Job[int]):
    """Records its run, and whether the record that queued it was committed."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def execute(self, cmd: RecordCmd = Input()) -> int:
        committed = bool(self.store.client.sismember("committed", str(cmd.n)))
        row = {"job": "RunRecorded", "n": cmd.n, "committed": committed, "trace": get_trace_id()}
        self.store.client.rpush("runs", json.dumps(row))
        return cmd.n * 10


class AlwaysFails(Job[None]):
    """Fails every attempt; retried twice."""

    __retries__ = 2

    def __init__(self, store: Store) -> None:
        self.store = store

    def execute(self, n: int) -> None:
        self.store.client.rpush("attempts", str(n))
        raise RuntimeError(f"attempt at {n} failed")


class HeldJob(Job[int]):
    """Says it started, then waits while the key ``hold`` exists (at most a minute)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def execute(self, n: int) -> int:
        self.store.client.rpush("started", str(n))
        deadline = time.monotonic() + 60
        while self.store.client.exists("hold") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.store.client.rpush("runs", json.dumps({"job": "HeldJob", "n": n}))
        return n


class SaveAndQueue(UseCase[Any, int]):
    """Saves record ``n`` and queues :class:`RunRecorded` for it; ``fail`` rolls back."""

    def __init__(self, jobs: JobService, *, fail: bool = False) -> None:
        self.jobs = jobs
        self.fail = fail

    async def execute(self, cmd: RecordCmd = Input()) -> int:
        uow = get_active_uow()
        assert isinstance(uow, StagingUnitOfWork)
        uow.staged.append(cmd.n)
        self.jobs.dispatch(RunRecorded, payload={"n": cmd.n})
        if self.fail:
            raise ValueError(f"record {cmd.n} refused after queueing its job")
        return cmd.n


class FlakyJob(Job[int]):
    """Fails its first attempt at each ``n``, then succeeds (in one process: the memory worker)."""

    __retries__ = 1
    attempts: dict[int, int] = {}

    def execute(self, n: int) -> int:
        FlakyJob.attempts[n] = FlakyJob.attempts.get(n, 0) + 1
        if FlakyJob.attempts[n] == 1:
            raise ConnectionError(f"first attempt at {n} lost its connection")
        return n


class SlowJob(Job[str]):
    """Sleeps ``seconds``; its time limit is one second."""

    __timeout__ = 1

    async def execute(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"
