"""Use cases for the unit of work, nested executions and pending dispatches."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

from loom.core.engine import RuntimeExecutor
from loom.core.job.context import add_pending_dispatch
from loom.core.uow.context import get_active_uow
from loom.core.use_case import UseCase


class ActiveUow(UseCase[Any, Any]):
    """Returns the unit of work active while ``execute`` runs."""

    async def execute(self) -> Any:
        return get_active_uow()


class ReadOnlyActiveUow(UseCase[Any, Any]):
    read_only = True

    async def execute(self) -> Any:
        return get_active_uow()


class FailInside(UseCase[Any, None]):
    async def execute(self, message: str) -> None:
        raise ValueError(message)


async def record_later(journal: list[str], entry: str) -> None:
    await asyncio.sleep(0)
    journal.append(entry)


class Dispatching(UseCase[Any, str]):
    """Queues a sync and an async dispatch, then succeeds or fails."""

    def __init__(self, journal: list[str], *, fail: bool = False) -> None:
        self.journal = journal
        self.fail = fail

    async def execute(self, label: str) -> str:
        journal = self.journal
        add_pending_dispatch(lambda: journal.append(f"dispatch {label}"))
        add_pending_dispatch(functools.partial(record_later, journal, f"async dispatch {label}"))
        journal.append(f"execute {label}")
        if self.fail:
            raise ValueError(f"{label} failed")
        return label


@dataclass(frozen=True)
class NestedOutcome:
    outer_uow: Any
    inner_result: Any
    inner_error: Exception | None


class RunNested(UseCase[Any, NestedOutcome]):
    """Executes another use case through the same executor from inside ``execute``."""

    def __init__(
        self,
        executor: RuntimeExecutor,
        inner: Any,
        *,
        params: dict[str, Any] | None = None,
        swallow_errors: bool = False,
    ) -> None:
        self.executor = executor
        self.inner = inner
        self.params = params
        self.swallow_errors = swallow_errors

    async def execute(self) -> NestedOutcome:
        outer_uow = get_active_uow()
        try:
            result = await self.executor.execute(self.inner, params=self.params)
        except Exception as error:
            if not self.swallow_errors:
                raise
            return NestedOutcome(outer_uow, None, error)
        return NestedOutcome(outer_uow, result, None)


class DispatchExecution(UseCase[Any, None]):
    """Queues, as a dispatch, the execution of another use case."""

    def __init__(self, executor: RuntimeExecutor, inner: Any, results: list[Any]) -> None:
        self.executor = executor
        self.inner = inner
        self.results = results

    async def execute(self) -> None:
        executor, inner, results = self.executor, self.inner, self.results

        async def run_inner() -> None:
            results.append(await executor.execute(inner))

        add_pending_dispatch(run_inner)
