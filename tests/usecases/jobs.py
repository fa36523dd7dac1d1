"""Jobs: same shape as use cases, usually with a plain ``def execute``."""

from __future__ import annotations

from typing import Any

from loom.core.job import Job, JobHandle, JobService
from loom.core.use_case import Input, LoadById, UseCase
from tests.usecases.computes_rules import name_required, strip_name
from tests.usecases.domain import Signup, User


class DoubleJob(Job[int]):
    def execute(self, n: int) -> int:
        return n * 2


class GreetJob(Job[str]):
    computes = [strip_name]
    rules = [name_required]

    def execute(self, cmd: Signup = Input()) -> str:
        return f"hello {cmd.name}"


class NotifyUserJob(Job[str]):
    async def execute(self, user_id: int, user: User = LoadById(User, by="user_id")) -> str:
        return f"notified {user.email}"


class RoutedJob(Job[int]):
    """A job with every routing class variable overridden."""

    __queue__ = "heavy"
    __retries__ = 5
    __countdown__ = 10
    __timeout__ = 600
    __priority__ = 3

    def execute(self, n: int) -> int:
        return n + 1


class FailingJob(Job[None]):
    def execute(self, n: int) -> None:
        raise ValueError(f"job refused {n}")


class DispatchJobs(UseCase[Any, list[JobHandle[Any]]]):
    """Dispatches jobs through a job service, then succeeds or fails."""

    def __init__(self, jobs: JobService, *, fail: bool = False) -> None:
        self.jobs = jobs
        self.fail = fail

    async def execute(self, n: int) -> list[JobHandle[Any]]:
        handles: list[JobHandle[Any]] = [
            self.jobs.dispatch(DoubleJob, params={"n": n}),
            self.jobs.dispatch(
                GreetJob, payload={"name": f" user {n} ", "email": f"u{n}@example.com"}
            ),
            self.jobs.dispatch(FailingJob, params={"n": n}, on_failure=RecordingCallback),
        ]
        if self.fail:
            raise ValueError("use case failed after dispatching")
        return handles


class RecordingCallback:
    """A job callback class; the service's factory gives it the journal."""

    def __init__(self, journal: list[tuple[str, ...]]) -> None:
        self.journal = journal

    def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        self.journal.append(("success", job_id, repr(result)))

    async def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> None:
        self.journal.append(("failure", job_id, exc_type, exc_msg))
