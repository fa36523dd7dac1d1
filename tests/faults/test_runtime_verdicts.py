"""What the runtime says about a class without a fresh generated executor.

Three different situations, three different messages, in both ``auto`` and
``generated`` mode:

- *changed since the last build* (advice: ``loomgen build``): a class added to
  a source module, or a class the build left to the interpreter whose module
  changed since (such an entry is stale, never trusted);
- *left to the interpreter by the build*, with the build's reason;
- *no build saw it*: a module outside the sources (named, with its file), a
  class created while the module runs, a class redefined under its own name.

In ``auto`` mode every such class is one ``generated_fallback`` event and one
``[GEN]`` line, once per class: never silent.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loom.core.engine import GeneratedCodeError, RuntimeExecutor, UseCaseCompiler
from loom.core.engine.events import EventKind
from tests.tmp_project import TmpProject, replace_once
from tests.support import RecordingLogger, RecordingMetrics

SOURCE = """\
from typing import Any

from loom.core.use_case import UseCase


def traced(function: Any) -> Any:
    return function


class Plain(UseCase[Any, int]):
    async def execute(self, n: int) -> int:
        return n + 1


class Decorated(UseCase[Any, int]):
    @traced
    async def execute(self, n: int) -> int:
        return n + 2


Made = type("Made", (Plain,), {"__module__": __name__})


class Twice(UseCase[Any, int]):
    async def execute(self, n: int) -> int:
        return n + 3


FIRST_TWICE = Twice


class Twice(UseCase[Any, int]):  # type: ignore[no-redef]
    async def execute(self, n: int) -> int:
        return n + 4
"""

OUTSIDE = """\
from typing import Any

from loom.core.use_case import UseCase


class Elsewhere(UseCase[Any, int]):
    async def execute(self, n: int) -> int:
        return n + 5
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[TmpProject]:
    built = TmpProject(tmp_path)
    built.write("cases", SOURCE)
    outside = tmp_path / f"{built.package}_outside.py"
    outside.write_text(OUTSIDE, encoding="utf-8")
    built.build()
    try:
        yield built
    finally:
        built.forget()
        sys.modules.pop(f"{built.package}_outside", None)


def executor(project: TmpProject, mode: str) -> tuple[RuntimeExecutor, RecordingMetrics, Any]:
    metrics, logger = RecordingMetrics(), RecordingLogger()
    runtime = RuntimeExecutor(
        UseCaseCompiler(logger=RecordingLogger()),
        logger=logger,
        metrics=metrics,
        execution_mode=mode,
        generated_package=project.generated,
    )
    return runtime, metrics, logger


def verdict(project: TmpProject, use_case: type[Any]) -> tuple[str | None, str, str]:
    """``(status, reason, [GEN] line)`` in auto mode, after checking it is said once."""
    runtime, metrics, logger = executor(project, "auto")
    runtime.prepare(use_case)
    runtime.prepare(use_case)  # once per class
    assert asyncio.run(runtime.execute(use_case(), params={"n": 1})) is not None
    events = [e for e in metrics.events if e.kind is EventKind.GENERATED_FALLBACK]
    lines = [line.event for line in logger.lines if line.event.startswith("[GEN]")]
    assert len(events) == 1 and len(lines) == 1, (events, lines)
    return events[0].status, events[0].reason or "", lines[0]


def generated_mode_error(project: TmpProject, use_case: type[Any]) -> str:
    runtime, _, _ = executor(project, "generated")
    with pytest.raises(GeneratedCodeError) as caught:
        runtime.prepare(use_case)
    return str(caught.value)


def test_a_compiled_class_runs_generated_and_says_nothing(project: TmpProject) -> None:
    module = project.import_module("cases")
    runtime, metrics, logger = executor(project, "auto")
    assert runtime.uses_generated(module.Plain)
    assert metrics.events == [] and logger.lines == []


def test_left_to_the_interpreter_by_the_build_says_the_build_s_reason(
    project: TmpProject,
) -> None:
    module = project.import_module("cases")
    status, reason, line = verdict(project, module.Decorated)
    assert status == "interpreted"
    assert reason == "left to the interpreter by the build: execute() is decorated"
    assert reason in line
    runtime, metrics, _ = executor(project, "generated")
    assert not runtime.uses_generated(module.Decorated)
    assert [e.reason for e in metrics.events] == [reason]


def test_a_stale_left_to_the_interpreter_entry_is_not_trusted(project: TmpProject) -> None:
    project.write("cases", replace_once(SOURCE, "        return n + 2", "        return n + 20"))
    module = project.import_module("cases")
    status, reason, _ = verdict(project, module.Decorated)
    assert status == "stale"
    assert "changed since `loomgen build`" in reason
    assert "execute() is decorated" in reason and "run `loomgen build`" in reason
    message = generated_mode_error(project, module.Decorated)
    assert "changed since `loomgen build`" in message
    assert message.count("run `loomgen build`") == 1


def test_a_class_added_since_the_build_asks_for_a_build(project: TmpProject) -> None:
    added = SOURCE + (
        "\n\nclass Added(UseCase[Any, int]):\n"
        "    async def execute(self, n: int) -> int:\n"
        "        return n + 6\n"
    )
    project.write("cases", added)
    module = project.import_module("cases")
    status, reason, _ = verdict(project, module.Added)
    assert status == "missing"
    assert f"{project.package}.cases:Added is not in {project.generated}" in reason
    assert "which the last `loomgen build` did not list" in reason
    assert "added or renamed since (run `loomgen build`)" in reason
    assert "sources" not in reason
    assert "did not list" in generated_mode_error(project, module.Added)


def test_a_module_outside_the_sources_is_named_with_its_file(project: TmpProject) -> None:
    project.enter()
    outside = importlib.import_module(f"{project.package}_outside")
    status, reason, _ = verdict(project, outside.Elsewhere)
    assert status == "missing"
    assert f"module {project.package}_outside ({outside.__file__})" in reason
    assert f"is not under the sources of the build that wrote {project.generated}" in reason
    assert f"they cover: {project.package}" in reason
    assert "add it to [tool.loomgen] sources" in generated_mode_error(project, outside.Elsewhere)


def test_a_class_made_while_the_module_runs_is_left_to_the_interpreter(
    project: TmpProject,
) -> None:
    module = project.import_module("cases")
    status, reason, _ = verdict(project, module.Made)
    assert status == "interpreted", reason
    assert "is not made by a class statement" in reason
    runtime, _, _ = executor(project, "generated")
    assert not runtime.uses_generated(module.Made)


def test_a_class_its_module_no_longer_names_is_not_called_stale(
    project: TmpProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build compiled Plain; something rebinds the module's name afterwards
    # (code the build never reads): the original class is not the one the
    # registry speaks for, and nothing about it changed since the build.
    module = project.import_module("cases")
    original = module.Plain
    monkeypatch.setattr(
        module, "Plain", type("Plain", (original,), {"__module__": module.__name__})
    )
    status, reason, _ = verdict(project, original)
    assert status == "interpreted"
    assert f"{module.__name__}.Plain now names another object" in reason
    runtime, _, _ = executor(project, "generated")
    assert not runtime.uses_generated(original)


def test_two_classes_of_one_name_are_both_accounted_for(project: TmpProject) -> None:
    module = project.import_module("cases")
    for use_case in (module.Twice, module.FIRST_TWICE):
        runtime, metrics, _ = executor(project, "generated")
        if not runtime.uses_generated(use_case):
            assert [e.status for e in metrics.events] == ["interpreted"], metrics.events


def test_a_registry_entry_without_its_source_digest_is_stale(project: TmpProject) -> None:
    registry = project.output / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    start = text.index("INTERPRETED_SOURCES: dict[str, str] = {")
    end = text.index("}\n", start) + 2
    registry.write_text(
        text[:start] + "INTERPRETED_SOURCES: dict[str, str] = {}\n" + text[end:],
        encoding="utf-8",
    )
    module = project.import_module("cases")
    status, reason, _ = verdict(project, module.Decorated)
    assert status == "stale"
    assert "an older loomgen wrote it" in reason
    assert "run `loomgen build`" in generated_mode_error(project, module.Decorated)
