"""``create_app``: the Celery application of a worker, in one call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from celery import Celery

from loom.celery.bootstrap import WorkerSetup, bootstrap_worker

if TYPE_CHECKING:
    from loom.core.engine.metrics import MetricsAdapter
    from loom.core.job.job import Job


def create_app(
    *config_paths: str,
    jobs: Sequence[type[Job[Any]]] = (),
    callbacks: Sequence[type[Any]] = (),
    modules: Sequence[Callable[[WorkerSetup], None]] = (),
    metrics: MetricsAdapter | None = None,
) -> Celery:
    """A Celery application with a task for every job (and callback) of the worker.

    ``config_paths`` are merged left to right; ``jobs`` may be left out when
    the configuration's ``app.discovery`` names where they are. See
    :func:`~loom.celery.bootstrap.bootstrap_worker`, which this calls.

    Example (``myapp/worker.py``, run with ``celery -A myapp.worker worker``)::

        app = create_app("config/worker.yaml", jobs=[SendEmail], modules=[wire_repositories])
    """
    result = bootstrap_worker(
        *config_paths,
        jobs=jobs,
        callbacks=callbacks,
        modules=modules,
        metrics=metrics,
    )
    return result.celery_app
