"""The whole package in memory: files, problems, and what the registry lists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from loomgen.build import BuildResult, build_package, generate
from loomgen.discover import discover

CASES = Path(__file__).resolve().parents[1] / "cases"


def registry_sizes(registry: str) -> tuple[int, int]:
    """How many entries the rendered registry's two tables hold."""
    sizes = {"EXECUTORS": 0, "INTERPRETED": 0}
    for node in ast.parse(registry).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id in sizes and isinstance(node.value, ast.Dict):
                sizes[node.target.id] = len(node.value.keys)
    return sizes["EXECUTORS"], sizes["INTERPRETED"]


@pytest.mark.parametrize("case", ["unsupported", "inheritance", "errors"])
def test_the_coverage_line_counts_what_the_registry_lists(case: str) -> None:
    root = CASES / case / "source"
    sources, _ = discover([root], root=root)
    result = generate(sources, "generated")
    counted = (result.compiled, result.interpreted)
    assert counted == registry_sizes(result.files.get("__init__.py", ""))
    if case == "unsupported":
        assert counted == (3, 3)
        assert result.coverage() == "3 use cases compiled, 3 left to the interpreter"


def test_build_package_writes_what_generate_gives(tmp_path: Path) -> None:
    root = CASES / "unsupported" / "source"
    output = tmp_path / "generated"
    result = build_package([root], output, root=root)
    assert not result.errors()
    assert (result.compiled, result.interpreted) == (3, 3)
    for rel, text in result.files.items():
        assert (output / rel).read_text() == text


def test_one_use_case_is_singular() -> None:
    assert BuildResult({}, compiled=1).coverage() == (
        "1 use case compiled, 0 left to the interpreter"
    )
