"""loom-kernel 0.12.3's guide examples give loom-kernel's own results here, in both modes.

``tests/migration`` holds the use cases of loom-kernel's REST quickstart and
use-case DSL guide, unchanged, and a command declared with ``msgspec.field``
and ``msgspec.Meta``; ``tests/migration/scenarios.py`` runs requests against
them with in-memory repositories. ``kernel_0_12_3.json`` is what loom-kernel
0.12.3 itself returned for the same requests (recorded once with
``tests/migration/record.py`` in a venv of its own). Here the same scenarios
run through loom's executor, interpreted and generated, and must give the
same results, errors and repository rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loom.core.engine import RuntimeExecutor
from tests.migration import scenarios

RECORDING = Path(__file__).parents[1] / "migration" / "kernel_0_12_3.json"


def test_the_recording_is_loom_kernels() -> None:
    recording = json.loads(RECORDING.read_text())
    assert recording["loom-kernel"] == "0.12.3"
    assert [o["label"] for o in recording["outcomes"]] == [s[0] for s in scenarios.SCENARIOS]


async def test_the_guide_use_cases_give_loom_kernels_results(
    make_executor: Callable[..., RuntimeExecutor],
) -> None:
    expected = json.loads(RECORDING.read_text())["outcomes"]
    outcomes: list[dict[str, Any]] = await scenarios.run(make_executor)
    # Compared one by one so that a failure names the scenario.
    for got, want in zip(outcomes, expected, strict=True):
        assert json.loads(json.dumps(got)) == want, want["label"]
