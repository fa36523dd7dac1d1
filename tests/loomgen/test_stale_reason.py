"""A stale executor's reason says which part of the use case changed.

Each case builds a module with loomgen, then changes it the way a developer
would without rebuilding, imports the changed module under the same name and
prepares its class in ``auto`` and ``generated`` mode.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.engine.generated import GeneratedCodeError
from loom.core.engine.shapes import SECTIONS, changed_sections, section_digests
from loomgen.build import build_package

BEFORE = """
from loom.core.command import Command
from loom.core.use_case import Input, LoadById, UseCase


class Book:
    id: int


class Cmd(Command):
    title: str


def title_set(cmd, fields_set):
    return None


def title_short(cmd, fields_set):
    return None


class Rename(UseCase):
    rules = [title_set]

    async def execute(
        self, book_id: int, cmd: Cmd = Input(), book: Book = LoadById(Book, by="book_id")
    ):
        return book
"""

CASES = {
    "rules": (
        ("rules = [title_set]", "rules = [title_set, title_short]"),
        "its rules changed",
    ),
    "params": (
        ("self, book_id: int,", "self, book_id: int, shelf: str,"),
        "its plain parameters changed",
    ),
    "marker argument": (
        ('LoadById(Book, by="book_id")', 'LoadById(Book, by="book_id", profile="full")'),
        "a LoadById/Load parameter or its marker arguments changed",
    ),
    "two parts": (
        ("self, book_id: int, cmd", "self, book_id: int, shelf: str = 'x', cmd"),
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_stale_reason_names_what_changed(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (old, new), expected = CASES[case]
    package = f"stale_app_{abs(hash(case))}"
    source = tmp_path / package
    source.mkdir()
    (source / "__init__.py").write_text("")
    (source / "books.py").write_text(BEFORE)
    output = tmp_path / f"{package}_gen"
    result = build_package([source], output, root=tmp_path)
    assert not result.errors(strict=False)
    changed = BEFORE.replace(old, new)
    if case == "two parts":
        changed = changed.replace("rules = [title_set]", "rules = []")
        expected = "its plain parameters and its rules changed"
    assert changed != BEFORE
    (source / "books.py").write_text(changed)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        books = importlib.import_module(f"{package}.books")
        reason = (
            RuntimeExecutor(UseCaseCompiler(), execution_mode="auto", generated_package=output.name)
            .prepare(books.Rename)
            .reason
        )
        assert reason == (
            f"generated executor for {package}.books:Rename is stale: Rename changed since"
            f" `loomgen build` ({expected})"
        )
        with pytest.raises(GeneratedCodeError, match=rf"\({expected}\); LOOM_EXECUTION_MODE"):
            RuntimeExecutor(
                UseCaseCompiler(), execution_mode="generated", generated_package=output.name
            ).prepare(books.Rename)
    finally:
        for name in [m for m in sys.modules if m.startswith(package)]:
            del sys.modules[name]


def test_digests_name_only_the_parts_that_differ() -> None:
    shape = {key: [] for key, _ in SECTIONS}
    recorded = section_digests(shape)
    assert changed_sections(recorded, shape) == []
    assert changed_sections(recorded, {**shape, "rules": [{"context": False}]}) == ["its rules"]
    assert changed_sections("a b", shape) == []  # recorded by another version: say less
