"""Jobs on Celery workers (the ``celery`` extra: ``pip install 'loomgen[celery]'``).

The web process queues jobs with :class:`CeleryJobService` (after the commit
of the use case that queued them); workers built with :func:`create_app`
run them through the engine, generated executors included.
"""

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
