"""The :class:`Job` base class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from loom.core.engine.plan import ExecutionPlan

ResultT = TypeVar("ResultT")


class Job(ABC, Generic[ResultT]):
    """A unit of background work with the same shape as a use case.

    ``execute`` declares what it needs exactly like :class:`UseCase.execute`
    (plain params, ``Input()``, loads, exists checks) and may be a plain
    ``def``. ``computes`` and ``rules`` behave as for use cases. ``Job`` does
    not derive from ``UseCase``: the compiler and executor treat both alike.

    The routing class variables tell a broker-backed job service how to send
    and run the job; a subclass overrides them for itself only:

    - ``__queue__``: the queue's name (``"default"``);
    - ``__retries__``: how many times a failed run is retried (0);
    - ``__countdown__``: seconds to wait before the first run (0);
    - ``__timeout__``: the run's time limit in seconds, ``None`` for none;
    - ``__priority__``: the broker's priority (0, the lowest on most brokers).

    The in-process :class:`~loom.core.job.service.InlineJobService` reads
    ``__queue__`` only (for the handle) and runs the job after the commit.
    """

    __execution_plan__: ClassVar[ExecutionPlan | None] = None
    computes: ClassVar[Sequence[Any]] = ()
    rules: ClassVar[Sequence[Any]] = ()
    read_only: ClassVar[bool] = False

    __queue__: ClassVar[str] = "default"
    __retries__: ClassVar[int] = 0
    __countdown__: ClassVar[int] = 0
    __timeout__: ClassVar[int | None] = None
    __priority__: ClassVar[int] = 0

    @abstractmethod
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Do the work; override with an explicit signature."""
