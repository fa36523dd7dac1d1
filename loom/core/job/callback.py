"""What a job's caller can be told when the job ends: the callback protocol.

A dispatch may name a callback class for success and one for failure. The
job service builds an instance of it when the job ends and calls
``on_success`` or ``on_failure`` with the job's id and the payload the job
was dispatched with, as keyword arguments. Either method may be a plain
``def`` or an ``async def``: the service awaits what returns an awaitable.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class JobCallback(Protocol):
    """Hooks run when a dispatched job ends (structural: any class with both methods fits)."""

    def on_success(self, job_id: str, result: Any, **context: Any) -> Any:
        """The job ``job_id`` returned ``result``; ``context`` is its dispatch payload."""
        ...

    def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> Any:
        """The job ``job_id`` raised; ``exc_type`` is the exception class's qualified name."""
        ...


class NullJobCallback:
    """A callback that does nothing, for wiring that needs one and tests."""

    def on_success(self, job_id: str, result: Any, **context: Any) -> None:
        """Ignore a success."""

    def on_failure(self, job_id: str, exc_type: str, exc_msg: str, **context: Any) -> None:
        """Ignore a failure."""


__all__ = ["JobCallback", "NullJobCallback"]
