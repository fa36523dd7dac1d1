"""Reading the computes and rules lists.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

import pytest

from loomgen.diagnostics import Severity
from tests.loomgen.reading import HELPERS, analysed, use_case


def test_class_attributes_are_seen_only_below_their_assignment() -> None:
    modules, diagnostics = analysed(
        app__tools=HELPERS.replace(
            "def trim", "def other(cmd, fields_set):\n    return cmd\n\ndef trim"
        ),
        app__ucs="""
        from typing import Any
        from loom.core.use_case import UseCase
        from app import tools as rules
        class UC(UseCase[Any, Any]):
            computes = [rules.trim]
            rules = [rules.ok]
            def execute(self) -> Any: ...
        """,
    )
    uc = use_case(modules["app.ucs"], "UC")
    assert [c.function.expression for c in uc.computes] == ["tools.trim"]
    assert [r.function.expression for r in uc.rules] == ["tools.ok"]
    assert diagnostics == []


STEPS = """
from typing import Any
from loom.core.use_case import UseCase

def two(cmd, fields_set):
    return cmd

def three(cmd, fields_set, ctx=None):
    return cmd

def traced(function):
    return function

@traced
def decorated(cmd, fields_set):
    return cmd

class UC(UseCase[Any, Any]):
    computes = [{steps}]

    def execute(self) -> Any: ...
"""


@pytest.mark.parametrize(
    ("steps", "contexts"),
    [
        ("two", [False]),
        ("three", [True]),
        ("two, three, lambda c, f: c, lambda c, f, x: c", [False, True, False, True]),
    ],
)
def test_whether_a_step_takes_the_context_is_read_from_its_signature(
    steps: str, contexts: list[bool]
) -> None:
    modules, diagnostics = analysed(app=STEPS.format(steps=steps))
    assert diagnostics == []
    assert [c.accepts_context for c in use_case(modules["app"], "UC").computes] == contexts


@pytest.mark.parametrize(
    ("steps", "severity", "message"),
    [
        ("decorated", Severity.WARNING, "computes[0]: 'decorated' is decorated"),
        ("*[two]", Severity.WARNING, "computes[0] is a starred expression"),
        ("two, 'two'", Severity.ERROR, "UC.computes[1] is not callable: 'two'"),
        (
            "lambda c: c",
            Severity.ERROR,
            "computes[0] (lambda) must accept (command, fields_set) or (command, fields_set,"
            " context)",
        ),
    ],
)
def test_a_step_loomgen_cannot_call_as_written_is_reported(
    steps: str, severity: Severity, message: str
) -> None:
    modules, diagnostics = analysed(app=STEPS.format(steps=steps))
    assert [(d.severity, message in d.message) for d in diagnostics] == [(severity, True)]
    assert "app" not in modules or modules["app"].use_cases == ()
