"""Jobs dispatched through InlineJobService run after the commit, in both modes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loom.core.engine import RuntimeExecutor
from loom.core.job import (
    InlineJobService,
    Job,
    JobCallback,
    JobFailedError,
    JobGroup,
    NullJobCallback,
)
from loom.core.job.context import (
    add_pending_dispatch,
    clear_pending_dispatches,
    close_dispatch_scope,
    flush_pending_dispatches,
    open_dispatch_scope,
    pending_dispatch_count,
)
from tests.support import RecordingUnitOfWorkFactory
from tests.usecases.jobs import DispatchJobs, DoubleJob, FailingJob, RecordingCallback, RoutedJob

MakeExecutor = Callable[..., RuntimeExecutor]


class Builder:
    """The service's factory: callbacks get the journal, jobs are called bare."""

    def __init__(self) -> None:
        self.journal: list[tuple[str, ...]] = []
        self.built: list[type[Any]] = []

    def build(self, cls: type[Any]) -> Any:
        self.built.append(cls)
        return cls(self.journal) if cls is RecordingCallback else cls()


def test_routing_class_variables_default_and_override_per_class() -> None:
    assert (Job.__queue__, Job.__retries__, Job.__countdown__) == ("default", 0, 0)
    assert (Job.__timeout__, Job.__priority__) == (None, 0)
    assert (DoubleJob.__queue__, DoubleJob.__timeout__) == ("default", None)
    assert (RoutedJob.__queue__, RoutedJob.__retries__, RoutedJob.__countdown__) == ("heavy", 5, 10)
    assert (RoutedJob.__timeout__, RoutedJob.__priority__) == (600, 3)


def test_callbacks_fit_the_protocol_structurally() -> None:
    assert isinstance(NullJobCallback(), JobCallback)
    assert isinstance(RecordingCallback([]), JobCallback)
    assert not isinstance(object(), JobCallback)


async def test_dispatched_jobs_run_after_the_commit(make_executor: MakeExecutor) -> None:
    uow = RecordingUnitOfWorkFactory()
    executor = make_executor(uow_factory=uow)
    builder = Builder()
    service = InlineJobService(builder, executor)

    double, greet, failing = await executor.execute(DispatchJobs(service), params={"n": 4})

    # The call commits, then each job runs in a unit of work of its own.
    assert uow.journal == ["begin", "commit"] * 3 + ["begin", "rollback"]
    assert pending_dispatch_count() == 0
    assert double.wait() == 8
    assert greet.wait() == "hello user 4"
    assert (double.queue, greet.queue) == ("default", "default")
    with pytest.raises(JobFailedError, match="job refused 4") as failure:
        failing.wait()
    assert isinstance(failure.value.cause, ValueError)
    assert builder.journal == [("failure", failing.job_id, "ValueError", "job refused 4")]
    assert len({double.job_id, greet.job_id, failing.job_id}) == 3


async def test_dispatched_jobs_are_dropped_on_rollback(make_executor: MakeExecutor) -> None:
    uow = RecordingUnitOfWorkFactory()
    executor = make_executor(uow_factory=uow)
    builder = Builder()
    service = InlineJobService(builder, executor)

    with pytest.raises(ValueError, match="after dispatching"):
        await executor.execute(DispatchJobs(service, fail=True), params={"n": 4})

    assert uow.journal == ["begin", "rollback"]
    assert pending_dispatch_count() == 0
    assert builder.built == []


async def test_without_a_unit_of_work_the_caller_flushes(make_executor: MakeExecutor) -> None:
    executor = make_executor()
    service = InlineJobService(None, executor)

    handle = service.dispatch(RoutedJob, params={"n": 1}, queue="urgent")
    assert handle.queue == "urgent"
    with pytest.raises(RuntimeError, match="has not run yet"):
        handle.wait()
    await flush_pending_dispatches()
    assert handle.wait() == 2
    assert await service.run(RoutedJob, params={"n": 41}) == 42


async def test_dispatch_parallel_waits_in_order(make_executor: MakeExecutor) -> None:
    service = InlineJobService(None, make_executor())

    group = service.dispatch_parallel([(DoubleJob, {}), (FailingJob, {})])
    assert isinstance(group, JobGroup)
    await flush_pending_dispatches()
    # Both were dispatched without params: each failed binding its parameter.
    for handle in group.handles:
        with pytest.raises(JobFailedError, match="'n'"):
            handle.wait()
    with pytest.raises(NotImplementedError):
        group.then(DoubleJob)


def test_a_dispatch_scope_owns_what_is_queued_in_it_and_restores_the_outer_queue() -> None:
    def outer() -> None:
        return None

    def inner() -> None:
        return None

    add_pending_dispatch(outer)
    try:
        scope = open_dispatch_scope()
        assert pending_dispatch_count() == 0
        add_pending_dispatch(inner)
        assert close_dispatch_scope(scope) == [inner]
        assert pending_dispatch_count() == 1

        given: list[Callable[[], Any]] = []
        scope = open_dispatch_scope(given)
        add_pending_dispatch(inner)
        assert close_dispatch_scope(scope) is given
        assert given == [inner]

        scope = open_dispatch_scope()
        add_pending_dispatch(inner)
        clear_pending_dispatches()
        assert close_dispatch_scope(scope) == []
        assert pending_dispatch_count() == 1
    finally:
        clear_pending_dispatches()
