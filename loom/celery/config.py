"""Settings of the Celery application and per-job routing overrides.

:class:`CeleryConfig` is the ``celery`` section of a worker's configuration
(or built in code by the web process); :func:`create_celery_app` turns it
into a configured :class:`celery.Celery`. :class:`JobConfig` is one entry of
the ``jobs`` section: overrides of a job class's routing class variables.

Example configuration (YAML, TOML or JSON; see :mod:`loom.celery.bootstrap`)::

    celery:
      broker_url: "redis://127.0.0.1:6379/0"
      result_backend: "redis://127.0.0.1:6379/1"
      worker_prefetch_multiplier: 1
    jobs:
      SendEmail:
        queue: "email"
        retries: 3
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from celery import Celery
from kombu.entity import Queue
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from loom.core.job.job import Job


class _Section(BaseModel):
    # An unknown key in a configuration file is a typo, not something to ignore.
    model_config = ConfigDict(frozen=True, extra="forbid")


class CeleryRuntimeConfig(_Section):
    """How a worker process runs the coroutines of async jobs.

    Every worker process runs one event loop in a thread of its own and hands
    it each job; resources opened by a job (connection pools) stay on that
    loop for the life of the process.

    Attributes:
        backend: Only ``"asyncio"``.
        use_uvloop: Run the loop on uvloop (which must be installed).
        shutdown_timeout_ms: How long process shutdown waits for the loop's
            shutdown hooks; ``None`` waits as long as they take.
    """

    backend: Literal["asyncio"] = "asyncio"
    use_uvloop: bool = False
    shutdown_timeout_ms: int | None = None


class CeleryConfig(_Section):
    """Broker and worker settings (loom-kernel's field names).

    Attributes:
        broker_url: The broker, e.g. ``"redis://127.0.0.1:6379/0"``
            (``"memory://"`` for tests in one process).
        result_backend: Where results and failures are kept, needed by
            ``JobHandle.wait`` and by failure callbacks; ``None`` keeps none.
        worker_concurrency: Processes (or threads) per worker.
        worker_max_tasks_per_child: Replace a worker process after so many tasks.
        worker_prefetch_multiplier: Messages a worker process reserves ahead;
            ``1`` keeps the others on the broker for other workers.
        task_always_eager: Run tasks in the caller at once (tests only).
        visibility_timeout: Seconds after which the Redis transport hands a
            message that was delivered but never acknowledged (its worker
            died) to another worker. Longer than the longest job, or a job
            still running is delivered twice. ``None`` keeps kombu's hour.
        broker_transport_options: Passed to the transport as they are (e.g.
            ``unacked_restore_interval`` for Redis).
        queues: Queues to declare; empty lets Celery create them on demand.
        task_default_queue: The queue of tasks that name none (callbacks).
    """

    broker_url: str
    result_backend: str | None = None
    worker_concurrency: int = 4
    worker_max_tasks_per_child: int = 1_000
    worker_prefetch_multiplier: int = 1
    task_always_eager: bool = False
    timezone: str = "UTC"
    enable_utc: bool = True
    task_serializer: str = "json"
    result_serializer: str = "json"
    accept_content: list[str] = Field(default_factory=lambda: ["json"])
    visibility_timeout: int | None = None
    broker_transport_options: dict[str, Any] = Field(default_factory=dict)
    queues: list[str] = Field(default_factory=list)
    task_default_queue: str = "default"
    runtime: CeleryRuntimeConfig = Field(default_factory=CeleryRuntimeConfig)


class JobConfig(_Section):
    """Routing overrides for one job class; ``None`` keeps the class's value."""

    queue: str | None = None
    retries: int | None = Field(default=None, ge=0)
    countdown: int | None = Field(default=None, ge=0)
    timeout: int | None = Field(default=None, gt=0)
    priority: int | None = Field(default=None, ge=0, le=255)


_JOB_CLASS_VARS = {
    "queue": "__queue__",
    "retries": "__retries__",
    "countdown": "__countdown__",
    "timeout": "__timeout__",
    "priority": "__priority__",
}


def apply_job_config(job_type: type[Job[Any]], cfg: JobConfig) -> None:
    """Set the routing class variables ``cfg`` gives on ``job_type`` itself.

    Only the fields that are not ``None``; the class's parents and siblings
    are untouched, and applying the same config twice changes nothing more.
    """
    for field_name, class_var in _JOB_CLASS_VARS.items():
        value = getattr(cfg, field_name)
        if value is not None:
            setattr(job_type, class_var, value)


def create_celery_app(cfg: CeleryConfig, main: str | None = None) -> Celery:
    """A Celery application configured from ``cfg``.

    Tasks acknowledge late (after they ran, success or failure) and a task
    whose worker process died is given back to the broker, so a killed worker
    loses no job; a worker reserves one message at a time by default.

    Raises:
        ValueError: ``task_default_queue`` is not among the declared ``queues``
            (callbacks would wait on a queue nobody consumes).
    """
    if cfg.queues and cfg.task_default_queue not in cfg.queues:
        raise ValueError(
            f"celery.task_default_queue={cfg.task_default_queue!r} is not one of "
            f"celery.queues={cfg.queues}: tasks routed there would never be consumed; "
            "add it to the queues"
        )
    app = Celery(main)
    transport_options: dict[str, Any] = dict(cfg.broker_transport_options)
    if cfg.visibility_timeout is not None:
        transport_options["visibility_timeout"] = cfg.visibility_timeout
    app.conf.update(
        broker_url=cfg.broker_url,
        result_backend=cfg.result_backend,
        task_ignore_result=cfg.result_backend is None,
        worker_concurrency=cfg.worker_concurrency,
        worker_max_tasks_per_child=cfg.worker_max_tasks_per_child,
        worker_prefetch_multiplier=cfg.worker_prefetch_multiplier,
        task_always_eager=cfg.task_always_eager,
        task_store_eager_result=cfg.task_always_eager,
        timezone=cfg.timezone,
        enable_utc=cfg.enable_utc,
        task_serializer=cfg.task_serializer,
        result_serializer=cfg.result_serializer,
        accept_content=cfg.accept_content,
        task_default_queue=cfg.task_default_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options,
    )
    if cfg.queues:
        app.conf.task_queues = declare_queues(cfg.queues)
    return app


def declare_queues(names: list[str]) -> list[Any]:
    """kombu queues of these names (what ``task_queues`` takes)."""
    return [Queue(name) for name in names]  # type: ignore[no-untyped-call]
