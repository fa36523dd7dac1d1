"""The DSL against a reference evaluation written out here, on drawn declarations.

:func:`tests.differential.dsl_strategy.dsl_examples` draws a module of DSL
computes and rules with requests; each module is imported and every request
runs through the interpreter. The reference below evaluates the same
declarations from the drawn data alone (the paths, patch flags and modes, not
the spec objects), calling the module's own ``via`` functions: the result,
the violations (field and message, in rule order) or the error type, and what
every ``via`` function received, in order, must be the same.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import event, given, settings

from loom.core.engine import RuntimeExecutor, UseCaseCompiler
from loom.core.errors import RuleViolation, RuleViolations
from tests.differential.dsl_strategy import (
    DSL_TRACE,
    ComputeDecl,
    DslExample,
    Path as FieldPath,
    Pred,
    RuleDecl,
    Scenario,
    Schema,
    dsl_examples,
)
from tests.differential.profiles import robustness_settings

_NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="loom-dsl-") as name:
        yield Path(name)


def load(folder: Path, source: str) -> ModuleType:
    """Import ``source`` as a module of its own."""
    name = f"loom_dsl_example_{next(_NUMBERS)}"
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


# -- the reference ---------------------------------------------------------------------


def present(schema: Schema, path: FieldPath, cmd: Any, fields_set: frozenset[str]) -> bool:
    """Patch fields: sent (in the fields set of their holder); others: not ``None``."""
    if len(path) == 1:
        if schema.is_patch(path):
            return path[0] in fields_set
        return getattr(cmd, path[0]) is not None
    if schema.sub_patch and "sub" not in fields_set:
        return False
    if cmd.sub is None:
        return False
    if schema.is_patch(path):
        return path[1] in cmd.sub.model_fields_set
    return getattr(cmd.sub, path[1]) is not None


def holds(schema: Schema, pred: Pred, cmd: Any, fields_set: frozenset[str]) -> bool:
    if pred.op == "ref":
        return present(schema, pred.path, cmd, fields_set)
    assert pred.left is not None and pred.right is not None
    left = holds(schema, pred.left, cmd, fields_set)
    right = holds(schema, pred.right, cmd, fields_set)
    return (left and right) if pred.op == "and" else (left or right)


def value_at(cmd: Any, path: FieldPath) -> Any:
    if len(path) == 1:
        return getattr(cmd, path[0])
    return getattr(cmd.sub, path[1])  # AttributeError when sub is None


def with_value(cmd: Any, path: FieldPath, value: Any) -> Any:
    if len(path) == 1:
        return cmd.model_copy(update={path[0]: value})
    if cmd.sub is None:
        raise AttributeError("no sub to set a value on")
    return cmd.model_copy(update={"sub": cmd.sub.model_copy(update={path[1]: value})})


def run_compute(
    module: ModuleType, schema: Schema, decl: ComputeDecl, cmd: Any, fs: frozenset[str], ctx: Any
) -> Any:
    if decl.predicate is not None and not holds(schema, decl.predicate, cmd, fs):
        return cmd
    args = [cmd] if decl.whole_command else [value_at(cmd, p) for p in decl.sources]
    args += [ctx[name] for name in decl.params]
    value = getattr(module, f"via_{decl.name}")(*args) if decl.via else args[0]
    return with_value(cmd, decl.target, value)


def violation_field(decl: RuleDecl, sources: tuple[FieldPath, ...]) -> str:
    if decl.kind == "check":
        return decl.targets[0][-1]
    if sources:
        return sources[0][-1]
    if decl.params:
        return decl.params[0]
    if decl.predicate is not None and decl.predicate.op == "ref":
        return decl.predicate.path[-1]
    return "Cmd"


def run_rule(
    module: ModuleType, schema: Schema, decl: RuleDecl, cmd: Any, fs: frozenset[str], ctx: Any
) -> tuple[str, str] | None:
    if decl.predicate is not None and not holds(schema, decl.predicate, cmd, fs):
        return None
    if decl.kind == "require_present":
        (target,) = decl.targets
        if present(schema, target, cmd, fs):
            return None
        return (decl.field or target[-1], decl.message or f"{target[-1]} is required")
    sources = decl.targets if decl.from_command is None else decl.from_command
    whole = not sources
    args = [cmd, fs] if whole else [value_at(cmd, p) for p in sources]
    args += [ctx[name] for name in decl.params]
    result = getattr(module, f"via_{decl.name}")(*args)
    field = violation_field(decl, () if whole else sources)
    if isinstance(result, RuleViolation):
        return (result.field, result.message)
    if isinstance(result, str):
        return (field, result)
    if result is True:
        return (field, decl.message or "Rule check failed")
    return None


def reference(module: ModuleType, scenario: Scenario, params: Any, payload: Any) -> Any:
    try:
        cmd, fs = module.Cmd.from_payload(payload)
        for compute in scenario.computes:
            ctx = {**params, "cmd": cmd}
            cmd = run_compute(module, scenario.schema, compute, cmd, fs, ctx)
        violations = []
        for rule in scenario.rules:
            found = run_rule(module, scenario.schema, rule, cmd, fs, {**params, "cmd": cmd})
            if found is not None:
                violations.append(found)
    except Exception as error:  # noqa: BLE001 - compared with the executor's
        return ("error", type(error).__name__)
    if violations:
        return ("violations", violations)
    return ("result", repr(cmd))


async def actual(executor: RuntimeExecutor, module: ModuleType, params: Any, payload: Any) -> Any:
    try:
        result = await executor.execute(module.UC(), params=params, payload=payload)
    except RuleViolations as error:
        return ("violations", [(v.field, v.message) for v in error.violations])
    except Exception as error:  # noqa: BLE001 - compared with the reference's
        return ("error", type(error).__name__)
    return ("result", repr(result))


# -- the property ------------------------------------------------------------------------


def check(folder: Path, example: DslExample) -> None:
    module = load(folder, example.sources["ucs.py"])
    executor = RuntimeExecutor(UseCaseCompiler(), execution_mode="interpreted")
    for request in example.requests:
        DSL_TRACE.clear()
        expected = reference(module, example.scenario, request.params, request.payload)
        expected_trace = list(DSL_TRACE)
        DSL_TRACE.clear()
        got = asyncio.run(actual(executor, module, request.params, request.payload))
        assert got == expected, f"request {request!r}"
        assert DSL_TRACE == expected_trace, f"request {request!r}"
        event(f"outcome: {got[0] if got[0] != 'error' else got[1]}")
        event(f"via calls: {min(len(expected_trace), 4)}")
        if got[0] == "violations":
            event(f"violations: {min(len(got[1]), 3)}")


def at_least(examples: int) -> settings:
    """The robustness profile, with at least ``examples`` examples."""
    profile = robustness_settings()
    return settings(profile, max_examples=max(examples, profile.max_examples))


@pytest.mark.slow
@at_least(500)
@given(example=dsl_examples(twists=False))
def test_the_dsl_matches_the_reference(folder: Path, example: DslExample) -> None:
    check(folder, example)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(example=dsl_examples(max_requests=2, twists=False))
def test_the_dsl_matches_the_reference_quick(folder: Path, example: DslExample) -> None:
    check(folder, example)
