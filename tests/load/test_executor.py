"""Load: 10,000 concurrent executions, nested use cases and failures, in both modes.

Each of the 10,000 tasks sets a trace id of its own and runs one of ten
kinds of call through one executor (``asyncio.gather``): transfers that
succeed, that break a rule, that miss their account, whose nested ``Audit``
fails, that fail after the nested call, that get a wrong-typed parameter,
and a read-only sync job (found or not). Then:

* inside every ``execute`` (outer and nested) the trace id is the task's
  and the active unit of work is the one created for that task (the nested
  call joined it; the read-only job has none);
* every dispatch ran after its unit of work closed, in its own task's
  context, exactly for the calls that succeeded (two each), never for the
  others;
* every unit of work began and then committed or rolled back, exactly as
  its call ended; there is one per non-read-only call;
* each failure is the task's own (its message names the trace id);
* back in each task after the call: no active unit of work, no pending
  dispatch, the same trace id.

Memory: ``tracemalloc`` measures the traced memory after a warm-up round
and again after the 10,000-call round (everything the test itself kept is
dropped and ``gc.collect()`` run before each measurement); see
:data:`TOLERANCE` for the bound.
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from loom.core.engine import ParameterBindingError, RuntimeExecutor, UseCaseCompiler
from loom.core.errors import NotFound, RuleViolations
from loom.core.job.context import pending_dispatch_count
from loom.core.tracing import get_trace_id, set_trace_id
from loom.core.uow.context import get_active_uow
from tests.load import usecases as load_usecases
from tests.load.usecases import Account, Audit, Balance, Services, Transfer
from tests.tmp_project import build_generated

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COUNT = 10_000
WARM_UP = 2_000
TOLERANCE = 256 * 1024
"""Allowed growth of traced memory across the 10,000-call round, in bytes.

The round runs 10,000 top-level and 5,000 nested executions; leaking even
the smallest object per execution (an empty dict or list is 56-64 bytes; a
context, a unit of work or a dispatch closure is more) would keep at least
~0.8 MB. What may legitimately stay (interned strings, grown free lists,
one-off caches filled by the first calls of a kind) is bounded and was
measured at about 2 KB; 256 KiB sits well between the two. (asyncio's
set of all tasks keeps the table it grew for 10,000 tasks, 1 MiB: the
warm-up grows it first.)
"""

KINDS = (
    "ok",
    "ok-large",
    "rule-violation",
    "missing-account",
    "audit-fails",
    "transfer-fails",
    "balance",
    "ok-again",
    "bad-param",
    "balance-missing",
)
FAILING = {"rule-violation", "missing-account", "audit-fails", "transfer-fails", "bad-param"}
READ_ONLY = {"balance", "balance-missing"}


class NullLogger:
    """Keeps nothing (a recording logger would grow with every call)."""

    def bind(self, **fields: Any) -> NullLogger:
        return self

    def debug(self, event: str, **fields: Any) -> None: ...

    def info(self, event: str, **fields: Any) -> None: ...

    def warning(self, event: str, **fields: Any) -> None: ...

    def error(self, event: str, **fields: Any) -> None: ...

    def exception(self, event: str, **fields: Any) -> None: ...


class Accounts:
    def __init__(self) -> None:
        self.accounts = {i: Account(i, f"owner-{i}") for i in range(1, 50)}

    async def get_by_id(self, value: Any, *, profile: str) -> Account | None:
        await asyncio.sleep(0)
        return self.accounts.get(value)

    async def exists_by(self, field: str, value: Any) -> bool:
        return any(getattr(a, field) == value for a in self.accounts.values())


class Uow:
    __slots__ = ("trace_id", "calls")

    def __init__(self, trace_id: str | None) -> None:
        self.trace_id = trace_id
        self.calls: list[str] = []

    async def begin(self) -> None:
        self.calls.append("begin")
        await asyncio.sleep(0)

    async def commit(self) -> None:
        self.calls.append("commit")
        await asyncio.sleep(0)

    async def rollback(self) -> None:
        self.calls.append("rollback")
        await asyncio.sleep(0)


class UowFactory:
    def __init__(self) -> None:
        self.created: list[Uow] = []

    def create(self) -> Uow:
        uow = Uow(get_trace_id())
        self.created.append(uow)
        return uow


@pytest.fixture(scope="module")
def load_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    output = tmp_path_factory.mktemp("load") / "loom_load_generated"
    yield from build_generated([Path(load_usecases.__file__)], output, ROOT)


@pytest.fixture(params=["interpreted", "generated"])
def executor_parts(
    request: pytest.FixtureRequest, load_package: str
) -> tuple[RuntimeExecutor, UowFactory]:
    factory = UowFactory()
    executor = RuntimeExecutor(
        UseCaseCompiler(logger=NullLogger()),
        uow_factory=factory,
        logger=NullLogger(),
        repo_resolver={Account: Accounts()}.get,
        execution_mode=request.param,
        generated_package=load_package,
    )
    expected = request.param == "generated"
    for use_case in (Transfer, Audit, Balance):
        assert executor.uses_generated(use_case) is expected
    return executor, factory


def call(executor: RuntimeExecutor, services: Services, kind: str, i: int) -> Any:
    account_id = 1 + i % 40
    if kind in ("balance", "balance-missing"):
        return executor.execute(
            Balance(services), params={"account_id": account_id if kind == "balance" else 404}
        )
    params: dict[str, Any] = {"account_id": account_id}
    payload: dict[str, Any] = {"amount": 10 + i % 7}
    if kind == "ok-large":
        payload["amount"] = 10_000 + i
    elif kind == "rule-violation":
        payload["amount"] = 0
    elif kind == "missing-account":
        params["account_id"] = 404
    elif kind == "audit-fails":
        payload["fail_at"] = "audit"
    elif kind == "transfer-fails":
        payload["fail_at"] = "transfer"
    elif kind == "bad-param":
        params["account_id"] = "not a number"
    return executor.execute(Transfer(services), params=params, payload=payload)


def check_outcome(kind: str, i: int, outcome: Any) -> None:
    trace_id = f"t-{i}"
    account_id = 1 + i % 40
    if kind in ("ok", "ok-large", "ok-again"):
        assert isinstance(outcome, str) and f"owner-{account_id}" in outcome, outcome
    elif kind == "rule-violation":
        assert isinstance(outcome, RuleViolations), outcome
    elif kind in ("missing-account", "balance-missing"):
        assert isinstance(outcome, NotFound) and outcome.id == 404, outcome
    elif kind == "audit-fails":
        assert isinstance(outcome, ValueError) and trace_id in str(outcome), outcome
        assert str(outcome).endswith(f"for {trace_id}")
    elif kind == "transfer-fails":
        assert isinstance(outcome, RuntimeError) and str(outcome).endswith(f"for {trace_id}")
    elif kind == "bad-param":
        assert isinstance(outcome, ParameterBindingError), outcome
    elif kind == "balance":
        assert outcome == account_id * 100
    else:  # pragma: no cover
        raise AssertionError(kind)
    assert not isinstance(outcome, ValidationError)


async def run_round(executor: RuntimeExecutor, factory: UowFactory, count: int) -> Counter[str]:
    """``count`` concurrent calls; every isolation check; returns how many of each kind ran."""
    services = Services(executor)
    factory.created.clear()

    async def one(i: int) -> tuple[int, Any]:
        trace_id = f"t-{i}"
        set_trace_id(trace_id)
        await asyncio.sleep(0)
        try:
            outcome: Any = await call(executor, services, KINDS[i % len(KINDS)], i)
        except Exception as error:  # noqa: BLE001 - checked below
            outcome = error
        # Nothing of the execution is left in this task's context.
        assert get_active_uow() is None
        assert pending_dispatch_count() == 0
        assert get_trace_id() == trace_id
        return i, outcome

    results = await asyncio.gather(*(one(i) for i in range(count)))
    assert get_active_uow() is None and pending_dispatch_count() == 0

    kinds = Counter[str]()
    for i, outcome in results:
        kind = KINDS[i % len(KINDS)]
        kinds[kind] += 1
        check_outcome(kind, i, outcome)

    # Inside execute: the task's trace id, the unit of work created for that task.
    uows_by_trace: dict[str | None, set[int]] = {}
    for who, trace_id, uow in services.probe.seen:
        if who == "balance":
            assert uow is None
        else:
            assert uow is not None and uow.trace_id == trace_id, (who, trace_id)
            uows_by_trace.setdefault(trace_id, set()).add(id(uow))
    assert all(len(ids) == 1 for ids in uows_by_trace.values())  # nested joined the outer one

    # Dispatches: after the unit of work, in the queuing task's context, only for successes.
    dispatched = Counter[tuple[str | None, str]]()
    for label, queued_in, ran_in, uow in services.probe.dispatched:
        assert ran_in == queued_in and uow is None, (label, queued_in, ran_in)
        dispatched[(queued_in, label)] += 1
    expected = Counter[tuple[str | None, str]]()
    for i in range(count):
        if KINDS[i % len(KINDS)] in ("ok", "ok-large", "ok-again"):
            expected[(f"t-{i}", "transfer")] += 1
            expected[(f"t-{i}", "audit")] += 1
    assert dispatched == expected

    # One unit of work per non-read-only call, ended as the call ended.
    created = factory.created
    assert len(created) == sum(1 for i in range(count) if KINDS[i % len(KINDS)] not in READ_ONLY)
    assert len({uow.trace_id for uow in created}) == len(created)
    for uow in created:
        assert uow.trace_id is not None
        kind = KINDS[int(uow.trace_id[2:]) % len(KINDS)]
        ending = "rollback" if kind in FAILING else "commit"
        assert uow.calls == ["begin", ending], (kind, uow.calls)
    factory.created.clear()
    return kinds


async def settle() -> None:
    """Let the loop finish the step that resumed us, then collect.

    The loop's handle that woke this task (holding the finished ``gather``
    future, hence every task and result of the round) lives until the
    current step ends, so measuring right after ``await gather`` would count
    the whole round as retained.
    """
    for _ in range(3):
        await asyncio.sleep(0)
    gc.collect()


async def test_ten_thousand_concurrent_executions_share_nothing_and_leak_nothing(
    executor_parts: tuple[RuntimeExecutor, UowFactory],
) -> None:
    executor, factory = executor_parts
    gc.collect()
    tracemalloc.start()
    try:
        # asyncio's set of all tasks grows its table to hold 10,000 tasks and never
        # shrinks it (1 MiB): grow it first, with tasks that do nothing.
        await asyncio.gather(*(asyncio.sleep(0) for _ in range(COUNT + 100)))
        await run_round(executor, factory, WARM_UP)
        await run_round(executor, factory, WARM_UP)
        await settle()
        baseline = tracemalloc.get_traced_memory()[0]
        kinds = await run_round(executor, factory, COUNT)
        await settle()
        after = tracemalloc.get_traced_memory()[0]
        top = tracemalloc.take_snapshot() if after - baseline >= TOLERANCE else None
    finally:
        tracemalloc.stop()
    assert sum(kinds.values()) == COUNT and set(kinds) == set(KINDS)
    growth = after - baseline
    detail = ""
    if top is not None:
        stats = top.statistics("lineno")[:10]
        detail = "\n".join(str(stat) for stat in stats)
    assert growth < TOLERANCE, f"traced memory grew by {growth} bytes:\n{detail}"
