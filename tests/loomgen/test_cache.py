"""The build cache: a cached build always equals an uncached one.

Each test builds a small project whose use cases depend on other modules
(a base class with the inherited ``execute``, shared computes and rules,
entities), changes something, and checks that the cached build produces the
same files and diagnostics as a build without cache, and that ``loomgen
check`` gives the same answer with and without the cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import black
import pytest

import loomgen
from loomgen import build, cache
from loomgen.build import BuildResult, generate
from loomgen.cache import BuildCache
from loomgen.cli import main
from loomgen.discover import discover
from loomgen.render.black_form import black_mode, format_code, format_pieces
from loomgen.render.files import module_pieces, render_module
from loomgen.render.registry import render_registry

ENTITIES = """\
from dataclasses import dataclass

from loom.core.command import Command


@dataclass(frozen=True)
class Contact:
    id: int
    name: str


class RenameCommand(Command):
    name: str


def strip_name(cmd: RenameCommand, fields_set: frozenset[str]) -> RenameCommand:
    return cmd
"""

BASE = """\
from typing import Any

from loom.core.use_case import Input, LoadById, UseCase

from app.entities import Contact, RenameCommand, strip_name


class ContactUseCase(UseCase[Contact, Any]):
    computes = [strip_name]

    async def execute(
        self,
        contact_id: int,
        cmd: RenameCommand = Input(),
        contact: Contact = LoadById(Contact, by="contact_id"),
    ) -> Any:
        return contact.id
"""

USECASES = """\
from typing import Any

from loom.core.errors import RuleViolation
from loom.core.use_case import Exists, UseCase

from app.base import ContactUseCase
from app.entities import Contact, RenameCommand


def no_digits(cmd: RenameCommand, fields_set: frozenset[str]) -> None:
    if any(ch.isdigit() for ch in cmd.name):
        raise RuleViolation("name", "no digits")


class RenameContact(ContactUseCase):
    rules = [no_digits]


class Archive(UseCase[Contact, None]):
    async def execute(
        self, name: str, known: bool = Exists(Contact, from_param="name", against="name")
    ) -> None:
        return None
"""

OTHER = """\
from typing import Any

from loom.core.use_case import UseCase


class Ping(UseCase[Any, int]):
    read_only = True

    async def execute(self, n: int) -> int:
        return n
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "pyproject.toml").write_text('[tool.loomgen]\nsources = ["app"]\noutput = "gen"\n')
    files = {
        "app/__init__.py": "",
        "app/entities.py": ENTITIES,
        "app/base.py": BASE,
        "app/usecases.py": USECASES,
        "app/other.py": OTHER,
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(build.JOBS_VARIABLE, raising=False)
    yield tmp_path


def fresh(root: Path) -> BuildResult:
    """What a build without any cache produces."""
    sources, _ = discover([root / "app"], root=root, exclude=[root / "gen"])
    return generate(sources, "gen", cache=None)


def cached(root: Path) -> tuple[BuildResult, BuildCache]:
    sources, _ = discover([root / "app"], root=root, exclude=[root / "gen"])
    store = build.open_cache(root / ".loomgen-cache", root, "gen")
    assert store is not None
    return generate(sources, "gen", cache=store), store


def assert_same(a: BuildResult, b: BuildResult) -> None:
    """The same files, but for the toolchain recorded in INPUTS (a tool upgrade changes it)."""
    import json

    from loomgen.build import INPUTS

    assert {k: v for k, v in a.files.items() if k != INPUTS} == {
        k: v for k, v in b.files.items() if k != INPUTS
    }
    inputs = [json.loads(r.files[INPUTS]) for r in (a, b) if INPUTS in r.files]
    for document in inputs:
        document.pop("toolchain")
    assert all(document == inputs[0] for document in inputs)
    assert a.diagnostics == b.diagnostics


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_a_second_build_is_served_from_the_cache(project: Path) -> None:
    first, store = cached(project)
    assert store.hits == 0
    second, store = cached(project)
    assert store.hits == 5 and store.misses == 0
    assert_same(first, fresh(project))
    assert_same(second, first)


def test_editing_a_module_rebuilds_it_alone(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached(project)
    edit(project / "app/usecases.py", "rules = [no_digits]", "rules = [no_digits, no_digits]")
    analysed: list[str] = []
    real = build.analyse_one

    def counting(module: str, index: build.SourceIndex) -> build.ModuleOutcome:
        analysed.append(module)
        return real(module, index)

    monkeypatch.setattr(build, "analyse_one", counting)
    result, store = cached(project)
    assert analysed == ["app.usecases"]
    assert store.hits == 4
    assert_same(result, fresh(project))


def test_editing_a_base_class_rebuilds_its_subclasses(project: Path) -> None:
    before, _ = cached(project)
    edit(project / "app/base.py", 'by="contact_id"', 'by="contact_id", profile="full"')
    after, store = cached(project)
    assert store.misses == 2  # app.base itself and app.usecases, which inherits from it
    assert_same(after, fresh(project))
    assert after.files["app/usecases.py"] != before.files["app/usecases.py"]
    assert after.files["app/other.py"] == before.files["app/other.py"]


def test_editing_a_shared_function_signature_is_seen(project: Path) -> None:
    cached(project)
    edit(
        project / "app/entities.py",
        "def strip_name(cmd: RenameCommand, fields_set: frozenset[str])",
        "def strip_name(cmd: RenameCommand, fields_set: frozenset[str], context: object)",
    )
    result, _ = cached(project)
    assert_same(result, fresh(project))
    assert "(with context)" in result.files["app/usecases.py"]


def test_a_module_appearing_where_a_lookup_found_none_is_seen(project: Path) -> None:
    edit(
        project / "app/usecases.py",
        "from app.base import",
        "from app.rules import no_caps\nfrom app.base import",
    )
    edit(project / "app/usecases.py", "rules = [no_digits]", "rules = [no_digits, no_caps]")
    before, _ = cached(project)
    assert any("no_caps" in d.message for d in before.diagnostics)
    (project / "app/rules.py").write_text(
        "def no_caps(cmd: object, fields_set: frozenset[str]) -> None:\n    return None\n"
    )
    after, _ = cached(project)
    assert_same(after, fresh(project))
    assert not any("no_caps" in d.message for d in after.diagnostics)
    assert "no_caps" in after.files["app/usecases.py"]


def test_renaming_a_file_is_a_change(project: Path) -> None:
    cached(project)
    (project / "app/other.py").rename(project / "app/pings.py")
    result, _ = cached(project)
    assert_same(result, fresh(project))
    assert "app/pings.py" in result.files and "app/other.py" not in result.files


def test_a_black_upgrade_invalidates_every_record(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = cached(project)
    real = cache.tool_version
    monkeypatch.setattr(
        cache, "tool_version", lambda package: "99.0" if package == "black" else real(package)
    )
    cache.toolchain_digest.cache_clear()
    try:
        second, store = cached(project)
    finally:
        cache.toolchain_digest.cache_clear()
    assert store.hits == 0
    assert_same(second, first)


def test_a_loomgen_upgrade_invalidates_every_record(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _ = cached(project)
    monkeypatch.setattr(loomgen, "__version__", "99.0")
    cache.toolchain_digest.cache_clear()
    try:
        second, store = cached(project)
    finally:
        cache.toolchain_digest.cache_clear()
    assert store.hits == 0
    assert_same(second, first)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: "", id="empty"),
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: "\x00\xff garbage", id="garbage"),
        pytest.param(lambda text: "[1, 2, 3]", id="not-an-object"),
        pytest.param(
            lambda text: json.dumps({**json.loads(text), "entries": [["only", "three", 3]]}),
            id="wrong-shape",
        ),
    ],
)
def test_a_damaged_cache_file_is_ignored(project: Path, damage: object) -> None:
    first, _ = cached(project)
    records = sorted((project / ".loomgen-cache").rglob("*.json"))
    assert records
    for path in records:
        path.write_text(damage(path.read_text()))  # type: ignore[operator]
    second, _ = cached(project)
    assert_same(second, first)
    third, store = cached(project)
    assert store.misses == 0  # the damaged files were rewritten
    assert_same(third, first)


def test_check_agrees_with_and_without_the_cache(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def both(command: str) -> tuple[int, str]:
        with_cache = main([command])
        first = capsys.readouterr().out
        without = main([command, "--no-cache"])
        second = capsys.readouterr().out
        assert (with_cache, first) == (without, second)
        return with_cache, first

    assert both("check")[0] == 1  # nothing generated yet
    assert main(["build", "-q"]) == 0
    assert (project / ".loomgen-cache").is_dir()
    assert both("check") == (0, "loomgen: gen is up to date\n")

    # The cache holds records matching the old sources: check must see the edit.
    edit(project / "app/base.py", 'by="contact_id"', 'by="contact_id", profile="full"')
    code, out = both("check")
    assert code == 1 and "changed: app/usecases.py" in out
    assert both("diff")[0] == 1  # it printed the change
    assert main(["build", "-q"]) == 0
    assert both("check")[0] == 0

    (project / "app/other.py").unlink()
    code, out = both("check")
    assert code == 1 and "obsolete: app/other.py" in out


def test_no_cache_neither_reads_nor_writes(project: Path) -> None:
    assert main(["build", "-q", "--no-cache"]) == 0
    assert not (project / ".loomgen-cache").exists()
    (project / "pyproject.toml").write_text(
        '[tool.loomgen]\nsources = ["app"]\noutput = "gen"\ncache = false\n'
    )
    assert main(["build", "-q"]) == 0
    assert not (project / ".loomgen-cache").exists()


def test_the_cache_folder_ignores_itself(project: Path) -> None:
    assert main(["build", "-q"]) == 0
    assert (project / ".loomgen-cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_parallel_build_equals_a_serial_one(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = fresh(project)
    monkeypatch.setattr(build, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setenv(build.JOBS_VARIABLE, "2")
    assert build.jobs_for(5) == 2
    assert_same(fresh(project), serial)


def test_formatted_pieces_join_to_what_black_gives_the_whole_module(project: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    sources, _ = discover([root / "tests" / "usecases", root / "examples" / "shop"], root=root)
    modules, _ = build.analyse_sources(sources)
    assert modules
    for module in modules:
        pieces = module_pieces(module)
        whole = black.format_str("\n".join(code for _, code in pieces), mode=black_mode())
        one_by_one = [format_code(code, where) for where, code in pieces]
        # What an edit does (reformat some pieces, reuse the others) and what a
        # cold build does (one black run, cut into pieces) agree with black.
        assert render_module(module, lambda raw: one_by_one) == whole
        assert format_pieces(pieces) == one_by_one
        assert render_module(module) == whole
    registry = render_registry(modules)
    assert black.format_str(registry, mode=black_mode()) == registry
    assert black.format_str(render_registry([]), mode=black_mode()) == render_registry([])
