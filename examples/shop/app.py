"""Wiring: database, repositories, executor, job service and an in-memory metrics recorder.

``await ShopApp.open(path)`` is the whole application; tests swap in their
own executor through ``executor_factory`` (it receives ``uow_factory``,
``repo_resolver`` and ``metrics`` as keyword arguments).

Jobs (the order confirmation e-mail) run in this process after the commit
(:class:`~loom.core.job.InlineJobService`), or on Celery workers when the
environment says ``LOOM_JOBS=celery`` and ``LOOM_CELERY_BROKER_URL=<url>``
(:class:`~loom.celery.service.CeleryJobService`; start a worker with
``make worker``).
"""

from __future__ import annotations

import os
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
from loom.core.job import InlineJobService, JobService
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


class JobHost(Protocol):
    """What a job service is built from: the executor and the factory of job instances."""

    @property
    def executor(self) -> RuntimeExecutor: ...

    def build(self, cls: type[T]) -> T: ...


JobServiceFactory = Callable[["ShopApp"], JobService]


def job_service_from_environment(app: JobHost, metrics: MetricsAdapter | None = None) -> JobService:
    """``LOOM_JOBS=celery`` (with ``LOOM_CELERY_BROKER_URL``): Celery; unset or ``inline``: inline.

    Raises ``ValueError`` for any other value, or Celery without a broker URL.
    """
    kind = os.environ.get("LOOM_JOBS", "inline").strip().lower() or "inline"
    if kind == "inline":
        return InlineJobService(app, app.executor)
    if kind != "celery":
        raise ValueError(f"LOOM_JOBS={kind!r}: expected 'inline' (the default) or 'celery'")
    broker_url = os.environ.get("LOOM_CELERY_BROKER_URL", "").strip()
    if not broker_url:
        raise ValueError(
            "LOOM_JOBS=celery needs LOOM_CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0)"
        )
    # Imported here: Celery is an optional extra (pip install 'loomgen[celery]').
    from loom.celery.config import CeleryConfig, create_celery_app
    from loom.celery.service import CeleryJobService

    celery_app = create_celery_app(CeleryConfig(broker_url=broker_url))
    return CeleryJobService(celery_app, metrics=metrics, factory=app, executor=app.executor)


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
        job_service: JobServiceFactory | None = None,
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
        self.jobs = (
            job_service(self)
            if job_service is not None
            else job_service_from_environment(self, self.metrics)
        )
        self.services = ShopServices(
            users=self.users,
            products=self.products,
            orders=self.orders,
            executor=self.executor,
            jobs=self.jobs,
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
        job_service: JobServiceFactory | None = None,
    ) -> ShopApp:
        """Open (or create) the database at ``path`` and wire the shop on it.

        ``execution_mode``/``generated_package`` go to the default executor;
        ``executor_factory`` replaces it. ``uow_factory`` builds the unit of
        work factory from the database (tests wrap it to count transactions).
        ``job_service`` builds the job service from the app (by default
        :func:`job_service_from_environment`).
        """
        database = await Database.open(path, fresh=fresh, pool_size=pool_size)
        if executor_factory is None:
            executor_factory = default_executor_factory(
                execution_mode=execution_mode,
                generated_package=generated_package,
                logger=logger,
            )
        try:
            return cls(
                database,
                executor_factory=executor_factory,
                uow_factory=None if uow_factory is None else uow_factory(database),
                outbox=outbox,
                job_service=job_service,
            )
        except BaseException:
            await database.close()
            raise

    def build(self, cls: type[T]) -> T:
        """The job services' factory: a shop job or use case class, wired to this app."""
        return cls(self.services)  # type: ignore[call-arg]

    def make(self, use_case_type: Callable[[ShopServices], T]) -> T:
        """A new instance of a shop use case or job, wired to this app."""
        return use_case_type(self.services)

    def mode_of(self, use_case_type: type[Any]) -> str:
        """``"generated"`` or ``"interpreted"``: how calls of that class run."""
        return "generated" if self.executor.uses_generated(use_case_type) else "interpreted"

    async def close(self) -> None:
        await self.database.close()
