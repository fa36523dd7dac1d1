"""Reading the sources, and the modules of the import path loomgen may read."""

from __future__ import annotations

from pathlib import Path

from loomgen.discover import discover
from loomgen.sources import Digests, ImportPath, RecordingModules, SourceIndex, read_texts


def project(root: Path) -> ImportPath:
    files = {
        "src/app/__init__.py": "",
        "src/app/users.py": "from lib.base import Base\n",
        "src/lib/__init__.py": "",
        "src/lib/base.py": "class Base: ...\n",
        "src/gen/__init__.py": "",
        "src/json.py": "",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    sources, problems = discover([root / "src" / "app"], root=root)
    assert problems == []
    return ImportPath.of(sources, "gen")


def test_modules_beside_the_sources_are_found_with_a_display_path(tmp_path: Path) -> None:
    path = project(tmp_path)
    assert path.roots == (tmp_path / "src",)
    found = path.locate("lib.base")
    assert found is not None
    assert (found.path, found.display, found.module) == (
        tmp_path / "src/lib/base.py",
        "src/lib/base.py",
        "lib.base",
    )
    package = path.locate("lib")
    assert package is not None and package.path.name == "__init__.py"


def test_the_generated_package_the_stdlib_and_loom_are_never_read(tmp_path: Path) -> None:
    path = project(tmp_path)
    for module in ("gen", "json", "loom.core", "loomgen", "nowhere", "lib.", "1lib"):
        assert path.locate(module) is None, module


def test_the_index_scans_on_demand_and_records_what_was_asked(tmp_path: Path) -> None:
    path = project(tmp_path)
    sources, _ = discover([tmp_path / "src" / "app"], root=tmp_path)
    texts, problems = read_texts(sources)
    assert problems == [] and sorted(texts) == ["app", "app.users"]
    index = SourceIndex(texts, path)
    modules = RecordingModules(index)
    assert "lib.base" in modules and "nowhere" not in modules
    assert modules["lib.base"].classes.keys() == {"Base"}
    assert modules.asked == {"lib.base", "nowhere"}
    assert list(modules) == ["app", "app.users"]  # iterates the sources only
    digests = Digests(index)
    assert digests["lib.base"] == index.outside["lib.base"][2]  # type: ignore[index]
    assert len(digests) == 2


def test_an_unreadable_module_outside_the_sources_is_not_seen(tmp_path: Path) -> None:
    path = ImportPath((tmp_path,), tmp_path)
    (tmp_path / "broken.py").write_text("def (:\n")
    index = SourceIndex({}, path)
    assert index.entry("broken") is not None  # its text is read
    assert index.scan("broken") is None  # but it does not parse: not seen
