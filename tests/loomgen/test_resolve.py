"""Name resolution across scanned modules: loom's names and constants.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

import libcst as cst
import pytest

from loomgen.resolve import Resolver
from tests.loomgen.reading import expression, scans


@pytest.mark.parametrize(
    ("imports", "written", "expected"),
    [
        ("from loom.core.use_case import Input", "Input", "Input"),
        ("from loom.core.use_case import Input as Payload", "Payload", "Input"),
        ("import loom.core.use_case as uc", "uc.LoadById", "LoadById"),
        ("import loom.core.use_case", "loom.core.use_case.Exists", "Exists"),
        ("from loom.core import use_case", "use_case.Load", "Load"),
        ("from loom.core.use_case.markers import OnMissing as M", "M", "OnMissing"),
        ("from app.compat import Input", "Input", "Input"),  # re-exported by a scanned module
        ("from elsewhere import Input", "Input", None),
        ("Input = object", "Input", None),
    ],
)
def test_loom_names_are_recognized_however_imported(
    imports: str, written: str, expected: str | None
) -> None:
    found = scans(
        app__compat="from loom.core.use_case import Input\n",
        app__ucs=imports + "\n",
    )
    resolver = Resolver(found)
    assert resolver.loom_name(found["app.ucs"], expression(written)) == expected


def test_constants_are_followed_through_names_and_imports() -> None:
    found = scans(
        app__keys='KEY = "email"\nALIAS = KEY\n',
        app__ucs="from app.keys import ALIAS\nLOCAL = ALIAS\nCOMPUTED = 'a' + 'b'\n",
    )
    resolver = Resolver(found)
    scan, value = resolver.constant(found["app.ucs"], expression("LOCAL"))
    assert scan.source.module == "app.keys"
    assert isinstance(value, cst.SimpleString) and value.evaluated_value == "email"
    _, computed = resolver.constant(found["app.ucs"], expression("COMPUTED"))
    assert isinstance(computed, cst.BinaryOperation)
