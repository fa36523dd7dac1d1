"""What loomgen reads statically is what the runtime sees live (issue 16, the static half).

Each test writes a small project, builds it with the ``loomgen`` command in a
fresh process, and runs one scenario in three fresh processes, one per
execution mode (:mod:`tests.robustness.probe`). Every outcome (result or
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

from tests.robustness.test_fidelity import MODES, ROOT, fallback, probe, without_fallback, write

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


def build(root: Path, files: dict[str, str], sources: str = '["app"]') -> str:
    write(root, files)
    (root / "pyproject.toml").write_text(
        f'[tool.loomgen]\nsources = {sources}\noutput = "{PACKAGE}"\ncache = false\n'
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
    "app/ucs.py": '''
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
    ''',
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
    "app/typed.py": '''
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
    ''',
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
