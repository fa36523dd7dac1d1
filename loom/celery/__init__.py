"""Jobs on Celery workers (the ``celery`` extra: celery and the redis client).

The web process queues jobs with :class:`CeleryJobService` (after the commit
of the use case that queued them); workers built with :func:`create_app`
run them through the engine, generated executors included.
"""

try:
    import celery  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installation
    from loom.install import missing_extra

    raise ImportError(missing_extra("loom.celery", "Celery", "celery")) from error

from loom.celery.auto import create_app
from loom.celery.bootstrap import WorkerBootstrapResult, WorkerSetup, bootstrap_worker
from loom.celery.service import CeleryJobService

__all__ = [
    "CeleryJobService",
    "WorkerBootstrapResult",
    "WorkerSetup",
    "bootstrap_worker",
    "create_app",
]
