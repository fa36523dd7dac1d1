"""Wiring: database, repositories, executor and an in-memory metrics recorder.

``await ShopApp.open(path)`` is the whole application; tests swap in their
own executor through ``executor_factory`` (it receives ``uow_factory``,
``repo_resolver`` and ``metrics`` as keyword arguments).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from examples.shop.db import Database, SqliteUnitOfWorkFactory
from examples.shop.domain import Order, Product, User
from examples.shop.repositories import OrderRepository, ProductRepository, UserRepository
from examples.shop.services import Outbox, ShopServices
from loom.core.engine import (
    EventKind,
    ExecutionMode,
    MetricsAdapter,
    RuntimeEvent,
    RuntimeExecutor,
    UseCaseCompiler,
)
from loom.core.logger import LoggerPort
from loom.core.uow import UnitOfWorkFactory

T = TypeVar("T")

RepoResolver = Callable[[type[Any]], Any]


class InMemoryMetrics:
    """A :class:`~loom.core.engine.MetricsAdapter` that keeps every event."""

    def __init__(self) -> None:
        self.events: list[RuntimeEvent] = []

    def on_event(self, event: RuntimeEvent) -> None:
        self.events.append(event)

    def counts(self) -> Counter[EventKind]:
        """How many events of each kind were received."""
        return Counter(event.kind for event in self.events)

    def counts_by_use_case(self) -> Counter[tuple[str, EventKind]]:
        return Counter((event.use_case_name, event.kind) for event in self.events)

    def clear(self) -> None:
        self.events.clear()


class ExecutorFactory(Protocol):
    """Builds the executor from the pieces the shop provides."""

    def __call__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        repo_resolver: RepoResolver,
        metrics: MetricsAdapter,
    ) -> RuntimeExecutor: ...


def default_executor_factory(
    *,
    execution_mode: ExecutionMode | str | None = None,
    generated_package: str | None = None,
    logger: LoggerPort | None = None,
) -> ExecutorFactory:
    """An :class:`ExecutorFactory` with its own compiler (reporting to ``metrics`` too)."""

    def build(
        *,
        uow_factory: UnitOfWorkFactory,
        repo_resolver: RepoResolver,
        metrics: MetricsAdapter,
    ) -> RuntimeExecutor:
        return RuntimeExecutor(
            UseCaseCompiler(logger=logger, metrics=metrics),
            uow_factory=uow_factory,
            repo_resolver=repo_resolver,
            metrics=metrics,
            logger=logger,
            execution_mode=execution_mode,
            generated_package=generated_package,
        )

    return build


class ShopApp:
    """The shop, assembled. Build it with :meth:`open`; ``await close()`` at the end."""

    def __init__(
        self,
        database: Database,
        *,
        executor_factory: ExecutorFactory,
        uow_factory: UnitOfWorkFactory | None = None,
        metrics: InMemoryMetrics | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.database = database
        self.metrics = metrics if metrics is not None else InMemoryMetrics()
        self.outbox = outbox if outbox is not None else Outbox()
        self.uow_factory = (
            uow_factory if uow_factory is not None else SqliteUnitOfWorkFactory(database)
        )
        self.users = UserRepository(database)
        self.products = ProductRepository(database)
        self.orders = OrderRepository(database)
        self.repositories: Mapping[type[Any], Any] = {
            User: self.users,
            Product: self.products,
            Order: self.orders,
        }
        self.executor = executor_factory(
            uow_factory=self.uow_factory,
            repo_resolver=self.repositories.get,
            metrics=self.metrics,
        )
        self.services = ShopServices(
            users=self.users,
            products=self.products,
            orders=self.orders,
            executor=self.executor,
            outbox=self.outbox,
        )

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        fresh: bool = False,
        pool_size: int = 4,
        execution_mode: ExecutionMode | str | None = None,
        generated_package: str | None = None,
        executor_factory: ExecutorFactory | None = None,
        uow_factory: Callable[[Database], UnitOfWorkFactory] | None = None,
        outbox: Outbox | None = None,
        logger: LoggerPort | None = None,
    ) -> ShopApp:
        """Open (or create) the database at ``path`` and wire the shop on it.

        ``execution_mode``/``generated_package`` go to the default executor;
        ``executor_factory`` replaces it. ``uow_factory`` builds the unit of
        work factory from the database (tests wrap it to count transactions).
        """
        database = await Database.open(path, fresh=fresh, pool_size=pool_size)
        if executor_factory is None:
            executor_factory = default_executor_factory(
                execution_mode=execution_mode,
                generated_package=generated_package,
                logger=logger,
            )
        return cls(
            database,
            executor_factory=executor_factory,
            uow_factory=None if uow_factory is None else uow_factory(database),
            outbox=outbox,
        )

    def make(self, use_case_type: Callable[[ShopServices], T]) -> T:
        """A new instance of a shop use case or job, wired to this app."""
        return use_case_type(self.services)

    def mode_of(self, use_case_type: type[Any]) -> str:
        """``"generated"`` or ``"interpreted"``: how calls of that class run."""
        return "generated" if self.executor.uses_generated(use_case_type) else "interpreted"

    async def close(self) -> None:
        await self.database.close()
