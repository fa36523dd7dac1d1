"""One contract between loomgen and the runtime, checked on every use case we have.

For every use case of the golden cases, the behaviour tests and the example
shop: the shape loomgen computes from source equals the shape the runtime
computes from the live plan (both through the contract's builders, in
:mod:`loom.core.engine.contract`), each ``Compute``/``Rule`` declaration loomgen
compiles inline reads as the same typed fact as the live spec, and right after a
fresh build, ``auto`` mode runs the generated executor of every use case the
build compiled, and interprets (saying why, once) every one it left to the
interpreter.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loom.core.engine import EventKind, RuntimeExecutor, UseCaseCompiler
from loom.core.engine.compiler import build_plan
from loom.core.engine.fingerprint import plan_facts, plan_shape, specialized_objects
from loom.core.use_case.declaration import declaration_of, describe
from loomgen.build import build_package
from loomgen.workers import analyse_sources
from loomgen.discover import discover
from loomgen.ir import ModuleIR
from tests.golden import CASES
from tests.support import RecordingLogger, RecordingMetrics

ROOT = Path(__file__).resolve().parents[2]
IMPORTABLE_CASES = (
    "computes_rules",
    "dsl",
    "escaping",
    "forms",
    "inheritance",
    "jobs_sync_readonly",
    "kernel_surface",
    "markers",
)
"""Golden cases whose sources import (``errors`` holds syntax errors on purpose;
``unsupported`` imports a library that does not exist)."""
PROJECTS = {name: (CASES / name / "source", CASES / name / "source") for name in IMPORTABLE_CASES}
PROJECTS["tests.usecases"] = (ROOT / "tests" / "usecases", ROOT)
PROJECTS["tests.migration"] = (ROOT / "tests" / "migration", ROOT)
PROJECTS["examples.shop"] = (ROOT / "examples" / "shop", ROOT)


@pytest.fixture(params=sorted(PROJECTS))
def project(request: pytest.FixtureRequest) -> Iterator[tuple[Path, Path]]:
    """``(sources, import root)``, with the import root on ``sys.path`` meanwhile."""
    sources, root = PROJECTS[request.param]
    before = set(sys.modules)
    sys.path.insert(0, str(root))
    try:
        yield sources, root
    finally:
        sys.path.remove(str(root))
        if root != ROOT:
            for name in set(sys.modules) - before:
                del sys.modules[name]


def analysed(sources: Path, root: Path) -> list[ModuleIR]:
    found, problems = discover([sources], root=root)
    modules, diagnostics = analyse_sources(found)
    assert not [d for d in problems + diagnostics if d.severity == "error"]
    return modules


def live(module: str, qualname: str) -> Any:
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def test_loomgen_computes_the_runtimes_shape(project: tuple[Path, Path]) -> None:
    modules = analysed(*project)
    checked = inlined = 0
    for module in modules:
        for uc in module.use_cases:
            plan = build_plan(live(module.module, uc.qualname))
            assert uc.facts() == plan_facts(plan), uc.key
            assert uc.shape() == plan_shape(plan), uc.key
            for step, live_step in [
                *zip(uc.computes, plan.compute_steps, strict=True),
                *zip(uc.rules, plan.rule_steps, strict=True),
            ]:
                if step.inline is not None:
                    assert step.inline.declaration == declaration_of(live_step.fn), uc.key
                    assert step.inline.description == describe(live_step.fn), uc.key
                    inlined += 1
            assert len(uc.specialized_on()) == len(specialized_objects(plan)), uc.key
            checked += 1
    assert checked > 0
    if project[0].name == "source" and project[0].parent.name == "dsl":
        assert inlined > 0  # the golden DSL case compiles declarations inline


def test_auto_runs_every_compiled_use_case_right_after_a_build(
    project: tuple[Path, Path], tmp_path: Path
) -> None:
    sources, root = project
    package = f"fresh_{abs(hash(str(sources))) % 10**8}"
    result = build_package([sources], tmp_path / package, root=root)
    assert result.files, [str(d) for d in result.diagnostics]
    sys.path.insert(0, str(tmp_path))
    try:
        registry = importlib.import_module(package)
        metrics, logger = RecordingMetrics(), RecordingLogger()
        executor = RuntimeExecutor(
            UseCaseCompiler(),
            execution_mode="auto",
            generated_package=package,
            metrics=metrics,
            logger=logger,
        )
        for key in registry.EXECUTORS:
            assert executor.uses_generated(live(*key.split(":"))), key
        assert metrics.of_kind(EventKind.GENERATED_FALLBACK) == []
        for key, reason in registry.INTERPRETED.items():
            try:
                use_case = live(*key.split(":"))
            except ImportError:
                continue  # a module that needs what this machine lacks (on purpose)
            assert not executor.uses_generated(use_case), key
            fallback = metrics.of_kind(EventKind.GENERATED_FALLBACK)[-1]
            assert (fallback.status, fallback.reason) == (
                "interpreted",
                f"left to the interpreter by the build: {reason}",
            )
        assert logger.at("warning") == []
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
