"""Differential testing: generated executors against the interpreter, on random sources.

Hypothesis writes whole use case modules (see :mod:`tests.differential.sourcegen`),
loomgen builds each into a fresh generated package, and every drawn request
runs in both execution modes; everything observable must match (see
:mod:`tests.differential.harness`). ``ci`` profile: 500 examples; ``dev``: 50.
Each failure found and shrunk here is kept as a named test in
``test_regressions.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import event, given

from tests.differential.harness import Workspace, check_sources
from tests.differential.profiles import robustness_settings
from tests.differential.sourcegen import Example, examples


@pytest.mark.slow
@robustness_settings()
@given(example=examples())
def test_generated_code_matches_the_interpreter(workspace: Workspace, example: Example) -> None:
    outcomes = check_sources(
        workspace,
        example.sources,
        example.requests,
        debug=example.debug,
        use_cases=example.use_cases,
        outside=example.outside,
        allow_left=example.allow_left,
    )
    for outcome in outcomes:
        event(f"request outcome: {outcome}")
    event(f"layout: {example.spec.layout}")
    spec = example.spec
    event(f"outside: {spec.outside}, marker constants: {spec.marker_constants}")
    event(f"rebind: {spec.rebind[1] if spec.rebind else None}")
