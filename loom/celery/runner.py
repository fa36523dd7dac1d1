"""The worker side: Celery tasks that run jobs and their callbacks.

:func:`make_job_task` registers one task per job class. The task

1. installs the trace id of the request that queued the job (every log line
   of the run carries it, the executor's included);
2. validates the payload with the job's command (and the presence of its
   required parameters): a payload that cannot work is the sender's mistake,
   retrying it would fail the same way, so it ends the job at once
   (``JOB_EXHAUSTED``, :class:`JobPayloadError` naming the job and what is
   wrong) instead of looping;
3. runs the job through the :class:`~loom.core.engine.RuntimeExecutor`,
   which picks the generated executor when one fits (so workers get the same
   speed-up as the web process) inside a unit of work; dispatches the job
   queues run after its commit;
4. reports ``JOB_STARTED``, then ``JOB_SUCCEEDED``, or ``JOB_RETRYING``
   (Celery's own retry, ``__retries__`` times, after ``backoff ** attempt``
   seconds: 1, 2, 4...) and finally ``JOB_EXHAUSTED``.

Tasks acknowledge late and are given back to the broker when their worker
process dies, so a killed worker loses no job it had received.

Every worker process runs its async work on one event loop that lives in a
thread of its own (:class:`WorkerLoop`); the Celery task thread hands it each
job and waits. Connection pools opened by jobs stay on that loop for the life
of the process, whatever pool (prefork, threads, solo) Celery uses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from time import perf_counter
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.result import AsyncResult
from pydantic import BaseModel, ValidationError

from loom.celery.constants import (
    TASK_JOB_PREFIX,
    callback_error_task_name,
    callback_task_name,
    job_task_name,
)
from loom.core.engine.events import EventKind, RuntimeEvent
from loom.core.engine.steps import ParameterBindingError
from loom.core.errors import LoomError
from loom.core.job.context import clear_pending_dispatches, flush_pending_dispatches
from loom.core.job.service import InstanceFactory
from loom.core.logger import LoggerPort, get_logger
from loom.core.tracing import set_trace_id

if TYPE_CHECKING:
    from loom.core.engine.executor import RuntimeExecutor
    from loom.core.engine.metrics import MetricsAdapter
    from loom.core.job.job import Job

_LOG = get_logger("loom.celery")


class JobPayloadError(LoomError):
    """A job's payload or parameters cannot work; the job is not retried."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_job_payload")


class JobTimeLimitError(LoomError):
    """A job ran longer than its ``__timeout__`` and was cancelled.

    Not a ``TimeoutError``: a caller waiting on the job's handle must be able
    to tell the job's failure from its own wait running out.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="job_time_limit")


class UnknownJobError(LoomError):
    """A worker received a job whose name no job class of it has."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="unknown_job")


class JobError(LoomError):
    """A job's failure as the result backend carries it: ``"<type>: <message>"``.

    Celery's result backend rebuilds an exception by calling its class with
    its ``args``; an exception that cannot be rebuilt that way (most of
    loom's errors take other arguments) is sent as a ``JobError`` instead,
    so callers and failure callbacks read the original type and message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="job_failed")


def portable(error: Exception) -> Exception:
    """``error`` itself when Celery can rebuild it from its args, else a :class:`JobError`."""
    try:
        rebuilt = type(error)(*error.args)
        same = str(rebuilt) == str(error)
    except Exception:
        same = False
    return error if same else JobError(f"{type(error).__qualname__}: {error}")


JobFactory = InstanceFactory | Callable[[type[Any]], Any]
"""An object with ``build(cls)``, or a callable ``cls -> instance``."""


def builder_of(factory: JobFactory | None) -> Callable[[type[Any]], Any]:
    """The callable that makes an instance of a class, from a factory of either shape."""
    if factory is None:
        return lambda cls: cls()
    build = getattr(factory, "build", None)
    if callable(build):
        return build  # type: ignore[no-any-return]
    if callable(factory):
        return factory
    raise TypeError(f"a job factory has build(cls) or is a callable, not {factory!r}")


# -- the per-process event loop ------------------------------------------------


class WorkerLoop:
    """One asyncio loop per process, run in a daemon thread, started on first use.

    ``startup`` coroutine functions run on the loop before the first job of
    each process (open pools there: a forked child must not reuse its
    parent's connections); ``shutdown`` ones when :meth:`close` is called
    (Celery's process shutdown signals do). After a fork the child starts a
    loop of its own.
    """

    def __init__(
        self,
        *,
        startup: list[Callable[[], Awaitable[Any]]] | None = None,
        shutdown: list[Callable[[], Awaitable[Any]]] | None = None,
        use_uvloop: bool = False,
        shutdown_timeout_ms: int | None = None,
    ) -> None:
        self.startup = startup if startup is not None else []
        self.shutdown = shutdown if shutdown is not None else []
        self._use_uvloop = use_uvloop
        self._shutdown_timeout = None if shutdown_timeout_ms is None else shutdown_timeout_ms / 1000
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _new_loop(self) -> asyncio.AbstractEventLoop:
        if self._use_uvloop:
            import uvloop  # type: ignore[import-not-found]

            return uvloop.new_event_loop()  # type: ignore[no-any-return]
        return asyncio.new_event_loop()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            loop, thread = self._loop, self._thread
            if (
                loop is not None
                and thread is not None
                and self._pid == os.getpid()
                and thread.is_alive()
            ):
                return loop
            loop = self._new_loop()
            thread = threading.Thread(target=loop.run_forever, name="loom-worker-loop", daemon=True)
            thread.start()
            self._loop, self._thread, self._pid = loop, thread, os.getpid()
            for hook in self.startup:
                asyncio.run_coroutine_threadsafe(_await(hook), loop).result()
            return loop

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float | None = None) -> Any:
        """Run ``coro`` on the loop and return its result (``TimeoutError`` after ``timeout`` s)."""
        loop = self._running_loop()
        if timeout is not None:
            coro = asyncio.wait_for(coro, timeout)
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def close(self) -> None:
        """Run the shutdown hooks and stop the loop (nothing to do if it never started)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None or self._pid != os.getpid() or not thread.is_alive():
            return
        try:
            for hook in self.shutdown:
                asyncio.run_coroutine_threadsafe(_await(hook), loop).result(self._shutdown_timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(self._shutdown_timeout)


async def _await(hook: Callable[[], Awaitable[Any]]) -> Any:
    return await hook()


# -- events and logs -------------------------------------------------------------


def _emit(metrics: MetricsAdapter | None, event: RuntimeEvent) -> None:
    if metrics is not None:
        metrics.on_event(event)


def _logger_for(logger: LoggerPort, trace_id: str | None) -> LoggerPort:
    return logger.bind(trace_id=trace_id) if trace_id else logger


def to_wire(value: Any) -> Any:
    """A job's result in a form the JSON serializer takes (models and dataclasses as dicts)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


# -- validation ------------------------------------------------------------------


def validate_job_input(
    executor: RuntimeExecutor,
    job_type: type[Any],
    payload: Mapping[str, Any],
    params: Mapping[str, Any] | None,
) -> None:
    """Raise :class:`JobPayloadError` when ``payload``/``params`` cannot run ``job_type``."""
    plan = executor.prepare(job_type).plan
    name = job_type.__qualname__
    given = params or {}
    missing = [b.name for b in plan.param_bindings if not b.has_default and b.name not in given]
    if missing:
        raise JobPayloadError(f"job {name}: missing required parameter(s) {', '.join(missing)}")
    if plan.input_binding is None:
        return
    command_type = plan.input_binding.command_type
    try:
        command_type.from_payload(dict(payload))
    except ValidationError as exc:
        raise JobPayloadError(
            f"job {name}: payload is not a valid {command_type.__name__}: {exc}"
        ) from exc


async def _run_job(
    executor: RuntimeExecutor,
    build: Callable[[type[Any]], Any],
    job_type: type[Any],
    payload: dict[str, Any],
    params: dict[str, Any] | None,
    trace_id: str | None,
) -> Any:
    # This coroutine runs in a task of the worker loop, whose context is a
    # copy of the loop thread's: the trace id is installed here.
    set_trace_id(trace_id)
    # Built on the loop, after its startup hooks (which may open what jobs need).
    instance = build(job_type)
    try:
        result = await executor.execute(instance, params=params, payload=payload)
    except BaseException:
        clear_pending_dispatches()
        raise
    # Dispatches left queued by an execution without a unit of work of its own.
    await flush_pending_dispatches()
    return result


async def _within(job: Coroutine[Any, Any, Any], seconds: float, name: str) -> Any:
    """Run ``job``; past ``seconds``, cancel it and raise :class:`JobTimeLimitError`."""
    task = asyncio.ensure_future(job)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    raise JobTimeLimitError(f"job {name} ran over its time limit of {seconds:g}s (__timeout__)")


# -- tasks -------------------------------------------------------------------------


def make_job_task(
    celery_app: Celery,
    job_type: type[Job[Any]],
    *,
    executor: RuntimeExecutor,
    loop: WorkerLoop,
    factory: JobFactory | None = None,
    metrics: MetricsAdapter | None = None,
    logger: LoggerPort | None = None,
    backoff: int = 2,
) -> Any:
    """Register on ``celery_app`` the task that runs ``job_type``; return the task.

    ``__retries__`` and ``__timeout__`` are read when a message arrives, so
    :func:`~loom.celery.config.apply_job_config` may still change them.
    """
    build = builder_of(factory)
    log = logger if logger is not None else _LOG
    name = job_type.__qualname__

    @celery_app.task(  # type: ignore[untyped-decorator]
        name=job_task_name(job_type),
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        max_retries=None,
        typing=False,
        # Not shared: a shared task would also land in every Celery app made later.
        shared=False,
    )
    def run_job(
        self: Any,
        payload: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        trace_id: str | None = None,
    ) -> Any:
        attempt = int(self.request.retries or 0)
        max_retries = int(getattr(job_type, "__retries__", 0))
        timeout = getattr(job_type, "__timeout__", None)
        job_id = self.request.id
        out = _logger_for(log, trace_id)
        _emit(
            metrics, RuntimeEvent(kind=EventKind.JOB_STARTED, use_case_name=name, trace_id=trace_id)
        )
        out.info(f"[JOB] {name} started", job=name, job_id=job_id, attempt=attempt + 1)
        started = perf_counter()
        try:
            data = payload if payload is not None else {}
            validate_job_input(executor, job_type, data, params)
            job = _run_job(executor, build, job_type, data, params, trace_id)
            result = loop.run(_within(job, float(timeout), name) if timeout else job)
        except Exception as exc:
            duration_ms = (perf_counter() - started) * 1000
            final = isinstance(exc, (JobPayloadError, ParameterBindingError))
            if not final and attempt < max_retries:
                countdown = backoff**attempt
                _emit(
                    metrics,
                    RuntimeEvent(
                        kind=EventKind.JOB_RETRYING,
                        use_case_name=name,
                        trace_id=trace_id,
                        duration_ms=duration_ms,
                        status="retrying",
                        error=exc,
                    ),
                )
                out.warning(
                    f"[RETRY] {name}: {type(exc).__name__}: {exc}; retry {attempt + 1} of "
                    f"{max_retries} in {countdown}s",
                    job=name,
                    job_id=job_id,
                    error=repr(exc),
                )
                raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc
            _emit(
                metrics,
                RuntimeEvent(
                    kind=EventKind.JOB_EXHAUSTED,
                    use_case_name=name,
                    trace_id=trace_id,
                    duration_ms=duration_ms,
                    status="exhausted",
                    error=exc,
                ),
            )
            out.error(
                f"[EXHAUSTED] {name}: {type(exc).__name__}: {exc}",
                job=name,
                job_id=job_id,
                attempts=attempt + 1,
                error=repr(exc),
            )
            sent = portable(exc)
            if sent is exc:
                raise
            raise sent from exc
        duration_ms = (perf_counter() - started) * 1000
        _emit(
            metrics,
            RuntimeEvent(
                kind=EventKind.JOB_SUCCEEDED,
                use_case_name=name,
                trace_id=trace_id,
                duration_ms=duration_ms,
                status="success",
            ),
        )
        out.info(f"[JOB] {name} succeeded in {duration_ms:.1f}ms", job=name, job_id=job_id)
        return to_wire(result)

    return run_job


def _call(
    loop: WorkerLoop, method: Callable[..., Any], trace_id: str | None, **kwargs: Any
) -> None:
    if inspect.iscoroutinefunction(method):

        async def with_trace() -> Any:
            set_trace_id(trace_id)
            return await method(**kwargs)

        loop.run(with_trace())
    else:
        method(**kwargs)


def make_callback_task(
    celery_app: Celery,
    callback_type: type[Any],
    *,
    loop: WorkerLoop,
    factory: JobFactory | None = None,
) -> Any:
    """Register the task that calls ``callback_type().on_success`` after a job succeeded.

    It receives the job's result first (the link is not immutable), then the
    job id, the job's payload as context and the trace id.
    """
    build = builder_of(factory)

    @celery_app.task(  # type: ignore[untyped-decorator]
        name=callback_task_name(callback_type), typing=False, shared=False
    )
    def on_success(
        result: Any = None,
        *,
        job_id: str,
        context: dict[str, Any] | None = None,
        trace_id: str | None = None,
    ) -> None:
        callback = build(callback_type)
        _call(loop, callback.on_success, trace_id, job_id=job_id, result=result, **(context or {}))

    return on_success


def failure_of(celery_app: Celery, job_id: str) -> tuple[str, str]:
    """``(exception type, message)`` of a failed job, from the result backend.

    ``("Unknown", "")`` when the application keeps no results.
    """
    if celery_app.conf.result_backend is None:
        return "Unknown", ""
    error = AsyncResult(job_id, app=celery_app).result
    if isinstance(error, BaseException):
        return type(error).__qualname__, str(error)
    return "Unknown", ""


def make_callback_error_task(
    celery_app: Celery,
    callback_type: type[Any],
    *,
    loop: WorkerLoop,
    factory: JobFactory | None = None,
) -> Any:
    """Register the task that calls ``callback_type().on_failure`` after a job failed for good."""
    build = builder_of(factory)

    @celery_app.task(  # type: ignore[untyped-decorator]
        name=callback_error_task_name(callback_type), typing=False, shared=False
    )
    def on_failure(
        *,
        job_id: str,
        context: dict[str, Any] | None = None,
        trace_id: str | None = None,
    ) -> None:
        exc_type, exc_msg = failure_of(celery_app, job_id)
        callback = build(callback_type)
        _call(
            loop,
            callback.on_failure,
            trace_id,
            job_id=job_id,
            exc_type=exc_type,
            exc_msg=exc_msg,
            **(context or {}),
        )

    return on_failure


def report_unknown_task(
    name: str,
    task_id: str | None,
    known: list[str],
    *,
    metrics: MetricsAdapter | None = None,
    logger: LoggerPort | None = None,
) -> UnknownJobError:
    """Say loudly that a worker received a job it has no class for.

    Celery itself rejects the message and records the failure
    (``NotRegistered``) in the result backend; this logs an error naming the
    job and the jobs the worker does know, and reports ``JOB_EXHAUSTED``.
    """
    job = name[len(TASK_JOB_PREFIX) + 1 :] if name.startswith(TASK_JOB_PREFIX + ".") else name
    error = UnknownJobError(
        f"this worker has no job named {job!r} (task {name!r}, id {task_id}); it runs: "
        + (", ".join(known) if known else "no jobs")
        + ". Register the job class with the worker (jobs=[...] or its manifest)."
    )
    (logger if logger is not None else _LOG).error(f"[UNKNOWN] {error}", job=job, job_id=task_id)
    _emit(
        metrics,
        RuntimeEvent(
            kind=EventKind.JOB_EXHAUSTED, use_case_name=job, status="unknown_job", error=error
        ),
    )
    return error
