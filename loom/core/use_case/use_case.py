"""The :class:`UseCase` base class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from loom.core.engine.plan import ExecutionPlan

ModelT = TypeVar("ModelT")
ResultT = TypeVar("ResultT")


class UseCase(ABC, Generic[ModelT, ResultT]):
    """One application operation, declared by the signature of ``execute``.

    Plain parameters come from ``params``; ``Input()`` builds the command from
    the payload; ``LoadById``/``Load`` fetch entities; ``Exists`` checks for
    one. ``computes`` transform the command, then every rule in ``rules``
    checks it, before ``execute`` runs. ``read_only = True`` keeps the
    executor from opening a unit of work.

    ``ModelT`` names the main entity the use case works on and ``ResultT``
    what ``execute`` returns.
    """

    __execution_plan__: ClassVar[ExecutionPlan | None] = None
    computes: ClassVar[Sequence[Any]] = ()
    rules: ClassVar[Sequence[Any]] = ()
    read_only: ClassVar[bool] = False

    if TYPE_CHECKING:
        # For type checkers: an override may be ``async def`` or a plain ``def``
        # (the executor awaits what a coroutine function returns, and calls a
        # plain one directly), so either kind of ``execute`` type-checks.
        @abstractmethod
        def execute(self, *args: Any, **kwargs: Any) -> ResultT | Awaitable[ResultT]:
            """Do the work; override with an explicit signature."""

    else:

        @abstractmethod
        async def execute(self, *args: Any, **kwargs: Any) -> ResultT:
            """Do the work; override with an explicit signature."""
