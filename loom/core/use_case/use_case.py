"""The :class:`UseCase` base class."""

from __future__ import annotations

import sys
import typing
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from typing_extensions import TypeVar

if TYPE_CHECKING:
    from loom.core.engine.plan import ExecutionPlan

ModelT = TypeVar("ModelT")
ResultT = TypeVar("ResultT")
RepoT = TypeVar("RepoT", default=Any)


class UseCase(ABC, Generic[ModelT, ResultT, RepoT]):
    """One application operation, declared by the signature of ``execute``.

    Plain parameters come from ``params``; ``Input()`` builds the command from
    the payload; ``LoadById``/``Load`` fetch entities; ``Exists`` checks for
    one. ``computes`` transform the command, then every rule in ``rules``
    checks it, before ``execute`` runs. ``read_only = True`` keeps the
    executor from opening a unit of work.

    ``UseCase[Model, Result]`` or ``UseCase[Model, Result, Repo]``: ``Model``
    is the main entity the use case works on, ``Result`` what ``execute``
    returns, and ``Repo`` (optional) the type of the main entity's
    repository, for type checkers. That repository is ``self.main_repo``,
    given to the constructor (``MyUseCase(main_repo=repo)``), assigned, or
    injected by :class:`loom.core.use_case.factory.UseCaseFactory`.
    """

    __execution_plan__: ClassVar[ExecutionPlan | None] = None
    __loom_main_model__: ClassVar[type[Any] | typing.ForwardRef | None] = None
    __loom_main_repo_contract__: ClassVar[object] = Any
    computes: ClassVar[Sequence[Any]] = ()
    rules: ClassVar[Sequence[Any]] = ()
    read_only: ClassVar[bool] = False

    # loom-kernel's attribute name, which subclasses written for it may read:
    # kept. Other modules ask has_main_repo() below.
    _main_repo: RepoT | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in getattr(cls, "__orig_bases__", ()):
            if typing.get_origin(base) is UseCase:
                cls.__loom_main_model__, cls.__loom_main_repo_contract__ = _main_contract(
                    cls.__qualname__, typing.get_args(base)
                )
                break

    def __init__(self, main_repo: RepoT | None = None) -> None:
        self._main_repo = main_repo

    @property
    def main_repo(self) -> RepoT:
        """The repository of the main entity; a ``RuntimeError`` if none was given."""
        repo = self._main_repo
        if repo is None:
            model = type(self).__loom_main_model__
            if isinstance(model, typing.ForwardRef):
                entity = f" of {model.__forward_arg__}"
            else:
                entity = f" of {model.__qualname__}" if model is not None else ""
            raise RuntimeError(
                f"{type(self).__qualname__}: no main repository{entity} was injected; pass"
                " main_repo= to the constructor, assign use_case.main_repo, or build the use"
                " case with loom.core.use_case.factory.UseCaseFactory"
            )
        return repo

    @main_repo.setter
    def main_repo(self, value: RepoT) -> None:
        self._main_repo = value

    @classmethod
    def describe_main_repo(cls) -> tuple[type[Any] | None, object]:
        """``(Model, Repo)`` as declared: ``Model`` is ``None`` for ``Any``, ``object`` or
        a type variable; ``Repo`` is ``typing.Any`` when not declared. A model written
        as a string (``UseCase["User", R]``) is looked up here, in the class's module."""
        model = cls.__loom_main_model__
        if isinstance(model, typing.ForwardRef):
            module = sys.modules.get(cls.__module__)
            try:
                found = eval(model.__forward_arg__, dict(vars(module)) if module else {})
            except Exception as error:
                raise TypeError(
                    f"{cls.__qualname__}: UseCase[{model.__forward_arg__!r}, ...] names no class"
                    f" of {cls.__module__} ({type(error).__name__}: {error})"
                ) from None
            model, _ = _main_contract(cls.__qualname__, (found, Any))
            cls.__loom_main_model__ = model
        assert not isinstance(model, typing.ForwardRef)
        return model, cls.__loom_main_repo_contract__

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


def has_main_repo(use_case: object) -> bool:
    """Whether ``use_case`` holds a main repository (given to its constructor, or assigned)."""
    return getattr(use_case, "_main_repo", None) is not None


def _main_contract(
    name: str, arguments: tuple[Any, ...]
) -> tuple[type[Any] | typing.ForwardRef | None, object]:
    if len(arguments) not in (2, 3):
        raise TypeError(
            f"{name}: declare UseCase[Model, Result] or UseCase[Model, Result, Repo],"
            f" not {len(arguments)} type arguments"
        )
    model = arguments[0]
    repo = arguments[2] if len(arguments) == 3 else Any
    if isinstance(model, typing.ForwardRef):
        return model, repo  # a string: its class may not exist yet (describe_main_repo)
    if model is Any or model is object or isinstance(model, typing.TypeVar):
        return None, repo
    if isinstance(typing.get_origin(model), type):
        model = typing.get_origin(model)  # Model[int] -> Model
    if not isinstance(model, type):
        raise TypeError(f"{name}: UseCase[Model, ...] takes a class as Model, got {model!r}")
    return model, repo
