"""Jobs: use-case-shaped units of background work."""

from loom.core.job.job import Job

__all__ = ["Job"]
