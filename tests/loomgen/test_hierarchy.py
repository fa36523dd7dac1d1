"""Class hierarchies: which classes are use cases, and their C3 order.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

from loomgen.hierarchy import Hierarchy, c3_merge
from loomgen.resolve import Resolver
from tests.loomgen.reading import analysed, scans


def test_use_case_kinds_and_c3_order() -> None:
    found = scans(app="""
        from loom.core.use_case import UseCase as Base
        from loom.core.job import Job
        class A(Base): ...
        class B(A): ...
        class C(A): ...
        class D(B, C): ...
        class T(Job): ...
        class Plain: ...
        """)
    scan = found["app"]
    hierarchy = Hierarchy(Resolver(found))
    kinds = {name: hierarchy.kind_of(scan, c) for name, c in scan.classes.items()}
    assert kinds == {"A": "UseCase", "B": "UseCase", "C": "UseCase", "D": "UseCase",
                     "T": "Job", "Plain": None}  # fmt: skip
    order = hierarchy.mro(scan, scan.classes["D"])
    assert [e if isinstance(e, str) else e[1].name for e in order] == [
        "D",
        "B",
        "C",
        "A",
        "UseCase",
    ]
    assert c3_merge([["x", "y"], ["y", "x"]]) is None


def test_aliases_of_the_use_case_base_are_followed() -> None:
    bases = """
from typing import Any
from loom.core import use_case
AnyUseCase = use_case.UseCase[Any, Any]
Plain = use_case.UseCase
Again = Plain
"""
    source = """
from typing import Any
from app.bases import AnyUseCase, Plain, Again
Local = Plain[Any, Any]
class A(AnyUseCase):
    async def execute(self, n: int) -> Any: ...
class B(Plain[Any, Any]):
    async def execute(self, n: int) -> Any: ...
class C(Again):
    async def execute(self, n: int) -> Any: ...
class D(Local):
    async def execute(self, n: int) -> Any: ...
"""
    modules, diagnostics = analysed(app__bases=bases, app__ucs=source)
    assert diagnostics == [] and modules["app.ucs"].interpreted == ()
    assert [uc.qualname for uc in modules["app.ucs"].use_cases] == ["A", "B", "C", "D"]
