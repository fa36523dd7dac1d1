"""``bench/floor.py``: the contract's per-call costs that ``make bench`` adds to
a hand-written time to print each shape's floor."""

from __future__ import annotations

import asyncio

import pytest

from bench import floor
from bench.harness import Timings


def test_every_cost_loop_runs_and_times_itself() -> None:
    async def run_all() -> dict[str, float]:
        return {name: await loop(50) for name, loop in floor.variants().items()}

    seconds = asyncio.run(run_all())
    assert set(seconds) == {
        floor.LOOP,
        floor.DIRECT,
        floor.ENTER,
        floor.CLOCK,
        floor.LEVEL,
        floor.UNIT_OF_WORK,
        floor.JOIN,
    }
    assert all(value >= 0.0 for value in seconds.values())


def test_costs_are_taken_net_of_the_empty_loop() -> None:
    per_call = {
        floor.LOOP: [0.010e-6],
        floor.DIRECT: [0.200e-6],  # the run called without the entry
        floor.ENTER: [0.260e-6],
        floor.CLOCK: [0.050e-6],
        floor.LEVEL: [0.060e-6],
        floor.UNIT_OF_WORK: [0.410e-6],
        floor.JOIN: [0.005e-6],  # faster than the empty loop: noise, counted as 0
    }
    costs = floor.Costs.from_timings(Timings(per_call))
    assert costs.enter == pytest.approx(60.0)
    assert costs.clock == pytest.approx(40.0)
    assert costs.level == pytest.approx(50.0)
    assert costs.unit_of_work == pytest.approx(400.0)
    assert costs.join == 0.0
    assert costs.per_call == pytest.approx(150.0)


def test_the_floor_adds_each_execution_and_each_unit_of_work() -> None:
    costs = floor.Costs(enter=60.0, clock=40.0, level=50.0, unit_of_work=400.0, join=10.0)
    assert costs.floor_us(1.0) == pytest.approx(1.15)
    # Nested: two executions, the outer owning a unit of work, the inner joining it.
    assert costs.floor_us(1.0, calls=2, units_of_work=1) == pytest.approx(1.0 + 0.3 + 0.4 + 0.01)
    assert floor.SHAPE_CALLS["place_order"] == (2, 1)
