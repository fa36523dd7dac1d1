"""The error types, the public import paths, tracing and the small protocols."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
from enum import StrEnum
from typing import Any

import pytest

from loom.core.engine import EventKind, RuntimeEvent
from loom.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LoomError,
    NotFound,
    RuleViolation,
    RuleViolations,
)
from loom.core.job.context import (
    add_pending_dispatch,
    clear_pending_dispatches,
    flush_pending_dispatches,
)
from loom.core.tracing import get_trace_id, reset_trace_id, set_trace_id
from loom.core.uow import UnitOfWork, UnitOfWorkFactory
from tests.support import RecordingUnitOfWork, RecordingUnitOfWorkFactory

PUBLIC_NAMES = {
    "loom.core.engine": [
        "UseCaseCompiler",
        "CompilationError",
        "RuntimeExecutor",
        "ExecutionPlan",
        "ParamBinding",
        "InputBinding",
        "LoadStep",
        "ExistsStep",
        "ComputeStep",
        "RuleStep",
        "EventKind",
        "RuntimeEvent",
        "MetricsAdapter",
    ],
    "loom.core.engine.compiler": ["UseCaseCompiler", "CompilationError"],
    "loom.core.engine.executor": ["RuntimeExecutor", "ParameterBindingError"],
    "loom.core.engine.plan": [
        "ExecutionPlan",
        "ParamBinding",
        "InputBinding",
        "LoadStep",
        "ExistsStep",
        "ComputeStep",
        "RuleStep",
    ],
    "loom.core.engine.events": ["EventKind", "RuntimeEvent"],
    "loom.core.use_case": [
        "UseCase",
        "Input",
        "LoadById",
        "Load",
        "Exists",
        "OnMissing",
        "RuleViolation",
        "RuleViolations",
        "ComputeFn",
        "RuleFn",
    ],
    "loom.core.use_case.markers": [
        "Input",
        "LoadById",
        "Load",
        "Exists",
        "OnMissing",
        "SourceKind",
        "LookupKind",
    ],
    "loom.core.use_case.use_case": ["UseCase"],
    "loom.core.use_case.rule": ["RuleViolation", "RuleViolations", "RuleFn"],
    "loom.core.job": ["Job"],
    "loom.core.job.job": ["Job"],
    "loom.core.job.context": [
        "add_pending_dispatch",
        "flush_pending_dispatches",
        "clear_pending_dispatches",
    ],
    "loom.core.command": ["Command", "CommandField", "Patch", "Internal", "Computed"],
    "loom.core.command.field": ["CommandField", "Patch", "Internal", "Computed"],
    "loom.core.command.introspection": [
        "get_command_fields",
        "get_input_fields",
        "get_calculated_fields",
        "get_internal_fields",
        "get_patch_fields",
        "is_patch_command",
    ],
    "loom.core.errors": [
        "LoomError",
        "DomainError",
        "SystemError",
        "NotFound",
        "Forbidden",
        "Conflict",
        "RuleViolation",
        "RuleViolations",
    ],
    "loom.core.errors.codes": ["ErrorCode"],
    "loom.core.job": ["Job", "JobCallback", "JobHandle", "JobGroup", "InlineJobService"],
    "loom.core.job.callback": ["JobCallback", "NullJobCallback"],
    "loom.core.job.handle": ["JobHandle", "JobGroup", "JobFailedError", "JobTimeoutError"],
    "loom.core.job.service": ["InlineJobService", "JobService"],
    "loom.core.uow": ["UnitOfWork", "UnitOfWorkFactory"],
    "loom.core.uow.abc": ["UnitOfWork", "UnitOfWorkFactory"],
    "loom.core.uow.context": ["get_active_uow", "_active_uow"],
    "loom.core.tracing": ["get_trace_id", "set_trace_id", "reset_trace_id", "generate_trace_id"],
    "loom.core.tracing.context": ["generate_trace_id", "get_trace_id"],
    "loom.core.logger": [
        "LoggerPort",
        "get_logger",
        "configure_logger_factory",
        "reset_logger_factory",
        "StructLogger",
    ],
    "loom.core.logger.abc": ["LoggerPort"],
    "loom.core.logger.config": [
        "LoggerConfig",
        "LogConfig",
        "configure_logging",
        "configure_logging_from_values",
    ],
    "loom.core.logger.structlogger": ["StructLogger"],
    "loom.core.use_case.factory": ["UseCaseFactory"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_are_importable(module: str) -> None:
    imported = importlib.import_module(module)

    missing = [name for name in PUBLIC_NAMES[module] if not hasattr(imported, name)]
    assert missing == []


def test_names_exported_from_several_modules_are_the_same_objects() -> None:
    from loom.core import engine, use_case
    from loom.core.engine import compiler, events, executor, plan
    from loom.core.job import Job
    from loom.core.job.job import Job as JobFromModule
    from loom.core.use_case import rule

    assert engine.UseCaseCompiler is compiler.UseCaseCompiler
    assert engine.CompilationError is compiler.CompilationError
    assert engine.RuntimeExecutor is executor.RuntimeExecutor
    assert engine.ExecutionPlan is plan.ExecutionPlan
    assert engine.EventKind is events.EventKind
    assert use_case.RuleViolation is rule.RuleViolation is RuleViolation
    assert use_case.RuleViolations is rule.RuleViolations is RuleViolations
    assert Job is JobFromModule


def test_parameter_binding_error_is_a_value_error() -> None:
    from loom.core.engine.executor import ParameterBindingError

    assert issubclass(ParameterBindingError, ValueError)


# -- errors ------------------------------------------------------------------------------


def test_loom_error_carries_message_and_keyword_only_code() -> None:
    error = LoomError("something broke", code="broken")

    assert str(error) == "something broke"
    assert error.code == "broken"
    with pytest.raises(TypeError):
        LoomError("something broke", "broken")  # type: ignore[call-arg]


def test_domain_error_is_a_loom_error() -> None:
    assert issubclass(DomainError, LoomError)
    assert DomainError("refused", code="refused").code == "refused"


def test_not_found_names_the_entity_and_the_id() -> None:
    error = NotFound("User", id=42)

    assert error.entity == "User"
    assert error.id == 42
    assert "User" in str(error)
    assert "42" in str(error)
    assert isinstance(error, LoomError)


def test_not_found_takes_the_id_by_keyword() -> None:
    with pytest.raises(TypeError):
        NotFound("User", 42)  # type: ignore[call-arg]


def test_rule_violation_keeps_field_and_bare_message() -> None:
    violation = RuleViolation("email", "is already taken")

    assert violation.field == "email"
    assert violation.message == "is already taken"
    assert "email" in str(violation)
    assert "is already taken" in str(violation)


def test_rule_violations_keeps_every_violation_as_a_tuple() -> None:
    first = RuleViolation("name", "is required")
    second = RuleViolation("age", "is too low")

    error = RuleViolations(violation for violation in [first, second])

    assert error.violations == (first, second)
    assert isinstance(error.violations, tuple)
    assert "is required" in str(error)
    assert "is too low" in str(error)


def test_every_error_has_its_own_code() -> None:
    errors: list[LoomError] = [
        NotFound("User", id=1),
        Forbidden("no"),
        Conflict("duplicate"),
        RuleViolation("f", "m"),
        RuleViolations([RuleViolation("f", "m")]),
    ]

    codes = [error.code for error in errors]
    assert all(isinstance(code, str) and code for code in codes)
    assert len(set(codes)) == len(codes)
    assert all(isinstance(error, LoomError) for error in errors)


def test_forbidden_and_conflict_keep_their_message() -> None:
    assert "not yours" in str(Forbidden("not yours"))
    assert "duplicate email" in str(Conflict("duplicate email"))


# -- events ----------------------------------------------------------------------------------


def test_event_kinds_are_strings() -> None:
    assert issubclass(EventKind, StrEnum)
    assert {"COMPILE_START", "COMPILE_DONE", "EXEC_START", "EXEC_DONE", "EXEC_ERROR"} <= set(
        EventKind.__members__
    )


def test_event_kinds_are_loom_kernels_plus_generated_fallback() -> None:
    kernel = ["compile_start", "compile_done", "exec_start", "step_done", "exec_done"]
    kernel += ["exec_error", "job_dispatched", "job_started", "job_succeeded", "job_retrying"]
    kernel += ["job_exhausted"]

    assert {kind.name.lower(): kind.value for kind in EventKind} == {
        **{value: value for value in kernel},
        "generated_fallback": "generated_fallback",
    }


def test_runtime_events_are_immutable_with_optional_fields() -> None:
    event = RuntimeEvent(kind=EventKind.EXEC_START, use_case_name="PlaceOrder")

    assert (event.step_name, event.duration_ms, event.status, event.error, event.trace_id) == (
        None,
        None,
        None,
        None,
        None,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.status = "success"  # type: ignore[misc]


# -- tracing ------------------------------------------------------------------------------------


def test_set_and_reset_trace_id() -> None:
    assert get_trace_id() is None

    outer = set_trace_id("outer")
    assert get_trace_id() == "outer"
    inner = set_trace_id("inner")
    assert get_trace_id() == "inner"
    reset_trace_id(inner)
    assert get_trace_id() == "outer"
    reset_trace_id(outer)

    assert get_trace_id() is None


async def test_each_task_sees_its_own_trace_id() -> None:
    async def traced(trace_id: str) -> str | None:
        set_trace_id(trace_id)
        await asyncio.sleep(0)
        return get_trace_id()

    results = await asyncio.gather(traced("a"), traced("b"))

    assert list(results) == ["a", "b"]
    assert get_trace_id() is None


# -- protocols and dispatch helpers --------------------------------------------------------------


def test_the_recording_doubles_satisfy_the_unit_of_work_protocols() -> None:
    assert isinstance(RecordingUnitOfWork([]), UnitOfWork)
    assert isinstance(RecordingUnitOfWorkFactory(), UnitOfWorkFactory)
    assert not isinstance(object(), UnitOfWork)
    assert not isinstance(object(), UnitOfWorkFactory)


async def test_pending_dispatches_flush_in_order_and_clear() -> None:
    ran: list[Any] = []

    async def later() -> None:
        ran.append("async")

    add_pending_dispatch(lambda: ran.append("sync"))
    add_pending_dispatch(later)
    await flush_pending_dispatches()
    assert ran == ["sync", "async"]

    await flush_pending_dispatches()
    assert ran == ["sync", "async"]

    add_pending_dispatch(lambda: ran.append("dropped"))
    clear_pending_dispatches()
    await flush_pending_dispatches()
    assert ran == ["sync", "async"]
