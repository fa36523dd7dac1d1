"""Building use cases with their main repository: :class:`UseCaseFactory`.

A use case declared ``UseCase[User, ...]`` reads its repository as
``self.main_repo``. Something must give it one; loom does not impose a
dependency-injection container, so the factory here asks the same
repository resolver the executor uses (``repo_resolver(User)``):

.. code-block:: python

    repositories = {User: UserRepository(session), Product: ProductRepository(session)}
    executor = RuntimeExecutor(UseCaseCompiler(), repo_resolver=repositories.__getitem__)
    factory = UseCaseFactory(repositories.__getitem__)

    use_case = factory.build(CreateUserUseCase)       # main_repo = repositories[User]
    await executor.execute(use_case, payload=...)

``build(cls, **dependencies)`` calls ``cls(**dependencies)`` and, when the
class declares a main model and the instance has no main repository yet,
sets it. Jobs and job callbacks go through ``build`` too (it is the factory
:class:`~loom.core.job.service.InlineJobService` expects); they declare no
main model and are just created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from loom.core.use_case.use_case import has_main_repo

T = TypeVar("T")


class UseCaseFactory:
    """Creates use cases (and jobs, callbacks) and injects their main repository."""

    def __init__(self, repo_resolver: Callable[[type[Any]], Any]) -> None:
        self._repo_resolver = repo_resolver

    def build(self, cls: type[T], **dependencies: Any) -> T:
        """``cls(**dependencies)``, with ``main_repo`` set from the resolver when declared."""
        instance = cls(**dependencies)
        describe = getattr(cls, "describe_main_repo", None)
        model = describe()[0] if callable(describe) else None
        if model is not None and not has_main_repo(instance):
            instance.main_repo = self._repo_resolver(model)  # type: ignore[attr-defined]
        return instance


__all__ = ["UseCaseFactory"]
