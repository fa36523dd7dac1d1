"""``CeleryJobService``: jobs queued on a Celery broker once their transaction commits.

``dispatch`` sends nothing: it queues a pending dispatch
(:func:`~loom.core.job.context.add_pending_dispatch`) that the executor runs
after the unit of work of the calling use case commits, and drops when it
rolls back, so a worker never runs a job about data that was not saved. The
job's routing class variables (``__queue__``, ``__countdown__``,
``__priority__``, ``__timeout__``) become the message's queue, delay,
priority and soft time limit.

Example::

    service = CeleryJobService(celery_app)

    class PlaceOrder(UseCase[Order, Order]):
        def __init__(self, jobs: CeleryJobService) -> None:
            self.jobs = jobs

        async def execute(self, cmd: PlaceOrderCmd = Input()) -> Order:
            ...
            self.jobs.dispatch(SendEmail, payload={"to": cmd.email, ...})
"""

from __future__ import annotations

import uuid
from functools import partial
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from celery import Celery
from celery.result import AsyncResult

from loom.celery.constants import callback_error_task_name, callback_task_name, job_task_name
from loom.celery.runner import JobFactory, builder_of
from loom.core.engine.events import EventKind, RuntimeEvent
from loom.core.job.context import add_pending_dispatch
from loom.core.job.handle import JobGroup, JobHandle
from loom.core.job.job import Job
from loom.core.tracing import get_trace_id

if TYPE_CHECKING:
    from loom.core.engine.executor import RuntimeExecutor
    from loom.core.engine.metrics import MetricsAdapter
    from loom.core.job.callback import JobCallback

ResultT = TypeVar("ResultT")


@dataclass(slots=True)
class _PendingCeleryDispatch:
    """One ``send_task`` waiting for the commit (a pending dispatch)."""

    celery_app: Celery
    task_name: str
    task_id: str
    payload: dict[str, Any]
    params: dict[str, Any] | None
    trace_id: str | None
    queue: str
    countdown: int
    priority: int
    eta: datetime | None
    soft_time_limit: int | None
    link: Any | None
    link_error: Any | None

    def __call__(self) -> None:
        app = self.celery_app
        # send_task never runs a task eagerly; a task registered in this
        # process runs in the caller when the app says task_always_eager.
        eager = app.conf.task_always_eager and self.task_name in app.tasks
        send = (
            app.tasks[self.task_name].apply_async
            if eager
            else partial(app.send_task, self.task_name)
        )
        send(
            kwargs={"payload": self.payload, "params": self.params, "trace_id": self.trace_id},
            task_id=self.task_id,
            queue=self.queue,
            countdown=self.countdown or None,
            priority=self.priority,
            eta=self.eta,
            soft_time_limit=self.soft_time_limit,
            link=self.link,
            link_error=self.link_error,
        )


def _callback_signature(
    celery_app: Celery,
    task_name: str,
    payload: dict[str, Any],
    task_id: str,
    trace_id: str | None,
    *,
    immutable: bool,
) -> Any:
    return celery_app.signature(
        task_name,
        kwargs={"job_id": task_id, "context": payload, "trace_id": trace_id},
        immutable=immutable,
    )


class CeleryJobService:
    """The ``JobService`` of an application whose jobs run on Celery workers.

    Args:
        celery_app: The application (:func:`~loom.celery.config.create_celery_app`).
        metrics: Receives ``JOB_DISPATCHED`` for every job queued (at
            ``dispatch``, before the commit).
        factory: With ``executor``, lets :meth:`run` execute a job in this
            process and return its result.
        executor: See ``factory``.
    """

    def __init__(
        self,
        celery_app: Celery,
        metrics: MetricsAdapter | None = None,
        factory: JobFactory | None = None,
        executor: RuntimeExecutor | None = None,
    ) -> None:
        self._app = celery_app
        self._metrics = metrics
        self._factory = factory
        self._executor = executor

    @property
    def celery_app(self) -> Celery:
        return self._app

    async def run(
        self,
        job_type: type[Job[ResultT]],
        *,
        params: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> ResultT:
        """Run ``job_type`` in this process now (no broker) and return its result.

        Raises:
            NotImplementedError: the service was built without ``executor``.
        """
        if self._executor is None:
            raise NotImplementedError(
                "CeleryJobService.run() runs the job in this process and needs the executor: "
                "CeleryJobService(app, factory=..., executor=...); use dispatch() to queue it"
            )
        instance = builder_of(self._factory)(job_type)
        result: ResultT = await self._executor.execute(instance, params=params, payload=payload)
        return result

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
        """Queue ``job_type`` for the broker once the current unit of work commits.

        ``queue``, ``countdown`` and ``priority`` override the class's
        ``__queue__``, ``__countdown__`` and ``__priority__`` for this job;
        ``eta`` is an absolute start time. The returned handle's ``job_id`` is
        the Celery task id. The trace id of the current request travels with
        the job, and with its callbacks.
        """
        if not (isinstance(job_type, type) and issubclass(job_type, Job)):
            raise TypeError(f"dispatch() takes a Job subclass, not {job_type!r}")
        if payload is not None and not isinstance(payload, Mapping):
            raise TypeError(
                f"dispatch({job_type.__qualname__}): payload must be a dict, "
                f"not {type(payload).__name__}"
            )
        task_id = str(uuid.uuid4())
        trace_id = get_trace_id()
        data = dict(payload) if payload is not None else {}
        eff_queue = queue or job_type.__queue__
        eff_countdown = countdown if countdown is not None else job_type.__countdown__
        eff_priority = priority if priority is not None else job_type.__priority__
        link = (
            _callback_signature(
                self._app, callback_task_name(on_success), data, task_id, trace_id, immutable=False
            )
            if on_success is not None
            else None
        )
        link_error = (
            _callback_signature(
                self._app,
                callback_error_task_name(on_failure),
                data,
                task_id,
                trace_id,
                immutable=True,
            )
            if on_failure is not None
            else None
        )
        add_pending_dispatch(
            _PendingCeleryDispatch(
                celery_app=self._app,
                task_name=job_task_name(job_type),
                task_id=task_id,
                payload=data,
                params=dict(params) if params is not None else None,
                trace_id=trace_id,
                queue=eff_queue,
                countdown=eff_countdown,
                priority=eff_priority,
                eta=eta,
                soft_time_limit=job_type.__timeout__,
                link=link,
                link_error=link_error,
            )
        )
        if self._metrics is not None:
            self._metrics.on_event(
                RuntimeEvent(
                    kind=EventKind.JOB_DISPATCHED,
                    use_case_name=job_type.__qualname__,
                    trace_id=trace_id,
                )
            )
        return JobHandle(
            job_id=task_id,
            queue=eff_queue,
            dispatched_at=datetime.now(UTC),
            _async_result=AsyncResult(task_id, app=self._app),
        )

    def dispatch_parallel(
        self,
        jobs: Sequence[tuple[type[Job[Any]], dict[str, Any]]],
        *,
        on_all_success: type[JobCallback] | None = None,
        on_any_failure: type[JobCallback] | None = None,
    ) -> JobGroup:
        """Queue every ``(job_type, payload)`` (each after the commit) and return their group.

        Group callbacks need Celery chords, which this service does not build:
        passing ``on_all_success`` or ``on_any_failure`` raises
        ``NotImplementedError`` (as loom-kernel does).
        """
        if on_all_success is not None or on_any_failure is not None:
            raise NotImplementedError(
                "dispatch_parallel() does not take on_all_success/on_any_failure on Celery "
                "(group callbacks need chords); pass callbacks to dispatch() per job"
            )
        return JobGroup(
            handles=tuple(self.dispatch(job_type, payload=data) for job_type, data in jobs)
        )
