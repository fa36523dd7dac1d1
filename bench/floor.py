"""What loom's calling contract costs per call, whatever code runs behind it.

The hand-written baseline (:mod:`bench.handwritten`) is a function called
directly: it knows which use case it runs, whether it is inside a transaction,
and it reports nothing. An executor behind ``executor.execute(use_case, ...)``
cannot know any of that in advance. Per call it must at least:

* **enter**: a method with ``execute``'s signature, called with keywords, that
  finds what to run from the use case's class (one dict read) and creates the
  coroutine of that run one frame down, where hand-written code creates its
  own at the call site;
* **read the clock**: a failed call's summary line and event carry its
  duration, and the start can only be read before the pipeline;
* **check the level**: ``logging``'s public ``Logger.isEnabledFor(INFO)``, to
  know whether a successful call is observed (``[EXEC]``/``[DONE]`` lines);
* and, for a use case owning a unit of work, make it the current one for the
  calls nested in it: set and reset ``loom.core.uow.context.active_uow`` and
  the dispatch queue (:mod:`loom.core.job.context`), two context variables;
  a nested call reads ``active_uow`` to join it.

Each cost is measured here as the bare operation in the harness's loop, minus
the loop itself, interleaved with each shape's variants (so with the same
moments of a noisy machine as that shape's hand-written time). The floor adds
them to a shape's hand-written time: the least a generated executor could cost
while keeping the contract, with everything else (the pipeline) as cheap as
the hand-written one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from typing import Any

from bench.harness import Loop, Timings, make_loop
from loom.core.job.context import close_dispatch_scope, open_dispatch_scope
from loom.core.uow.context import active_uow

LOOP = "empty loop"
DIRECT = "call the run directly"
ENTER = "enter"
CLOCK = "clock"
LEVEL = "level check"
UNIT_OF_WORK = "unit-of-work context"
JOIN = "join a unit of work"


async def _run(
    use_case: Any,
    params: Mapping[str, Any],
    payload: Mapping[str, Any] | None,
    dependencies: Mapping[type[Any], Any] | None,
    load_overrides: Mapping[type[Any], Any] | None,
    runtime: object,
) -> None:
    """A run with a generated executor's arguments, doing nothing."""


class _Entry:
    """The least an ``execute(use_case, params=..., ...)`` entry point does:
    find the run of the use case's class, and call it."""

    def __init__(self, use_case_type: type[Any]) -> None:
        self._runs: dict[type[Any], Callable[..., Coroutine[Any, Any, None]]] = {
            use_case_type: _run
        }
        self._runtime = object()

    def execute(
        self,
        use_case: Any,
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | None = None,
        dependencies: Mapping[type[Any], Any] | None = None,
        load_overrides: Mapping[type[Any], Any] | None = None,
        read_only: bool = False,
    ) -> Coroutine[Any, Any, None]:
        run = self._runs[type(use_case)]
        return run(use_case, params, payload, dependencies, load_overrides, self._runtime)


def _own_unit_of_work(uow: object) -> None:
    """Make ``uow`` current, with a dispatch queue of its own, then restore both."""
    token = active_uow.set(uow)
    scope = open_dispatch_scope()
    close_dispatch_scope(scope)
    active_uow.reset(token)


class _UseCase:
    pass


def variants() -> dict[str, Loop]:
    """One loop per cost (synchronous: nothing here awaits; a coroutine that
    is created is closed at once, alike with and without the entry)."""
    entry = _Entry(_UseCase)
    level_check = partial(logging.getLogger("bench.floor").isEnabledFor, logging.INFO)
    names = {
        "execute": entry.execute,
        "run": _run,
        "use_case": _UseCase(),
        "params": {"user_id": 1},
        "payload": {"name": "Ada"},
        "runtime": object(),
    }
    return {
        LOOP: make_loop("None", {}, is_async=False),
        DIRECT: make_loop(
            "run(use_case, params, payload, None, None, runtime).close()", names, is_async=False
        ),
        ENTER: make_loop(
            "execute(use_case, params=params, payload=payload).close()", names, is_async=False
        ),
        CLOCK: make_loop("clock()", {"clock": perf_counter}, is_async=False),
        LEVEL: make_loop("observed()", {"observed": level_check}, is_async=False),
        UNIT_OF_WORK: make_loop(
            "own(uow)", {"own": _own_unit_of_work, "uow": object()}, is_async=False
        ),
        JOIN: make_loop("active_uow.get()", {"active_uow": active_uow}, is_async=False),
    }


@dataclass(frozen=True)
class Costs:
    """Nanoseconds per call of each cost: the empty loop taken out, and for
    ``enter`` the direct call of the run it makes."""

    enter: float
    clock: float
    level: float
    unit_of_work: float
    join: float

    @classmethod
    def from_timings(cls, timings: Timings) -> Costs:
        base = timings.median_us(LOOP)

        def ns(name: str, minus: float = base) -> float:
            return max(0.0, (timings.median_us(name) - minus) * 1000.0)

        enter = ns(ENTER, timings.median_us(DIRECT))
        return cls(enter, ns(CLOCK), ns(LEVEL), ns(UNIT_OF_WORK), ns(JOIN))

    @property
    def per_call(self) -> float:
        """What every call pays: enter, clock, level check."""
        return self.enter + self.clock + self.level

    def floor_us(self, hand_us: float, *, calls: int = 1, units_of_work: int = 0) -> float:
        """``hand_us`` plus the contract's costs for ``calls`` executions, of which
        ``units_of_work`` own a unit of work and the others join it."""
        joined = calls - units_of_work if units_of_work else 0
        extra = calls * self.per_call + units_of_work * self.unit_of_work + joined * self.join
        return hand_us + extra / 1000.0

    def describe(self) -> str:
        return (
            f"enter {self.enter:.0f} ns, clock {self.clock:.0f} ns, level check"
            f" {self.level:.0f} ns; owning a unit of work {self.unit_of_work:.0f} ns,"
            f" joining it {self.join:.0f} ns"
        )


SHAPE_CALLS: dict[str, tuple[int, int]] = {"place_order": (2, 1)}
"""Shapes that run more than one execution: (executions, of which own a unit of work)."""
