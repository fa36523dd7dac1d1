"""Fixtures that run every executor behaviour test in both execution modes.

``make_executor`` builds a :class:`RuntimeExecutor` for the current
``execution_mode``: ``interpreted`` runs the plan interpreter, ``generated``
runs the executors loomgen wrote for ``tests/usecases`` and ``examples/shop``
(built once per session into a temporary package). Generated mode is strict:
a use case without a fresh generated executor fails the test instead of
silently falling back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from tests.databases import database_url, postgres_server  # noqa: F401  (real databases)
from tests.postgres import pytest_collection_modifyitems, pytest_terminal_summary  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
MODES = ("interpreted", "generated")
GENERATED_SOURCES = (
    ROOT / "tests" / "usecases",
    ROOT / "tests" / "migration",
    ROOT / "examples" / "shop",
)
TEST_PACKAGE = "loom_test_generated"


@pytest.fixture(scope="session")
def generated_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the test use cases with loomgen into a temporary importable package."""
    from loomgen.build import build_package

    output = tmp_path_factory.mktemp("generated") / TEST_PACKAGE
    result = build_package([p for p in GENERATED_SOURCES if p.exists()], output, root=ROOT)
    problems = [str(d) for d in result.diagnostics]
    assert not problems, "loomgen reported problems:\n" + "\n".join(problems)
    sys.path.insert(0, str(output.parent))
    try:
        yield TEST_PACKAGE
    finally:
        sys.path.remove(str(output.parent))


@pytest.fixture(params=MODES)
def execution_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_executor(
    execution_mode: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., RuntimeExecutor]]:
    """``make_executor(**kwargs)`` -> a RuntimeExecutor in the current mode."""
    package = None
    if execution_mode == "generated":
        package = request.getfixturevalue("generated_package")

    made: list[RuntimeExecutor] = []

    def factory(*, compiler: UseCaseCompiler | None = None, **kwargs: Any) -> RuntimeExecutor:
        executor = RuntimeExecutor(
            compiler if compiler is not None else UseCaseCompiler(),
            execution_mode=execution_mode,
            generated_package=package,
            **kwargs,
        )
        made.append(executor)
        return executor

    yield factory
    if execution_mode == "generated":
        # The suite proves its own generated mode: every class a generated-mode
        # executor prepared ran generated code (a mode-selection bug would
        # otherwise let these tests silently run the interpreter). Executors
        # with debug_execution step through the reference interpreter.
        for executor in made:
            for use_case_type, prepared in executor.prepared_classes().items():
                if prepared.reason == "debug_execution":
                    continue
                assert prepared.generated, (
                    f"{use_case_type.__qualname__} ran interpreted in generated mode:"
                    f" {prepared.reason}"
                )
