"""Jobs: use-case-shaped units of background work, and the services that run them."""

from loom.core.job.callback import JobCallback, NullJobCallback
from loom.core.job.handle import JobFailedError, JobGroup, JobHandle, JobTimeoutError
from loom.core.job.job import Job
from loom.core.job.service import InlineJobService, InstanceFactory, JobService

__all__ = [
    "InlineJobService",
    "InstanceFactory",
    "Job",
    "JobCallback",
    "JobFailedError",
    "JobGroup",
    "JobHandle",
    "JobService",
    "JobTimeoutError",
    "NullJobCallback",
]
