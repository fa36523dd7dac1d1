"""The unit of work around top-level calls, nesting, and pending dispatches."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from loom.core.engine import EventKind, RuntimeExecutor
from loom.core.errors import NotFound, RuleViolations
from loom.core.job.context import (
    add_pending_dispatch,
    clear_pending_dispatches,
    flush_pending_dispatches,
    pending_dispatch_count,
)
from loom.core.uow import get_active_uow
from tests.support import InMemoryRepository, RecordingMetrics, RecordingUnitOfWorkFactory
from tests.usecases.computes_rules import Register
from tests.usecases.domain import User
from tests.usecases.loads import GetUser
from tests.usecases.params import EchoParams
from tests.usecases.uow import (
    ActiveUow,
    DispatchExecution,
    Dispatching,
    FailInside,
    NestedOutcome,
    ReadOnlyActiveUow,
    RunNested,
)

MakeExecutor = Callable[..., RuntimeExecutor]


class CommitFailed(Exception):
    pass


class RollbackFailed(Exception):
    pass


@pytest.fixture
def factory() -> RecordingUnitOfWorkFactory:
    return RecordingUnitOfWorkFactory()


@pytest.fixture
def executor(make_executor: MakeExecutor, factory: RecordingUnitOfWorkFactory) -> RuntimeExecutor:
    return make_executor(uow_factory=factory)


# -- lifecycle --------------------------------------------------------------------------


async def test_a_successful_call_begins_and_commits_one_unit_of_work(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    active = await executor.execute(ActiveUow())

    assert len(factory.created) == 1
    assert active is factory.created[0]
    assert factory.journal == ["begin", "commit"]
    assert get_active_uow() is None


async def test_a_failing_call_rolls_back_and_reraises(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    with pytest.raises(ValueError, match="nope"):
        await executor.execute(FailInside(), params={"message": "nope"})

    assert factory.journal == ["begin", "rollback"]
    assert get_active_uow() is None


@pytest.mark.parametrize(
    ("use_case", "kwargs", "error_type"),
    [
        (Register, {"payload": {"email": "a@x", "name": "", "age": 1}}, RuleViolations),
        (EchoParams, {"params": {"name": "a"}}, ValueError),
        (
            GetUser,
            {"params": {"user_id": 1}, "dependencies": {User: InMemoryRepository()}},
            NotFound,
        ),
    ],
    ids=["rules", "params", "load"],
)
async def test_a_failure_in_any_pipeline_step_rolls_back(
    executor: RuntimeExecutor,
    factory: RecordingUnitOfWorkFactory,
    use_case: type[Any],
    kwargs: dict[str, Any],
    error_type: type[Exception],
) -> None:
    with pytest.raises(error_type):
        await executor.execute(use_case(), **kwargs)

    assert factory.journal == ["begin", "rollback"]


async def test_each_top_level_call_gets_its_own_unit_of_work(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    first = await executor.execute(ActiveUow())
    second = await executor.execute(ActiveUow())

    assert first is not second
    assert factory.created == [first, second]
    assert [uow.calls for uow in factory.created] == [["begin", "commit"]] * 2


async def test_concurrent_top_level_calls_do_not_share_a_unit_of_work(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    first, second = await asyncio.gather(
        executor.execute(ActiveUow()), executor.execute(ActiveUow())
    )

    assert first is not second
    assert {id(uow) for uow in factory.created} == {id(first), id(second)}
    assert [uow.calls for uow in factory.created] == [["begin", "commit"]] * 2


# -- nesting --------------------------------------------------------------------------------


async def test_a_nested_call_joins_the_outer_unit_of_work(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    outcome: NestedOutcome = await executor.execute(RunNested(executor, ActiveUow()))

    (uow,) = factory.created
    assert outcome.outer_uow is uow
    assert outcome.inner_result is uow
    assert factory.journal == ["begin", "commit"]


async def test_a_failed_nested_call_leaves_the_outer_unit_of_work_to_the_outer_call(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    outcome: NestedOutcome = await executor.execute(
        RunNested(executor, FailInside(), params={"message": "inner"}, swallow_errors=True)
    )

    assert isinstance(outcome.inner_error, ValueError)
    assert factory.journal == ["begin", "commit"]


async def test_a_nested_failure_that_propagates_rolls_back_once(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    with pytest.raises(ValueError, match="inner"):
        await executor.execute(RunNested(executor, FailInside(), params={"message": "inner"}))

    assert factory.journal == ["begin", "rollback"]


# -- no unit of work -------------------------------------------------------------------------


async def test_the_read_only_argument_skips_the_unit_of_work(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    assert await executor.execute(ActiveUow(), read_only=True) is None
    assert factory.created == []


async def test_the_read_only_class_attribute_skips_the_unit_of_work(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    assert await executor.execute(ReadOnlyActiveUow()) is None
    assert factory.created == []


async def test_without_a_factory_there_is_no_unit_of_work(make_executor: MakeExecutor) -> None:
    assert await make_executor().execute(ActiveUow()) is None


# -- commit and rollback failures ----------------------------------------------------------------


async def test_a_commit_failure_rolls_back_and_reaches_the_caller(
    make_executor: MakeExecutor,
) -> None:
    failure = CommitFailed("disk full")
    factory = RecordingUnitOfWorkFactory(fail_on_commit=failure)
    metrics = RecordingMetrics()
    executor = make_executor(uow_factory=factory, metrics=metrics)

    with pytest.raises(CommitFailed) as caught:
        await executor.execute(Dispatching(factory.journal), params={"label": "a"})

    assert caught.value is failure
    assert factory.journal == ["begin", "execute a", "commit", "rollback"]
    assert metrics.kinds == [EventKind.EXEC_START, EventKind.EXEC_ERROR]
    assert metrics.events[1].status == "failure"
    assert metrics.events[1].error is failure


async def test_a_rollback_failure_does_not_hide_the_original_error(
    make_executor: MakeExecutor,
) -> None:
    factory = RecordingUnitOfWorkFactory(fail_on_rollback=RollbackFailed("gone"))
    executor = make_executor(uow_factory=factory)

    with pytest.raises(ValueError, match="a failed"):
        await executor.execute(Dispatching(factory.journal, fail=True), params={"label": "a"})

    assert factory.journal == ["begin", "execute a", "rollback"]


async def test_commit_then_rollback_failures_report_the_commit_error(
    make_executor: MakeExecutor,
) -> None:
    factory = RecordingUnitOfWorkFactory(
        fail_on_commit=CommitFailed("commit"), fail_on_rollback=RollbackFailed("rollback")
    )
    executor = make_executor(uow_factory=factory)

    with pytest.raises(CommitFailed):
        await executor.execute(ActiveUow())

    assert factory.journal == ["begin", "commit", "rollback"]


# -- pending dispatches ------------------------------------------------------------------------


async def test_dispatches_run_after_commit_and_async_ones_are_awaited(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    result = await executor.execute(Dispatching(factory.journal), params={"label": "a"})

    assert result == "a"
    assert factory.journal == ["begin", "execute a", "commit", "dispatch a", "async dispatch a"]


async def test_a_dispatched_execution_runs_in_a_unit_of_work_of_its_own(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    results: list[Any] = []

    await executor.execute(DispatchExecution(executor, ActiveUow(), results))

    assert len(factory.created) == 2
    assert results == [factory.created[1]]
    assert factory.journal == ["begin", "commit", "begin", "commit"]
    assert get_active_uow() is None


async def test_dispatches_are_discarded_on_rollback(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    with pytest.raises(ValueError):
        await executor.execute(Dispatching(factory.journal, fail=True), params={"label": "a"})
    await executor.execute(Dispatching(factory.journal), params={"label": "b"})

    assert factory.journal == [
        "begin",
        "execute a",
        "rollback",
        "begin",
        "execute b",
        "commit",
        "dispatch b",
        "async dispatch b",
    ]


async def test_dispatches_of_a_nested_call_wait_for_the_outer_commit(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    await executor.execute(
        RunNested(executor, Dispatching(factory.journal), params={"label": "inner"})
    )

    assert factory.journal == [
        "begin",
        "execute inner",
        "commit",
        "dispatch inner",
        "async dispatch inner",
    ]


async def test_dispatches_of_a_nested_call_are_discarded_when_the_outer_call_fails(
    make_executor: MakeExecutor,
) -> None:
    factory = RecordingUnitOfWorkFactory(fail_on_commit=CommitFailed("commit"))
    executor = make_executor(uow_factory=factory)

    with pytest.raises(CommitFailed):
        await executor.execute(
            RunNested(executor, Dispatching(factory.journal), params={"label": "inner"})
        )

    assert factory.journal == ["begin", "execute inner", "commit", "rollback"]


async def test_without_a_unit_of_work_dispatches_wait_for_the_caller(
    make_executor: MakeExecutor,
) -> None:
    """No transaction to wait for: the executor neither runs nor drops them."""

    executor = make_executor()
    journal: list[str] = []

    await executor.execute(Dispatching(journal), params={"label": "a"})
    assert journal == ["execute a"]
    assert pending_dispatch_count() == 2

    await flush_pending_dispatches()
    assert journal == ["execute a", "dispatch a", "async dispatch a"]
    assert pending_dispatch_count() == 0


async def test_without_a_unit_of_work_a_failed_call_leaves_its_dispatches_to_the_caller(
    make_executor: MakeExecutor,
) -> None:
    executor = make_executor()
    journal: list[str] = []

    with pytest.raises(ValueError):
        await executor.execute(Dispatching(journal, fail=True), params={"label": "a"})
    assert pending_dispatch_count() == 2
    clear_pending_dispatches()
    await executor.execute(Dispatching(journal), params={"label": "b"})
    await flush_pending_dispatches()

    assert journal == ["execute a", "execute b", "dispatch b", "async dispatch b"]
    assert pending_dispatch_count() == 0


async def test_without_a_unit_of_work_a_call_adds_to_the_queue_it_finds(
    make_executor: MakeExecutor,
) -> None:
    """The caller queued first; everything waits, in order, for its flush."""

    executor = make_executor()
    journal: list[str] = []
    add_pending_dispatch(lambda: journal.append("caller's dispatch"))

    await executor.execute(Dispatching(journal), params={"label": "a"})
    assert journal == ["execute a"]
    assert pending_dispatch_count() == 3

    await flush_pending_dispatches()
    assert journal == ["execute a", "caller's dispatch", "dispatch a", "async dispatch a"]


async def test_without_a_unit_of_work_nested_calls_queue_for_the_caller_too(
    make_executor: MakeExecutor,
) -> None:
    executor = make_executor()
    journal: list[str] = []

    outcome = await executor.execute(
        RunNested(executor, Dispatching(journal), params={"label": "inner"})
    )

    assert outcome.inner_result == "inner"
    assert journal == ["execute inner"]
    assert pending_dispatch_count() == 2
    await flush_pending_dispatches()
    assert journal == ["execute inner", "dispatch inner", "async dispatch inner"]


async def test_a_unit_of_work_runs_only_what_was_queued_inside_it(
    make_executor: MakeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    """A read-only call opens none and leaves its dispatches queued, across a later one."""

    executor = make_executor(uow_factory=factory)
    journal: list[str] = []

    await executor.execute(Dispatching(journal), params={"label": "read"}, read_only=True)
    assert factory.journal == []
    assert pending_dispatch_count() == 2
    await executor.execute(Dispatching(factory.journal), params={"label": "write"})

    assert journal == ["execute read"]
    assert factory.journal == [
        "begin",
        "execute write",
        "commit",
        "dispatch write",
        "async dispatch write",
    ]
    assert pending_dispatch_count() == 2
    clear_pending_dispatches()


# -- patch points (tests written for loom-kernel patch these names) ----------------------------


async def test_a_patched_flush_is_awaited_once_after_commit_with_the_transactions_queue(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []

    async def fake_flush() -> None:
        seen.append((list(factory.journal), pending_dispatch_count(), get_active_uow()))

    cleared: list[int] = []
    monkeypatch.setattr("loom.core.engine.executor.flush_pending_dispatches", fake_flush)
    monkeypatch.setattr(
        "loom.core.engine.executor.clear_pending_dispatches", lambda: cleared.append(1)
    )

    await executor.execute(Dispatching(factory.journal), params={"label": "a"})

    assert seen == [(["begin", "execute a", "commit"], 2, None)]
    assert cleared == []
    # The fake ran nothing, and the queue it was given is gone with the transaction.
    assert factory.journal == ["begin", "execute a", "commit"]
    assert pending_dispatch_count() == 0


async def test_a_patched_clear_is_called_once_on_rollback_and_flush_is_not(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def fake_flush() -> None:
        calls.append("flush")

    monkeypatch.setattr("loom.core.engine.executor.flush_pending_dispatches", fake_flush)
    monkeypatch.setattr(
        "loom.core.engine.executor.clear_pending_dispatches", lambda: calls.append("clear")
    )

    with pytest.raises(ValueError):
        await executor.execute(Dispatching(factory.journal, fail=True), params={"label": "a"})

    assert calls == ["clear"]
    assert factory.journal == ["begin", "execute a", "rollback"]


async def test_patched_names_are_not_called_without_a_unit_of_work_of_its_own(
    make_executor: MakeExecutor,
    factory: RecordingUnitOfWorkFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    async def fake_flush() -> None:
        calls.append("flush")

    monkeypatch.setattr("loom.core.engine.executor.flush_pending_dispatches", fake_flush)
    monkeypatch.setattr(
        "loom.core.engine.executor.clear_pending_dispatches", lambda: calls.append("clear")
    )

    await make_executor().execute(EchoParams(), params={"user_id": 1, "name": "a"})
    with pytest.raises(ValueError):
        await make_executor().execute(EchoParams(), params={"user_id": 1})
    executor = make_executor(uow_factory=factory)
    await executor.execute(RunNested(executor, ActiveUow()))  # the inner call joins

    assert calls == ["flush"]
    assert factory.journal == ["begin", "commit"]


async def test_a_flush_wrapping_the_real_one_runs_the_dispatches(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    async def wrapping_flush() -> None:
        calls.append("flush")
        await flush_pending_dispatches()

    monkeypatch.setattr("loom.core.engine.executor.flush_pending_dispatches", wrapping_flush)

    await executor.execute(Dispatching(factory.journal), params={"label": "a"})

    assert calls == ["flush"]
    assert factory.journal == ["begin", "execute a", "commit", "dispatch a", "async dispatch a"]


async def test_what_a_patched_flush_queues_goes_to_the_callers_queue(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def queueing_flush() -> None:
        clear_pending_dispatches()
        add_pending_dispatch(lambda: factory.journal.append("queued by flush"))

    monkeypatch.setattr("loom.core.engine.executor.flush_pending_dispatches", queueing_flush)

    await executor.execute(Dispatching(factory.journal), params={"label": "a"})
    assert pending_dispatch_count() == 1
    await flush_pending_dispatches()

    assert factory.journal == ["begin", "execute a", "commit", "queued by flush"]


# -- bound calls and the coroutine execute returns -----------------------------------------


async def test_a_bound_call_owns_a_unit_of_work_and_a_nested_bound_call_joins_it(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    inner = executor.bound(ActiveUow)
    outer = executor.bound(RunNested)

    alone = await inner(ActiveUow())
    nested: NestedOutcome = await outer(RunNested(executor, ActiveUow()))
    read_only = await inner(ActiveUow(), read_only=True)

    first, second = factory.created
    assert alone is first
    assert nested.outer_uow is second
    assert nested.inner_result is second
    assert read_only is None
    assert factory.journal == ["begin", "commit", "begin", "commit"]


async def test_nothing_begins_before_the_coroutine_of_execute_is_awaited(
    executor: RuntimeExecutor, factory: RecordingUnitOfWorkFactory
) -> None:
    for _ in range(2):  # before and after the class is prepared
        call = executor.execute(ActiveUow())
        assert factory.journal == []
        assert await call is factory.created[-1]
        assert factory.journal == ["begin", "commit"]
        factory.journal.clear()
