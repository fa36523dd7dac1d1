"""Scanning one module: its index of names, and what makes a binding unstable.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

import pytest

from loomgen.diagnostics import Severity
from loomgen.ir import InterpretedIR
from tests.loomgen.reading import analysed, scans


def test_scan_indexes_imports_constants_and_nested_classes() -> None:
    scan = scans(app="""
        from __future__ import annotations
        import loom.core.use_case as uc
        from .keys import KEY as K
        ONCE = "a"
        TWICE = "b"
        TWICE = "c"
        if True:
            MAYBE = "d"
        class Outer:
            class Inner:
                X = 1
                def execute(self): ...
                Y = 2
        """)["app"]
    assert scan.future_annotations
    assert scan.imports["uc"].module == "loom.core.use_case" and scan.imports["uc"].name == ""
    assert (scan.imports["K"].module, scan.imports["K"].name) == ("keys", "KEY")
    assert set(scan.constants) == {"ONCE"}  # rebound or conditional names are not constants
    assert {"TWICE", "MAYBE"} <= scan.assigned
    inner = scan.classes["Outer"].classes["Inner"]
    assert inner.qualname == "Outer.Inner"
    assert [c.qualname for c in scan.classes["Outer"].walk()] == ["Outer", "Outer.Inner"]
    assert inner.visible_before("execute") == {"X"}


@pytest.mark.parametrize(
    ("body", "kind", "name"),
    [
        ("if STRICT:\n        rules = [len]\n    else:\n        rules = []", "an if", "rules"),
        (
            "try:\n        read_only = STRICT\n    except Exception:\n        pass",
            "a try",
            "read_only",
        ),
        ("for computes in ([len],):\n        pass", "a for", "computes"),
        ("while not STRICT:\n        rules: list[Any] = []", "a while", "rules"),
        ("with open(__file__) as read_only:\n        pass", "a with", "read_only"),
        (
            "if STRICT:\n        async def execute(self) -> Any: ...",
            "an if",
            "execute",
        ),
        ("match STRICT:\n        case True:\n            rules = []", "a match", "rules"),
    ],
)
def test_a_class_body_binding_under_a_compound_statement_leaves_the_class(
    body: str, kind: str, name: str
) -> None:
    source = f"""
from typing import Any
from loom.core.use_case import UseCase
STRICT = True
class UC(UseCase[Any, Any]):
    {body}

    async def execute(self, n: int) -> Any: ...
"""
    modules, diagnostics = analysed(app=source)
    reason = (
        f"'{name}' is bound under {kind} statement in the body of UC: which binding runs is"
        " decided when the class is created"
    )
    assert modules["app"].interpreted == (InterpretedIR("UC", reason),)
    assert [d.severity for d in diagnostics] == [Severity.WARNING]


def test_a_compound_statement_binding_nothing_in_a_class_body_is_harmless() -> None:
    source = """
from typing import Any
from loom.core.use_case import UseCase
class UC(UseCase[Any, Any]):
    if True:
        pass

    async def execute(self, n: int) -> Any: ...
"""
    modules, diagnostics = analysed(app=source)
    assert diagnostics == [] and modules["app"].interpreted == ()


@pytest.mark.parametrize(
    ("after", "reason"),
    [
        ("Plain = object", "'Plain' is bound again after its definition (assignment)"),
        ("Plain.rules = []", "an assignment to one of its attributes changes 'Plain'"),
    ],
)
def test_an_alias_of_the_use_case_base_that_may_change_leaves_the_class(
    after: str, reason: str
) -> None:
    source = f"""
from typing import Any
from loom.core.use_case import UseCase
Plain = UseCase
class A(Plain):
    async def execute(self, n: int) -> Any: ...
{after}
"""
    modules, diagnostics = analysed(app=source)
    (left,) = modules["app"].interpreted
    assert left.qualname == "A" and reason in left.reason, left
    assert [d.severity for d in diagnostics] == [Severity.WARNING]
