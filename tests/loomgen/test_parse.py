"""The front end as a whole: use case classes become IR, or are left to the
interpreter with the reason, or are reported.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

import pytest

from loom.core.use_case.markers import LookupKind, OnMissing, SourceKind
from loomgen.diagnostics import Severity
from loomgen.ir import InterpretedIR
from tests.loomgen.reading import HELPERS, analysed, use_case
from loomgen.parse import mangle

FORMS = """
from __future__ import annotations

import typing
from typing import Annotated, Any

import loom.core.use_case as uc
from loom.core.command import Command
from loom.core.use_case import Input as Payload, LoadById as ById, OnMissing, UseCase

from app import helpers
from app.helpers import PROFILE

KEY = "account_id"
POLICY = OnMissing.RETURN_NONE


class Account: ...


class Cmd(Command):
    name: str


class Invite(UseCase[Any, Any]):
    Entity = Account
    C = Cmd
    computes = [helpers.trim, lambda cmd, fs, ctx: cmd]
    rules = [helpers.ok]

    async def execute(
        self,
        account_id: int,
        note: Annotated[str, "free"],
        title: typing.Text,
        __secret: int,
        cmd: C = Payload(),
        account: Any = ById(Entity, by=KEY, profile=PROFILE, on_missing=POLICY),
        seen: Any = uc.Exists(Account, from_param="account_id", against="id", on_missing=POLICY),
    ) -> Any: ...


class Outer:
    class Inner(UseCase[Any, Any]):
        def execute(self, x: int) -> Any: ...
"""


def test_the_forms_people_write_become_ir() -> None:
    modules, diagnostics = analysed(app__helpers=HELPERS, app__ucs=FORMS)
    ucs = modules["app.ucs"]
    invite = use_case(ucs, "Invite")
    assert diagnostics == []
    assert [p.name for p in invite.params] == ["account_id", "note", "title", "_Invite__secret"]
    assert [p.target.expression if p.target else None for p in invite.params] == [
        "int", "str", "str", "int"
    ]  # fmt: skip
    assert invite.input is not None and invite.input.command.expression == "Invite.C"
    (load,) = invite.loads
    # The IR carries the runtime's own enums, as the factory made them.
    assert (load.source_kind, load.source_name, load.lookup_kind) == (
        SourceKind.PARAM,
        "account_id",
        LookupKind.BY_ID,
    )
    assert (load.profile, load.on_missing) == ("full", OnMissing.RETURN_NONE)
    assert type(load.on_missing) is OnMissing and type(load.source_kind) is SourceKind
    assert load.entity.expression == "Invite.Entity"
    (check,) = invite.exists
    assert check.on_missing is OnMissing.RETURN_NONE and check.source_kind is SourceKind.PARAM
    assert [c.function.expression for c in invite.computes] == [
        "helpers.trim",
        "Invite.computes[1]",
    ]
    assert [c.accepts_context for c in invite.computes] == [False, True]
    assert use_case(ucs, "Outer.Inner").use_case.expression == "Outer.Inner"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            "x: Any = uc.Input(), *, y: int = 0) -> Any: ...\n        rules = [pick() or None]\n"
            "        def other(self",
            "rules[0]: cannot see the signature of 'pick() or None' statically",
        ),
        ('x: Any = uc.LoadById(Account, by="x" + "y")', "LoadById(by=...) is computed at runtime"),
        ("x: Any = uc.LoadById(Account, by=make())", "LoadById(by=...) is computed at runtime"),
    ],
)
def test_what_cannot_be_read_is_recorded_with_its_reason(body: str, reason: str) -> None:
    source = f"""
    from typing import Any
    import loom.core.use_case as uc
    class Account: ...
    class Dynamic(uc.UseCase[Any, Any]):
        async def execute(self, {body}) -> Any: ...
    """
    modules, diagnostics = analysed(app=source)
    assert modules["app"].interpreted == (InterpretedIR("Dynamic", reason),)
    assert [(d.severity, reason in d.message) for d in diagnostics] == [(Severity.WARNING, True)]


@pytest.mark.parametrize(
    ("name", "owner", "expected"),
    [("__n", "A", "_A__n"), ("__n", "_A", "_A__n"), ("__n__", "A", "__n__"), ("_n", "A", "_n"),
     ("__n", "__", "__n")],  # fmt: skip
)
def test_parameter_names_are_mangled_like_python(name: str, owner: str, expected: str) -> None:
    assert mangle(name, owner) == expected
    namespace: dict[str, object] = {}
    exec(f"class {owner}:\n    def f(self, {name}): return None\n", namespace)
    function = getattr(namespace[owner], "f")
    assert function.__code__.co_varnames[1] == expected


def test_an_error_in_an_inherited_execute_is_reported_once() -> None:
    base = """
    from loom.core.command import Command
    from loom.core.use_case import Input, UseCase

    class Cmd(Command):
        name: str

    class Base(UseCase):
        async def execute(self, a: Cmd = Input(), b: Cmd = Input()):
            return 0

    class One(Base):
        pass

    class Three(One):
        pass
    """
    other = """
    from app.base import Base

    class Two(Base):
        pass
    """
    _, diagnostics = analysed(app__base=base, app__other=other)

    assert [str(d) for d in diagnostics] == [
        "app.base.py:9:47: error: app.base:Base: Base.execute: only one Input() parameter is"
        " allowed ('a' is one, 'b' is another)"
        " (inherited by app.base:One, app.base:Three, app.other:Two)"
    ]
    # Without heirs, the owner's error is as it always was.
    _, diagnostics = analysed(app__base=base.split("    class One(Base):")[0])
    assert [d.message for d in diagnostics] == [
        "app.base:Base: Base.execute: only one Input() parameter is allowed ('a' is one,"
        " 'b' is another)"
    ]
