"""The front end, stage by stage: scanning, name resolution, hierarchies, the IR.

Sources are given as text (``{module name: source}``) and never imported.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from loom.core.engine import CompilationError, UseCaseCompiler
from loom.core.use_case.markers import LookupKind, OnMissing, SourceKind
from loomgen.diagnostics import Diagnostic, Severity
from loomgen.discover import SourceFile
from loomgen.hierarchy import Hierarchy, c3_merge
from loomgen.ir import InterpretedIR, ModuleIR, UseCaseIR
from loomgen.parse import analyse, mangle
from loomgen.resolve import Resolver
from loomgen.scan import ModuleScan, scan_module


def scans(**modules: str) -> dict[str, ModuleScan]:
    found: dict[str, ModuleScan] = {}
    for name, text in modules.items():
        dotted = name.replace("__", ".")
        source = SourceFile(Path(f"/src/{dotted}.py"), f"{dotted}.py", dotted)
        scanned = scan_module(source, textwrap.dedent(text))
        assert not isinstance(scanned, Diagnostic), scanned
        found[dotted] = scanned
    return found


def analysed(**modules: str) -> tuple[dict[str, ModuleIR], list[Diagnostic]]:
    built, diagnostics = analyse(list(scans(**modules).values()))
    return {m.module: m for m in built}, diagnostics


def use_case(module: ModuleIR, qualname: str) -> UseCaseIR:
    return next(uc for uc in module.use_cases if uc.qualname == qualname)


def expression(text: str) -> cst.BaseExpression:
    return cst.parse_expression(text)


# -- scan ------------------------------------------------------------------------------


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


# -- resolve ---------------------------------------------------------------------------


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


# -- hierarchy -------------------------------------------------------------------------


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


# -- parse -----------------------------------------------------------------------------

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
HELPERS = """
PROFILE = "full"

def trim(cmd, fields_set):
    return cmd

def ok(cmd, fields_set):
    return None
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


@pytest.mark.parametrize("written", ['"bogus"', "OnMissing.BOGUS"])
def test_a_bad_on_missing_lists_the_valid_values_in_the_build_and_at_runtime(
    written: str,
) -> None:
    from loom.core.use_case import LoadById, OnMissing

    _, diagnostics = analysed(app__ucs=f"""
        from loom.core.use_case import LoadById, OnMissing, UseCase

        class User: ...

        class GetUser(UseCase):
            async def execute(self, user_id: int, user: User = LoadById(User, by="user_id", on_missing={written})):
                return user
        """)
    valid = (
        "valid values: OnMissing.RAISE, OnMissing.RETURN_NONE, OnMissing.RETURN_FALSE"
        " (or the strings 'raise', 'return_none', 'return_false')"
    )
    assert [
        d.message.endswith(f"LoadById(): on_missing= must be an OnMissing, got {written}; {valid}")
        for d in diagnostics
    ] == [True]
    with pytest.raises(ValueError) as error:
        LoadById(object, by="user_id", on_missing="bogus")  # type: ignore[arg-type]
    assert str(error.value) == f"LoadById(): on_missing= must be an OnMissing, got 'bogus'; {valid}"
    assert [m.value for m in OnMissing] == ["raise", "return_none", "return_false"]


LOAD_BY_ID_FROM_COMMAND = """
from typing import Any
from loom.core.command import Command
from loom.core.use_case import Input, LoadById, OnMissing, UseCase

class Team: ...

class Join(Command):
    team_id: int

class JoinTeam(UseCase[Any, Any]):
    async def execute(
        self, cmd: Join = Input(), team: Team = LoadById(Team, from_command="team_id"{extra})
    ) -> Any: ...
"""


def test_load_by_id_from_a_command_field_becomes_ir() -> None:
    modules, diagnostics = analysed(app=LOAD_BY_ID_FROM_COMMAND.format(extra=""))
    assert diagnostics == []
    (load,) = use_case(modules["app"], "JoinTeam").loads
    assert (load.source_kind, load.source_name, load.lookup_kind, load.against) == (
        SourceKind.COMMAND,
        "team_id",
        LookupKind.BY_ID,
        "id",
    )
    assert (load.profile, load.on_missing) == ("default", OnMissing.RAISE)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            LOAD_BY_ID_FROM_COMMAND.format(extra=', by="team"'),
            "LoadById(): by='team' and from_command='team_id' both name the id; give one of them",
        ),
        (
            LOAD_BY_ID_FROM_COMMAND.format(extra="").replace("cmd: Join = Input(), ", ""),
            "from_command requires Input() parameter (parameter 'team' reads"
            " from_command='team_id', and execute has no Input())",
        ),
    ],
    ids=["by-and-from-command", "without-input"],
)
def test_load_by_id_from_a_command_field_mistakes_are_the_runtimes(
    source: str, message: str
) -> None:
    _, diagnostics = analysed(app=source)
    assert [d.severity for d in diagnostics] == [Severity.ERROR]
    assert message in diagnostics[0].message, diagnostics[0].message
    namespace: dict[str, Any] = {"__name__": "load_by_id_case"}
    with pytest.raises((ValueError, CompilationError)) as error:
        exec(textwrap.dedent(source), namespace)
        UseCaseCompiler().compile(namespace["JoinTeam"])
    assert message in str(error.value)


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


MARKER_SOURCE = """
from typing import Any
from loom.core.use_case import LoadById, UseCase
class Account: ...
{before}
class UC(UseCase[Any, Any]):
    async def execute(self, account_id: int, account: Any = {default}) -> Any: ...
{after}
"""


def test_a_marker_in_a_dict_constant_read_by_key_is_followed() -> None:
    source = MARKER_SOURCE.format(
        before='KEY = "a"\nMARKERS = {"a": LoadById(Account, by="account_id"), "b": 1}',
        default="MARKERS[KEY]",
        after="",
    )
    modules, diagnostics = analysed(app=source)
    assert diagnostics == []
    (load,) = use_case(modules["app"], "UC").loads
    assert (load.source_name, load.entity.expression) == ("account_id", "Account")


@pytest.mark.parametrize(
    ("before", "default", "after"),
    [
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', 'M["a"] = None'),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', "M.clear()"),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', "def f():\n    del M['a']"),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"]', "print(M)"),
        ('M = {**{}, "a": LoadById(Account, by="account_id")}', 'M["a"]', ""),
        ('M = [LoadById(Account, by="account_id")]', "M[0]", ""),
        ('M = {"a": LoadById(Account, by="account_id")}', 'M["a"] or None', ""),
        ('M = {"a": LoadById(Account, by="account_id")}', 'None if M else M["a"]', ""),
        ("", "(lambda: 1)()", ""),
    ],
)
def test_a_default_not_provably_plain_leaves_the_class(
    before: str, default: str, after: str
) -> None:
    modules, diagnostics = analysed(
        app=MARKER_SOURCE.format(before=before, default=default, after=after)
    )
    (left,) = modules["app"].interpreted
    assert left.qualname == "UC" and "marker" in left.reason, left
    assert [d.severity for d in diagnostics] == [Severity.WARNING]


@pytest.mark.parametrize("default", ["-1", "(1, 2)", "[]", "{}", "'a' 'b'", "f'{1}'", "lambda: 1"])
def test_literal_defaults_are_plain_defaults(default: str) -> None:
    modules, diagnostics = analysed(app=MARKER_SOURCE.format(before="", default=default, after=""))
    assert diagnostics == [] and modules["app"].interpreted == ()
    assert use_case(modules["app"], "UC").loads == ()


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
