"""A nested ``output`` (``library/gen``) is imported as ``library.gen``: the help, the
docs and the runtime's messages say so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.engine.elsewhere import generated_elsewhere, import_name, path_like
from loom.core.engine.generated import GeneratedCodeError
from loomgen.cli import main

REPO = Path(__file__).resolve().parents[2]

BOOKS = """
from loom.core.use_case import UseCase


class GetBook(UseCase[int, int]):
    async def execute(self, book_id: int) -> int:
        return book_id
"""

# Run in a process of its own: it imports the project's packages from its folder.
MAIN = """
import asyncio
import sys

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from library.books import GetBook

executor = RuntimeExecutor(UseCaseCompiler())
result = asyncio.run(executor.execute(GetBook(), params={"book_id": 3}))
print(result, "generated" if executor.uses_generated(GetBook) else "interpreted")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "__init__.py").write_text("")
    (tmp_path / "library" / "books.py").write_text(BOOKS)
    (tmp_path / "main.py").write_text(MAIN)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.loomgen]\nsources = ["library"]\noutput = "library/gen"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert main(["build", "-q"]) == 0
    return tmp_path


def run(project: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    # Not the repository's folder on the path: its own ``generated`` package would import.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOM") and k != "PYTHONPATH"}
    env.update(variables)
    return subprocess.run(
        [sys.executable, "main.py"], cwd=project, env=env, capture_output=True, text=True
    )


def test_help_says_a_nested_output_is_imported_by_its_dotted_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["build", "--help"]) == 0
    text = capsys.readouterr().out
    assert '"library/gen" is library.gen (LOOM_GENERATED)' in text
    assert "LOOM_GENERATED=library.gen" in text


def test_the_docs_say_it_too() -> None:
    text = (REPO / "docs" / "loomgen.md").read_text()
    assert 'a nested `"library/gen"` is `library.gen` (set `LOOM_GENERATED=library.gen`)' in text


def test_a_nested_output_runs_under_its_import_name(project: Path) -> None:
    done = run(project, LOOM_EXECUTION_MODE="generated", LOOM_GENERATED="library.gen")
    assert (done.returncode, done.stdout) == (0, "3 generated\n"), done.stderr


def test_not_importable_points_at_the_import_name_rather_than_loomgen_build(
    project: Path,
) -> None:
    expected = (
        f"the generated package of {project / 'pyproject.toml'} ([tool.loomgen] output ="
        " 'library/gen') is imported as 'library.gen': set LOOM_GENERATED=library.gen"
    )
    done = run(project, LOOM_EXECUTION_MODE="generated")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "loom.core.engine.generated.GeneratedCodeError: generated package 'generated' is not"
        f" importable; {expected}; LOOM_EXECUTION_MODE=generated requires a fresh generated"
        " executor"
    )
    assert "loomgen build" not in last
    # auto mode: the interpreter runs, and the same advice is a warning.
    done = run(project)
    assert (done.returncode, done.stdout) == (0, "3 interpreted\n")
    assert expected in done.stderr


def test_without_a_package_elsewhere_the_advice_is_still_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.usecases.params import EchoParams

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.loomgen]\nsources = ["app"]\n')
    assert generated_elsewhere("generated") is None
    executor = RuntimeExecutor(
        UseCaseCompiler(), execution_mode="generated", generated_package="no_such_gen"
    )
    with pytest.raises(GeneratedCodeError, match=r"\(run `loomgen build`\)$"):
        executor.prepare(EchoParams)


@pytest.mark.parametrize("source", ["env", "argument"])
def test_a_folder_path_for_the_package_is_refused_with_the_name_to_write(
    source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if source == "env":
        monkeypatch.setenv("LOOM_GENERATED", "library/gen")
        with pytest.raises(ValueError) as error:
            RuntimeExecutor(UseCaseCompiler())
        where = "LOOM_GENERATED"
    else:
        with pytest.raises(ValueError) as error:
            RuntimeExecutor(UseCaseCompiler(), generated_package="library/gen/")
        where = "generated_package"
    assert str(error.value).startswith(f"{where}='library/gen")
    assert str(error.value).endswith(": write library.gen")


def test_path_like_and_import_name(tmp_path: Path) -> None:
    assert path_like("library/gen") == "library.gen"
    assert path_like("./library\\gen/") == "library.gen"
    assert path_like("library.gen") is None
    assert path_like("my-lib/gen") is None
    assert import_name(tmp_path / "library" / "gen", tmp_path) == "library.gen"
