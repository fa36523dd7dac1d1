"""Running and dispatching jobs: the :class:`JobService` protocol and its in-process form.

Application code depends on :class:`JobService` and never on how jobs are
carried out. ``run`` executes a job now and returns its result. ``dispatch``
queues the job as a pending dispatch of the current unit of work
(:mod:`loom.core.job.context`), so it is sent only once the transaction has
committed (never if it rolls back), and returns a :class:`JobHandle` at once.

:class:`InlineJobService` runs dispatched jobs in this process, through a
:class:`~loom.core.engine.executor.RuntimeExecutor`, when the pending
dispatches are flushed: for tests, local development and small deployments.
A broker-backed service (Celery) implements the same protocol.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from loom.core.job.callback import JobCallback
from loom.core.job.context import add_pending_dispatch
from loom.core.job.handle import (
    JobGroup,
    JobHandle,
    record_inline_failure,
    record_inline_result,
)
from loom.core.job.job import Job

if TYPE_CHECKING:
    from loom.core.engine.executor import RuntimeExecutor

ResultT = TypeVar("ResultT")

_log = logging.getLogger("loom.job")


@runtime_checkable
class InstanceFactory(Protocol):
    """Builds an instance of a class with its dependencies (a job or a callback class).

    loom-kernel's ``UseCaseFactory`` fits, as does any object with this
    method; :class:`InlineJobService` calls the class with no arguments when
    it is given no factory.
    """

    def build(self, cls: type[Any]) -> Any: ...


class _CallClass:
    """The factory used without one: ``cls()``."""

    def build(self, cls: type[Any]) -> Any:
        return cls()


class JobService(Protocol):
    """Runs jobs now (``run``) or after the current unit of work commits (``dispatch``)."""

    async def run(
        self,
        job_type: type[Job[ResultT]],
        *,
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> ResultT:
        """Execute ``job_type`` now, with ``params`` and the ``Input()`` ``payload``."""
        ...

    def dispatch(
        self,
        job_type: type[Job[ResultT]],
        *,
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        on_success: type[JobCallback] | None = None,
        on_failure: type[JobCallback] | None = None,
        queue: str | None = None,
        countdown: int | None = None,
        priority: int | None = None,
        eta: datetime | None = None,
    ) -> JobHandle[ResultT]:
        """Queue ``job_type`` to be sent once the current unit of work commits.

        ``queue``, ``countdown`` and ``priority`` override the job's routing
        class variables; ``eta`` is an absolute time for the first run.
        """
        ...

    def dispatch_parallel(
        self,
        jobs: Sequence[tuple[type[Job[Any]], dict[str, Any]]],
        *,
        on_all_success: type[JobCallback] | None = None,
        on_any_failure: type[JobCallback] | None = None,
    ) -> JobGroup:
        """Dispatch several ``(job_type, payload)`` pairs; one handle each, in order."""
        ...


async def _call(method: Any, **arguments: Any) -> None:
    outcome = method(**arguments)
    if inspect.isawaitable(outcome):
        await outcome


@dataclass
class _InlineDispatch:
    """One dispatched job, run by the pending-dispatch queue after the commit."""

    job_type: type[Job[Any]]
    job_id: str
    params: dict[str, Any] | None
    payload: dict[str, Any]
    on_success: type[Any] | None
    on_failure: type[Any] | None
    handle: JobHandle[Any]
    factory: InstanceFactory
    executor: RuntimeExecutor = field(repr=False)

    async def run(self) -> None:
        # A dispatched job is fire-and-forget: its failure is recorded on the
        # handle, logged, and given to the failure callback; it never reaches
        # the code that flushed the queue (the commit has already happened).
        try:
            result = await self.executor.execute(
                self.factory.build(self.job_type), params=self.params, payload=self.payload
            )
        except Exception as error:
            record_inline_failure(self.handle, error)
            _log.warning(
                "[JOB] %s %s failed: %s: %s",
                self.job_type.__qualname__,
                self.job_id,
                type(error).__qualname__,
                error,
            )
            if self.on_failure is not None:
                await _call(
                    self.factory.build(self.on_failure).on_failure,
                    job_id=self.job_id,
                    exc_type=type(error).__qualname__,
                    exc_msg=str(error),
                    **self.payload,
                )
            return
        record_inline_result(self.handle, result)
        if self.on_success is not None:
            await _call(
                self.factory.build(self.on_success).on_success,
                job_id=self.job_id,
                result=result,
                **self.payload,
            )


class InlineJobService:
    """:class:`JobService` in this process: jobs run through ``executor``.

    ``factory.build(cls)`` makes job and callback instances (by default
    ``cls()``). ``run`` executes at once. ``dispatch`` queues the job as a
    pending dispatch: it runs after the enclosing unit of work commits, or
    when the caller flushes the queue (:func:`flush_pending_dispatches`) if
    there is none, and its handle's ``wait()`` returns the result from then
    on. Scheduling hints (``countdown``, ``priority``, ``eta``) and group
    callbacks need a broker and are accepted and ignored.
    """

    def __init__(self, factory: InstanceFactory | None, executor: RuntimeExecutor) -> None:
        self._factory: InstanceFactory = _CallClass() if factory is None else factory
        self._executor = executor

    async def run(
        self,
        job_type: type[Job[ResultT]],
        *,
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> ResultT:
        """Execute ``job_type`` now and return what its ``execute`` returned."""
        result: ResultT = await self._executor.execute(
            self._factory.build(job_type), params=params, payload=payload
        )
        return result

    def dispatch(
        self,
        job_type: type[Job[ResultT]],
        *,
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
        on_success: type[Any] | None = None,
        on_failure: type[Any] | None = None,
        queue: str | None = None,
        countdown: int | None = None,
        priority: int | None = None,
        eta: datetime | None = None,
    ) -> JobHandle[ResultT]:
        """Queue ``job_type`` to run after the commit; return its handle now."""
        job_id = str(uuid.uuid4())
        handle: JobHandle[ResultT] = JobHandle(
            job_id=job_id,
            queue=queue or job_type.__queue__,
            dispatched_at=datetime.now(UTC),
        )
        pending = _InlineDispatch(
            job_type=job_type,
            job_id=job_id,
            params=params,
            payload=payload or {},
            on_success=on_success,
            on_failure=on_failure,
            handle=handle,
            factory=self._factory,
            executor=self._executor,
        )
        add_pending_dispatch(pending.run)
        return handle

    def dispatch_parallel(
        self,
        jobs: Sequence[tuple[type[Job[Any]], dict[str, Any]]],
        *,
        on_all_success: type[Any] | None = None,
        on_any_failure: type[Any] | None = None,
    ) -> JobGroup:
        """Dispatch each ``(job_type, payload)``; they run one after the other after the commit."""
        return JobGroup(
            handles=tuple(self.dispatch(job_type, payload=payload) for job_type, payload in jobs)
        )


__all__ = ["InlineJobService", "InstanceFactory", "JobService"]
