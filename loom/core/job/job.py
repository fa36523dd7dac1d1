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
    """

    __execution_plan__: ClassVar[ExecutionPlan | None] = None
    computes: ClassVar[Sequence[Any]] = ()
    rules: ClassVar[Sequence[Any]] = ()
    read_only: ClassVar[bool] = False

    @abstractmethod
    def execute(self, *args: Any, **kwargs: Any) -> Any:
        """Do the work; override with an explicit signature."""
