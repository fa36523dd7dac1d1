"""With no metrics adapter and logging at its default level, a call builds nothing to observe.

Counted per successful call, in both execution modes: ``RuntimeEvent`` objects,
stdlib log records (``Logger.makeRecord``/``Logger._log``), calls into the
default ``StdlibLogger`` (every executor log line is an f-string built in
the argument list of such a call, so no call means no message string), its
lazy ``_Line`` messages, and pipeline step logs. Positive controls show that
each counter does see what it counts once someone listens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from loom.core.engine import RuntimeEvent, RuntimeExecutor
from loom.core.engine.steps import StepRuntime
from loom.core.errors import RuleViolations
from loom.core.logger.port import StdlibLogger, _Line
from tests.support import InMemoryRepository, RecordingMetrics
from tests.usecases.domain import Team, User
from tests.usecases.perf import EveryStep, ParamsOnly

MakeExecutor = Callable[..., RuntimeExecutor]

CALLS = 25
USERS = [User(1, "ann@example.com", "Ann"), User(2, "bob@example.com", "Bob")]
PAYLOAD = {"owner_email": "bob@example.com", "team_name": "core"}


@pytest.fixture
def default_logging() -> Iterator[None]:
    """Logging as an application that configured nothing leaves it (root at WARNING)."""
    names = ["loom", "loom.executor", "loom.compiler"]
    root = logging.getLogger()
    saved = (root.level, [logging.getLogger(name).level for name in names])
    root.setLevel(logging.WARNING)
    for name in names:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    root.setLevel(saved[0])
    for name, level in zip(names, saved[1], strict=True):
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def counters(monkeypatch: pytest.MonkeyPatch) -> Callable[[], dict[str, int]]:
    """Install the counters; calling the result returns (and resets) the counts."""
    counts: dict[str, int] = {}

    def counting(owner: Any, name: str, key: str) -> None:
        real = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[key] = counts.get(key, 0) + 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    counting(RuntimeEvent, "__init__", "events")
    counting(logging.Logger, "makeRecord", "records")
    counting(logging.Logger, "_log", "records")
    for level in ("debug", "info", "warning", "error", "exception"):
        counting(StdlibLogger, level, "messages")
    counting(_Line, "__init__", "messages")
    counting(_Line, "__str__", "formatted")
    counting(StepRuntime, "step", "steps")
    counting(StepRuntime, "rule_failed", "rule logs")

    def take() -> dict[str, int]:
        found = dict(counts)
        counts.clear()
        return found

    return take


def repositories() -> dict[type[Any], Any]:
    return {User: InMemoryRepository(USERS), Team: InMemoryRepository([Team(7, "core")])}


async def run_calls(executor: RuntimeExecutor) -> None:
    deps = repositories()
    for _ in range(CALLS):
        assert (
            await executor.execute(
                EveryStep(), params={"user_id": 1}, payload=PAYLOAD, dependencies=deps
            )
            == 4
        )
        assert await executor.execute(ParamsOnly(), params={"user_id": 1, "page": 2}) == 3


async def test_a_quiet_call_builds_no_event_record_or_message(
    make_executor: MakeExecutor,
    execution_mode: str,
    default_logging: None,
    counters: Callable[[], dict[str, int]],
) -> None:
    executor = make_executor()
    assert executor.uses_generated(EveryStep) is (execution_mode == "generated")
    await run_calls(executor)  # warm-up: preparing a class may log
    counters()

    await run_calls(executor)

    assert counters() == {}


async def test_the_counters_see_events_and_log_lines_when_someone_listens(
    make_executor: MakeExecutor,
    default_logging: None,
    counters: Callable[[], dict[str, int]],
) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics, debug_execution=True)
    await run_calls(executor)
    counters()
    logging.getLogger("loom.executor").setLevel(logging.INFO)

    await run_calls(executor)

    seen = counters()
    assert seen["events"] == 2 * 2 * CALLS  # start and done, two use cases
    assert seen["records"] >= 2 * 2 * CALLS and seen["messages"] >= 2 * 2 * CALLS
    assert seen["steps"] > 0


async def test_a_failure_is_still_reported_at_the_default_level(
    make_executor: MakeExecutor,
    default_logging: None,
    counters: Callable[[], dict[str, int]],
) -> None:
    executor = make_executor()
    await run_calls(executor)
    counters()

    with pytest.raises(RuleViolations):
        await executor.execute(
            EveryStep(),
            params={"user_id": 1},
            payload={"owner_email": "bob@example.com", "team_name": ""},
            dependencies={User: InMemoryRepository(USERS), Team: InMemoryRepository()},
        )

    seen = counters()
    assert seen.get("events", 0) == 0
    assert seen["rule logs"] == 2  # one warning per violated rule
    assert seen["records"] >= 3  # those two and the failure summary
