"""What loomgen reads statically is what the runtime sees live, on written sources.

Each test writes a small project, builds it with the ``loomgen`` command in a
fresh process, and runs one scenario in three fresh processes, one per
execution mode (:mod:`tests.differential.probe`). Every outcome (result or
error, events without the designed fallback, logs, unit-of-work and
repository calls) must be the interpreter's. Then, per class, either the
build compiled it and both ``generated`` and ``auto`` ran the generated
executor, or the build recorded it as left to the interpreter, said why, and
the runtime reported it once, with that reason: never an executor the runtime
refuses, never a class nobody mentions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.differential.test_fidelity import MODES, ROOT, fallback, probe, without_fallback, write

PACKAGE = "gen_exec"


def loomgen(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loomgen", *arguments],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def build(root: Path, files: dict[str, str], cache: bool = False) -> str:
    write(root, files)
    (root / "pyproject.toml").write_text(
        f'[tool.loomgen]\nsources = ["app"]\noutput = "{PACKAGE}"\n'
        + ("" if cache else "cache = false\n")
    )
    done = loomgen(root, "build")
    assert done.returncode == 0, done.stdout + done.stderr
    checked = loomgen(root, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return done.stdout + done.stderr


def registry(root: Path) -> tuple[set[str], dict[str, str]]:
    """The keys the build compiled, and those it left to the interpreter (with why)."""
    code = (
        "import json, importlib; r = importlib.import_module(%r);"
        " print(json.dumps([sorted(r.EXECUTORS), dict(r.INTERPRETED)]))" % PACKAGE
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{ROOT}"},
    )
    assert done.returncode == 0, done.stderr
    compiled, interpreted = json.loads(done.stdout)
    return set(compiled), interpreted


def run_everywhere(
    root: Path, scenario: list[dict[str, Any]], left: dict[str, str]
) -> list[dict[str, Any]]:
    """Run ``scenario`` in every mode and check the outcome of each class.

    ``left`` maps each use case the build must leave to the interpreter to a
    fragment of the reason it must give; every other one must run generated.
    Returns the interpreter's outcomes.
    """
    outcomes = {mode: probe(root, mode, scenario) for mode in MODES}
    oracle = [without_fallback(o) for o in outcomes["interpreted"]]
    for mode in ("generated", "auto"):
        assert [without_fallback(o) for o in outcomes[mode]] == oracle, mode
    compiled, interpreted = registry(root)
    for index, call in enumerate(scenario):
        key = call["use_case"]
        for mode in ("generated", "auto"):
            outcome = outcomes[mode][index]
            events, logs = fallback(outcome)
            if key in left:
                assert key not in compiled and left[key] in interpreted.get(key, ""), (
                    key,
                    interpreted,
                )
                assert not outcome["generated"], (mode, key)
                assert [e[2] for e in events] == ["interpreted"], (mode, key, events)
                assert left[key] in events[0][3], (mode, key, events)
                assert len(logs) == 1 and left[key] in logs[0][1], (mode, key, logs)
            else:
                assert key in compiled, (key, sorted(compiled), interpreted)
                assert outcome["generated"], (mode, key, outcome)
                assert events == [] and logs == [], (mode, key, events, logs)
    return outcomes["interpreted"]


def error_of(outcome: dict[str, Any]) -> Any:
    return outcome.get("error", [None])[0]


# -- 1. a patch field's presence, read as the spec reads it ------------------------------

PRESENCE = {
    "app/__init__.py": "",
    "app/ucs.py": """
        from typing import Annotated, Any

        from loom.core.command import Command
        from loom.core.use_case import CommandField, Compute, F, Input, Rule, UseCase


        class Cmd(Command):
            name: Annotated[str | None, CommandField(patch=True)] = None
            note: str | None = None


        class Other(Command):
            note: str | None = None


        def to_dict(cmd: Any, fields_set: frozenset[str]) -> Any:
            return {"name": cmd.name}


        def to_other(cmd: Any, fields_set: frozenset[str]) -> Any:
            return Other(note="o")


        def shout(note: str | None) -> str:
            return f"{note}!"


        REQUIRE = Rule.require_present(F(Cmd).name)
        REQUIRE_IF = Rule.require_present(F(Cmd).name).when_present(F(Cmd).note)
        COPY = Compute.set(F(Cmd).note).from_command(F(Cmd).note, via=shout).when_present(F(Cmd).name)
        EITHER = Compute.set(F(Cmd).note).from_command(F(Cmd).note, via=shout).when_present(
            F(Cmd).name | F(Cmd).note
        )


        class RequireAfterDict(UseCase[Any, Any]):
            computes = [to_dict]
            rules = [REQUIRE]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd


        class RequireIfAfterOther(UseCase[Any, Any]):
            computes = [to_other]
            rules = [REQUIRE_IF]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd


        class ComputeAfterOther(UseCase[Any, Any]):
            computes = [to_other, COPY]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd


        class EitherAfterOther(UseCase[Any, Any]):
            computes = [to_other, EITHER]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd


        class Plain(UseCase[Any, Any]):
            computes = [COPY]
            rules = [REQUIRE, REQUIRE_IF]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd
    """,
}


def test_a_patch_field_is_read_as_the_spec_reads_it(tmp_path: Path) -> None:
    """After a compute that hands on a dict or another model, testing a patch
    field's presence raises AttributeError and rolls back, in every mode."""
    build(tmp_path, PRESENCE)
    names = ["RequireAfterDict", "RequireIfAfterOther", "ComputeAfterOther", "EitherAfterOther"]
    scenario = [
        {"use_case": f"app.ucs:{name}", "payload": payload}
        for name in [*names, "Plain"]
        for payload in ({"name": "a"}, {"note": "n"}, {})
    ]
    outcomes = run_everywhere(tmp_path, scenario, {})
    by_call = {(o["use_case"], i % 3): o for i, o in enumerate(outcomes)}
    for name in names:
        sent = by_call[(f"app.ucs:{name}", 0)]
        assert error_of(sent) == "AttributeError", sent
        assert sent["uow"][-1] == "rollback"
    # Not sent: the attribute is never read, as in the spec.
    assert by_call[("app.ucs:ComputeAfterOther", 1)]["result"] == "Other(note='o')"
    assert error_of(by_call[("app.ucs:RequireAfterDict", 2)]) == "RuleViolations"
    assert by_call[("app.ucs:Plain", 0)]["result"] == "Cmd(name='a', note='None!')"


# -- 5. marker mistakes the runtime rejects at startup are build errors -------------------

MISTAKES = {
    "app/__init__.py": "",
    "app/bad.py": """
        from typing import Any

        from loom.core.command import Command
        from loom.core.use_case import Input, Load, LoadById, UseCase

        ENTITY = "Book"


        class Book:
            pass


        class Cmd(Command):
            name: str


        class StringEntity(UseCase[Any, Any]):
            async def execute(self, book_id: int, book: Book = LoadById("Book", by="book_id")) -> Any:
                return book


        class StringConstantEntity(UseCase[Any, Any]):
            async def execute(self, book_id: int, book: Book = LoadById(ENTITY, by="book_id")) -> Any:
                return book


        class StringRule(UseCase[Any, Any]):
            rules = ["check"]

            async def execute(self, cmd: Cmd = Input()) -> Any:
                return cmd


        class MisspelledField(UseCase[Any, Any]):
            async def execute(
                self, cmd: Cmd = Input(), book: Book = Load(Book, from_command="naem", against="name")
            ) -> Any:
                return book
    """,
}


def test_marker_mistakes_are_build_errors_worded_as_the_runtime_words_them(
    tmp_path: Path,
) -> None:
    write(tmp_path, MISTAKES)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.loomgen]\nsources = ["app"]\noutput = "{PACKAGE}"\ncache = false\n'
    )
    done = loomgen(tmp_path, "build")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "AttributeError" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("app/")]
    # What the runtime says when it prepares each class, in a fresh process.
    code = """
import json
from loom.core.engine import UseCaseCompiler
from loom.core.engine.compiler import CompilationError
import app.bad as bad
said = {}
for name in ["StringEntity", "StringConstantEntity", "StringRule", "MisspelledField"]:
    try:
        UseCaseCompiler().compile(getattr(bad, name))
    except CompilationError as error:
        said[name] = str(error)
print(json.dumps(said))
"""
    runtime = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"},
    )
    assert runtime.returncode == 0, runtime.stderr
    said = json.loads(runtime.stdout)
    assert sorted(said) == sorted(
        ["StringEntity", "StringConstantEntity", "StringRule", "MisspelledField"]
    )
    lines = {
        "StringEntity": "app/bad.py:18:",
        "StringConstantEntity": "app/bad.py:23:",
        "StringRule": "app/bad.py:28:",
        "MisspelledField": "app/bad.py:36:",
    }
    assert len(errors) == 4, errors
    for name, message in said.items():
        matching = [e for e in errors if f"app.bad:{name}: " in e]
        assert len(matching) == 1, (name, errors)
        assert matching[0].startswith(lines[name]), matching
        assert matching[0].endswith(message), (matching[0], message)


# -- 6. the generated package type-checks whenever the user's code does -----------------

TYPED = {
    "app/__init__.py": "",
    "app/typed.py": """
        from typing import Annotated

        from loom.core.command import Command
        from loom.core.use_case import CommandField, F, Input, Rule, UseCase


        class Note(Command):
            text: Annotated[str | None, CommandField(patch=True)] = None
            size: int = 0


        def must_be_set(text: str | None) -> str | None:
            return None if text else "must be set"


        def too_big(size: int) -> bool:
            return size > 10


        def as_number(size: int) -> int:
            return size


        class Save(UseCase[Note, Note]):
            rules = [
                Rule.check(F(Note).text, via=must_be_set),
                Rule.forbid(too_big, message="too big").from_command(F(Note).size),
                Rule.check(F(Note).size, via=as_number),
                Rule.require_present(F(Note).text),
            ]

            async def execute(self, cmd: Note = Input()) -> Note:
                return cmd


        class Double(UseCase[int, int]):
            def execute(self, x: int) -> int:
                return 2 * x
    """,
}


def test_the_generated_package_type_checks_when_the_sources_do(tmp_path: Path) -> None:
    build(tmp_path, TYPED)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "app", PACKAGE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run_everywhere(
        tmp_path,
        [
            {"use_case": "app.typed:Save", "payload": {"text": "a", "size": 3}},
            {"use_case": "app.typed:Save", "payload": {"size": 30}},
            {"use_case": "app.typed:Double", "params": {"x": 4}},
        ],
        {},
    )


# -- 2-4. what loomgen can follow it compiles; what it cannot, it leaves and says why ------

OUTSIDE = {
    # A package outside the sources, on the import path: read, never imported by loomgen.
    "ext/__init__.py": """
        from loom.core.use_case import UseCase as UseCase
    """,
    "ext/types.py": """
        from typing import Annotated, NewType, Optional, TypeVar

        from loom.core.use_case import CommandField

        T = TypeVar("T")
        PatchStr = Annotated[str | None, CommandField(patch=True)]
        Patch = Annotated[T | None, CommandField(patch=True)]
        UserId = NewType("UserId", int)
        MaybeInt = Optional[int]
    """,
    "ext/bases.py": """
        from typing import Any

        from loom.core.errors import RuleViolation
        from loom.core.use_case import LoadById, UseCase


        class Account:
            pass


        CURRENT = LoadById(Account, by="account_id")


        def never(cmd: Any, fields_set: frozenset[str]) -> None:
            raise RuleViolation("x", "never")


        class RulesMixin:
            rules = [never]


        class ReadOnlyMixin:
            read_only = True


        class ExecMixin:
            async def execute(self, x: int) -> Any:
                return ("mixin", x)


        class Base(UseCase[Any, Any]):
            read_only = True
    """,
}

FORMS = {
    **OUTSIDE,
    "app/__init__.py": "",
    "app/common.py": """
        from typing import Annotated, Any

        from loom.core.command import Command
        from loom.core.use_case import CommandField
        from ext.types import Patch, PatchStr

        PatchLocal = Annotated[str | None, CommandField(patch=True)]
        PATCH = True


        class User:
            pass


        class AliasCmd(Command):
            name: PatchLocal = None


        class GenericCmd(Command):
            name: Patch[str] = None


        class PositionalCmd(Command):
            name: Annotated[str | None, CommandField(False, False, True)] = None


        class ConstantFlagCmd(Command):
            name: Annotated[str | None, CommandField(patch=PATCH)] = None


        class OutsideAliasCmd(Command):
            name: PatchStr = None


        class PlainCmd(Command):
            name: str = ""
    """,
    "app/patches.py": """
        from typing import Any

        from loom.core.use_case import F, Input, Rule, UseCase
        from app.common import AliasCmd, ConstantFlagCmd, GenericCmd, OutsideAliasCmd, PositionalCmd


        class Alias(UseCase[Any, Any]):
            rules = [Rule.require_present(F(AliasCmd).name)]

            async def execute(self, cmd: AliasCmd = Input()) -> Any:
                return cmd


        class Generic(UseCase[Any, Any]):
            rules = [Rule.require_present(F(GenericCmd).name)]

            async def execute(self, cmd: GenericCmd = Input()) -> Any:
                return cmd


        class Positional(UseCase[Any, Any]):
            rules = [Rule.require_present(F(PositionalCmd).name)]

            async def execute(self, cmd: PositionalCmd = Input()) -> Any:
                return cmd


        class ConstantFlag(UseCase[Any, Any]):
            rules = [Rule.require_present(F(ConstantFlagCmd).name)]

            async def execute(self, cmd: ConstantFlagCmd = Input()) -> Any:
                return cmd


        class OutsideAlias(UseCase[Any, Any]):
            rules = [Rule.require_present(F(OutsideAliasCmd).name)]

            async def execute(self, cmd: OutsideAliasCmd = Input()) -> Any:
                return cmd
    """,
    "app/outside.py": """
        from typing import Any

        import ext
        from ext.bases import CURRENT, Account, Base, ExecMixin, ReadOnlyMixin, RulesMixin
        from ext.types import MaybeInt, UserId
        from loom.core.use_case import Input, UseCase
        from app.common import PlainCmd


        class NewTypeParam(UseCase[Any, Any]):
            async def execute(self, uid: UserId) -> Any:
                return uid


        class OptionalAlias(UseCase[Any, Any]):
            async def execute(self, n: MaybeInt) -> Any:
                return n


        class WithRulesMixin(RulesMixin, UseCase[Any, Any]):
            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        class WithReadOnlyMixin(ReadOnlyMixin, UseCase[Any, Any]):
            async def execute(self, x: int) -> Any:
                return x


        class WithExecMixin(ExecMixin, UseCase[Any, Any]):
            pass


        class FromBase(Base):
            async def execute(self, x: int) -> Any:
                return x


        class Reexported(ext.UseCase[Any, Any]):
            async def execute(self, x: int) -> Any:
                return x


        class OutsideMarker(UseCase[Any, Any]):
            async def execute(self, account_id: int, account: Account = CURRENT) -> Any:
                return account
    """,
    "app/dynamic.py": """
        from typing import Any

        from loom.core.use_case import Input, LoadById, UseCase
        from app.common import PlainCmd, User


        def deco(cls: Any) -> Any:
            cls.read_only = True
            return cls


        class Hooked(UseCase[Any, Any]):
            def __init_subclass__(cls, **kw: Any) -> None:
                super().__init_subclass__(**kw)
                cls.read_only = True


        class HookedChild(Hooked):
            async def execute(self, x: int) -> Any:
                return x


        @deco
        class Decorated(UseCase[Any, Any]):
            async def execute(self, x: int) -> Any:
                return x


        class BodyCompute(UseCase[Any, Any]):
            def trim(cmd: Any, fields_set: frozenset[str]) -> Any:
                return cmd.model_copy(update={"name": cmd.name.strip()})

            computes = [trim]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        CURRENT = LoadById(User, by="uid")


        class MarkerConst(UseCase[Any, Any]):
            async def execute(self, uid: int, user: User = CURRENT) -> Any:
                return user


        def by_id() -> Any:
            return LoadById(User, by="uid")


        class MarkerHelper(UseCase[Any, Any]):
            async def execute(self, uid: int, user: User = by_id()) -> Any:
                return user


        def by(key: str) -> Any:
            return LoadById(User, by=key)


        class MarkerHelperWithArgs(UseCase[Any, Any]):
            async def execute(self, uid: int, user: User = by("uid")) -> Any:
                return user


        if True:
            class UnderIf(UseCase[Any, Any]):
                async def execute(self, x: int) -> Any:
                    return x

        try:
            class UnderTry(UseCase[Any, Any]):
                async def execute(self, x: int) -> Any:
                    return x
        except Exception:
            pass


        async def _impl(self: Any, x: int) -> Any:
            return x


        class Assigned(UseCase[Any, Any]):
            execute = _impl


        class Outer:
            class A(UseCase[Any, Any]):
                async def execute(self, x: int) -> Any:
                    return ("A", x)

            class B(A):
                pass


        def stop(cmd: Any, fields_set: frozenset[str]) -> None:
            raise ValueError("stop")


        class PatchedLater(UseCase[Any, Any]):
            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        PatchedLater.rules = [stop]


        class AppendedLater(UseCase[Any, Any]):
            rules: list[Any] = []

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        AppendedLater.rules.append(stop)


        class SetLater(UseCase[Any, Any]):
            async def execute(self, x: int) -> Any:
                return x


        setattr(SetLater, "read_only", True)


        class Twice(UseCase[Any, Any]):
            async def execute(self, x: int) -> Any:
                return x


        FIRST_TWICE = Twice


        class Twice(UseCase[Any, Any]):  # type: ignore[no-redef]
            async def execute(self, y: int) -> Any:
                return y
    """,
    "app/stars.py": """
        from typing import Any


        def h(cmd: Any, fields_set: frozenset[str], context: Any) -> None:
            return None
    """,
    "app/rebind2.py": """
        from typing import Any


        def other2(cmd: Any, fields_set: frozenset[str], context: Any) -> None:
            return None
    """,
    "app/rebind.py": """
        from typing import Any

        from loom.core.use_case import Input, UseCase
        from app.common import PlainCmd


        def check(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        def other(cmd: Any, fields_set: frozenset[str], context: Any) -> None:
            return None


        class SecondDef(UseCase[Any, Any]):
            rules = [check]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        def check(cmd: Any, fields_set: frozenset[str], context: Any) -> None:
            return None


        def a(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class Rebound(UseCase[Any, Any]):
            rules = [a]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        a = other


        def b(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class Walrus(UseCase[Any, Any]):
            rules = [b]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        _ = (b := other)


        def c(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class Global(UseCase[Any, Any]):
            rules = [c]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        def _rebind() -> None:
            global c
            c = other


        _rebind()


        def d(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class ImportAs(UseCase[Any, Any]):
            rules = [d]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        from app.rebind2 import other2 as d


        def e(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class Deleted(UseCase[Any, Any]):
            rules = [e]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        del e


        def f(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class Matched(UseCase[Any, Any]):
            rules = [f]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        match other:
            case f:
                pass


        def h(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class StarLater(UseCase[Any, Any]):
            rules = [h]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd


        from app.stars import *


        def g(cmd: Any, fields_set: frozenset[str]) -> None:
            return None


        class Stable(UseCase[Any, Any]):
            rules = [g]

            async def execute(self, cmd: PlainCmd = Input()) -> Any:
                return cmd
    """,
}

REBOUND = "is bound again after its definition"
LEFT = {
    "app.dynamic:HookedChild": "Hooked defines __init_subclass__",
    "app.dynamic:Decorated": "a class decorator may change the class",
    "app.dynamic:MarkerHelperWithArgs": "returns a marker",
    "app.dynamic:UnderIf": "defined under an if/try",
    "app.dynamic:UnderTry": "defined under an if/try",
    "app.dynamic:Assigned": "execute is assigned",
    "app.dynamic:Twice": REBOUND,
    "app.dynamic:PatchedLater": "an assignment to one of its attributes changes 'PatchedLater'",
    "app.dynamic:AppendedLater": "a method call on one of its attributes",
    "app.dynamic:SetLater": "setattr() changes 'SetLater'",
    "app.rebind:SecondDef": REBOUND,
    "app.rebind:Rebound": REBOUND,
    "app.rebind:Walrus": REBOUND,
    "app.rebind:Global": "declared `global` in a function",
    "app.rebind:ImportAs": REBOUND,
    "app.rebind:Deleted": REBOUND,
    "app.rebind:Matched": REBOUND,
    "app.rebind:StarLater": "may be rebound by the later `from app.stars import *`",
}
"""What loomgen cannot prove static, and the reason it must give."""


def form_scenario() -> list[dict[str, Any]]:
    user = {"app.common:User": {"get": True}}
    account = {"ext.bases:Account": {"get": True}}
    calls: list[dict[str, Any]] = []
    for name in ["Alias", "Generic", "Positional", "ConstantFlag", "OutsideAlias"]:
        for payload in ({"name": "a"}, {}):
            calls.append({"use_case": f"app.patches:{name}", "payload": payload})
    calls += [
        {"use_case": "app.outside:NewTypeParam", "params": {"uid": "7"}},
        {"use_case": "app.outside:OptionalAlias", "params": {"n": "7"}},
        {"use_case": "app.outside:WithRulesMixin", "payload": {"name": "n"}},
        {"use_case": "app.outside:WithReadOnlyMixin", "params": {"x": "2"}},
        {"use_case": "app.outside:WithExecMixin", "params": {"x": "2"}},
        {"use_case": "app.outside:FromBase", "params": {"x": "2"}},
        {"use_case": "app.outside:Reexported", "params": {"x": "2"}},
        {"use_case": "app.outside:OutsideMarker", "params": {"account_id": 3}, "repos": account},
        {"use_case": "app.dynamic:HookedChild", "params": {"x": "2"}},
        {"use_case": "app.dynamic:Decorated", "params": {"x": "2"}},
        {"use_case": "app.dynamic:BodyCompute", "payload": {"name": " n "}},
        {"use_case": "app.dynamic:MarkerConst", "params": {"uid": 3}, "repos": user},
        {"use_case": "app.dynamic:MarkerHelper", "params": {"uid": 3}, "repos": user},
        {"use_case": "app.dynamic:MarkerHelperWithArgs", "params": {"uid": 3}, "repos": user},
        {"use_case": "app.dynamic:UnderIf", "params": {"x": "2"}},
        {"use_case": "app.dynamic:UnderTry", "params": {"x": "2"}},
        {"use_case": "app.dynamic:Assigned", "params": {"x": "2"}},
        {"use_case": "app.dynamic:Outer.A", "params": {"x": "2"}},
        {"use_case": "app.dynamic:Outer.B", "params": {"x": "2"}},
        {"use_case": "app.dynamic:Twice", "params": {"y": "2"}},
        {"use_case": "app.dynamic:PatchedLater", "payload": {"name": "n"}},
        {"use_case": "app.dynamic:AppendedLater", "payload": {"name": "n"}},
        {"use_case": "app.dynamic:SetLater", "params": {"x": "2"}},
    ]
    for name in [
        "SecondDef",
        "Rebound",
        "Walrus",
        "Global",
        "ImportAs",
        "Deleted",
        "Matched",
        "StarLater",
        "Stable",
    ]:
        calls.append({"use_case": f"app.rebind:{name}", "payload": {"name": "n"}})
    return calls


def test_every_form_is_compiled_and_used_or_left_with_its_reason(tmp_path: Path) -> None:
    output = build(tmp_path, FORMS)
    for key, reason in LEFT.items():
        assert f"{key}: " in output and reason in output, (key, output)
    outcomes = run_everywhere(tmp_path, form_scenario(), LEFT)
    results = {o["use_case"]: o.get("result") or o["error"][0] for o in outcomes}
    assert results["app.outside:WithRulesMixin"] == "RuleViolations"
    assert results["app.outside:WithExecMixin"] == "('mixin', 2)"
    assert results["app.dynamic:Outer.B"] == "('A', 2)"
    assert results["app.dynamic:BodyCompute"] == "PlainCmd(name='n')"
    compiled, interpreted = registry(tmp_path)
    assert set(interpreted) == set(LEFT)
    assert "app.dynamic:Hooked" not in compiled  # abstract: nothing to record


def test_explain_says_why_a_class_was_left(tmp_path: Path) -> None:
    build(tmp_path, FORMS)
    done = loomgen(tmp_path, "explain", "app.dynamic:Decorated")
    assert done.returncode == 0, done.stderr
    assert "left to the interpreter: a class decorator may change the class" in done.stdout
    done = loomgen(tmp_path, "explain", "app.outside:WithExecMixin")
    assert done.returncode == 0, done.stderr
    assert "ext/bases.py" in done.stdout  # execute is read where the mixin defines it


@pytest.mark.parametrize("cache", [False, True], ids=["inputs-record", "build-cache"])
def test_an_edit_outside_the_sources_is_caught_by_check(tmp_path: Path, cache: bool) -> None:
    """The modules loomgen read outside the sources are inputs of the build,
    recorded in the package's inputs record and in the build cache alike."""
    build(tmp_path, FORMS, cache=cache)
    bases = tmp_path / "ext" / "bases.py"
    text = bases.read_text()
    bases.write_text(
        text.replace(
            "    read_only = True\n\n\nclass ExecMixin",
            "    read_only = False\n\n\nclass ExecMixin",
        )
    )
    assert bases.read_text() != text
    checked = loomgen(tmp_path, "check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "app/outside.py" in checked.stdout + checked.stderr
    rebuilt = loomgen(tmp_path, "build")
    assert rebuilt.returncode == 0, rebuilt.stderr
    run_everywhere(
        tmp_path, [{"use_case": "app.outside:WithReadOnlyMixin", "params": {"x": "2"}}], {}
    )


def test_a_base_loomgen_cannot_read_leaves_the_class_with_the_reason(tmp_path: Path) -> None:
    """A base from a package loomgen cannot locate (installed elsewhere): the
    class may be a use case; it is left to the interpreter, never silent."""
    hidden = tmp_path / "site"
    files = {
        "site/hidden_lib/__init__.py": """
            from typing import Any

            from loom.core.use_case import UseCase


            class HiddenBase(UseCase[Any, Any]):
                read_only = True
        """,
        "proj/app/__init__.py": "",
        "proj/app/ucs.py": """
            from typing import Any

            from hidden_lib import HiddenBase


            class Hidden(HiddenBase):
                async def execute(self, x: int) -> Any:
                    return x
        """,
    }
    write(tmp_path, files)
    root = tmp_path / "proj"
    (root / "pyproject.toml").write_text(
        f'[tool.loomgen]\nsources = ["app"]\noutput = "{PACKAGE}"\ncache = false\n'
    )
    done = loomgen(root, "build")
    assert done.returncode == 0, done.stderr
    assert "app.ucs:Hidden: cannot see base HiddenBase" in done.stderr
    environment = {**os.environ, "PYTHONPATH": f"{hidden}{os.pathsep}{ROOT}"}
    outcome = subprocess.run(
        [sys.executable, "-m", "tests.differential.probe", str(root), "generated", PACKAGE],
        input=json.dumps([{"use_case": "app.ucs:Hidden", "params": {"x": "3"}}]),
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert outcome.returncode == 0, outcome.stderr
    (result,) = json.loads(outcome.stdout)
    assert result["result"] == "3" and not result["generated"], result
    events, _ = fallback(result)
    assert [e[2] for e in events] == ["interpreted"] and "cannot see base" in events[0][3]


def test_a_namespace_source_folder_compiles_under_the_names_the_runtime_uses(
    tmp_path: Path,
) -> None:
    files = {
        "app/ucs.py": """
            from typing import Any

            from loom.core.use_case import UseCase


            class Ping(UseCase[Any, Any]):
                async def execute(self, x: int) -> Any:
                    return x
        """,
    }
    build(tmp_path, files)
    run_everywhere(tmp_path, [{"use_case": "app.ucs:Ping", "params": {"x": "1"}}], {})
