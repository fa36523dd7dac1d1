"""Names shared by the web process that queues jobs and the workers that run them.

A job travels as a Celery task named ``loom.job.<qualified name>`` with the
keyword arguments ``payload``, ``params`` and ``trace_id``; callbacks as
``loom.callback.<name>`` (success) and ``loom.callback_error.<name>``
(failure). The names are loom-kernel's, so a web process of either can queue
for a worker of the other.
"""

from __future__ import annotations

from enum import StrEnum

TASK_JOB_PREFIX = "loom.job"
TASK_CALLBACK_PREFIX = "loom.callback"
TASK_CALLBACK_ERROR_PREFIX = "loom.callback_error"

QUEUE_DEFAULT = "default"


class WorkerManifestAttr(StrEnum):
    """Module attributes a worker manifest module may define."""

    MANIFEST = "MANIFEST"
    MODELS = "MODELS"
    USE_CASES = "USE_CASES"
    INTERFACES = "INTERFACES"
    JOBS = "JOBS"
    CALLBACKS = "CALLBACKS"


def job_task_name(job_type: type[object]) -> str:
    """The task name a job class travels under."""
    return f"{TASK_JOB_PREFIX}.{job_type.__qualname__}"


def callback_task_name(callback_type: type[object]) -> str:
    """The task name of a callback class's ``on_success``."""
    return f"{TASK_CALLBACK_PREFIX}.{callback_type.__qualname__}"


def callback_error_task_name(callback_type: type[object]) -> str:
    """The task name of a callback class's ``on_failure``."""
    return f"{TASK_CALLBACK_ERROR_PREFIX}.{callback_type.__qualname__}"
