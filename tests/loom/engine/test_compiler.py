"""UseCaseCompiler: plans, caching, compile events and CompilationError.

The compiler is shared by both execution modes, so most tests here compile
without executing. The few that go through an executor use ``make_executor``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from loom.core.engine import (
    CompilationError,
    ComputeStep,
    EventKind,
    ExecutionPlan,
    ExistsStep,
    InputBinding,
    LoadStep,
    ParamBinding,
    RuleStep,
    RuntimeExecutor,
    UseCaseCompiler,
)
from loom.core.command import Command
from loom.core.job import Job
from loom.core.use_case import Exists, Input, Load, LoadById, UseCase
from loom.core.use_case.markers import LookupKind, OnMissing, SourceKind
from tests.compile_errors import cases
from tests.support import RecordingLogger, RecordingMetrics
from tests.usecases.computes_rules import (
    Register,
    adult,
    RegisterWithContext,
    email_not_taken,
    lower_email,
    name_required,
    note_context,
    strip_name,
)
from tests.usecases.domain import AssignTeam, Team, User
from tests.usecases.exists import CheckThenLoad
from tests.usecases.jobs import DoubleJob
from tests.usecases.loads import AssignOwner, GetUserById
from tests.usecases.params import CountWithTypeCheckingResult, EchoParams
from tests.usecases.uow import ActiveUow, ReadOnlyActiveUow

MakeExecutor = Callable[..., RuntimeExecutor]


# -- caching -----------------------------------------------------------------------


def test_get_plan_is_none_before_compile() -> None:
    assert UseCaseCompiler().get_plan(EchoParams) is None


def test_compile_caches_and_stores_the_plan_on_the_class() -> None:
    compiler = UseCaseCompiler()

    plan = compiler.compile(EchoParams)

    assert isinstance(plan, ExecutionPlan)
    assert compiler.compile(EchoParams) is plan
    assert compiler.get_plan(EchoParams) is plan
    assert EchoParams.__execution_plan__ is plan


def test_compile_inspects_execute_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    compiler = UseCaseCompiler()
    compiler.compile(AssignOwner)
    calls: list[object] = []
    real_signature = inspect.signature

    def counting_signature(obj: Any, *args: Any, **kwargs: Any) -> inspect.Signature:
        calls.append(obj)
        return real_signature(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting_signature)

    compiler.compile(AssignOwner)
    compiler.compile(AssignOwner)

    assert calls == []


def test_compile_emits_start_and_done_once() -> None:
    metrics = RecordingMetrics()
    compiler = UseCaseCompiler(metrics=metrics)

    compiler.compile(EchoParams)
    compiler.compile(EchoParams)

    assert metrics.kinds == [EventKind.COMPILE_START, EventKind.COMPILE_DONE]
    assert {event.use_case_name for event in metrics.events} == {EchoParams.__qualname__}


async def test_executor_uses_the_compilers_cached_plan(make_executor: MakeExecutor) -> None:
    metrics = RecordingMetrics()
    compiler = UseCaseCompiler(metrics=metrics)
    plan = compiler.compile(EchoParams)
    executor = make_executor(compiler=compiler)

    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    await executor.execute(EchoParams(), params={"user_id": 2, "name": "b"})

    assert compiler.get_plan(EchoParams) is plan
    assert metrics.kinds == [EventKind.COMPILE_START, EventKind.COMPILE_DONE]


async def test_executing_twice_builds_the_plan_once() -> None:
    class Fresh(UseCase[Any, int]):  # defined here: no generated executor, interpreted
        async def execute(self, value: int) -> int:
            return value

    compiler = UseCaseCompiler()
    built: list[type[Any]] = []
    real_build = compiler._build_plan

    def spy(use_case_type: type[Any]) -> ExecutionPlan:
        built.append(use_case_type)
        return real_build(use_case_type)

    compiler._build_plan = spy  # type: ignore[method-assign]
    executor = RuntimeExecutor(compiler, execution_mode="interpreted")

    assert await executor.execute(Fresh(), params={"value": 1}) == 1
    assert await executor.execute(Fresh(), params={"value": 2}) == 2
    assert built == [Fresh]


def test_compile_logs_loom_kernels_boot_lines() -> None:
    logger = RecordingLogger()

    UseCaseCompiler(logger=logger).compile(AssignOwner)

    name = AssignOwner.__qualname__
    assert [(line.level, line.event) for line in logger.lines] == [
        ("info", f"[BOOT] Compiling UseCase: {name}"),
        ("info", "[BOOT]  - Detected Input: AssignTeam"),
        ("info", "[BOOT]  - Detected Load: User email <- command:owner_email"),
        ("info", "[BOOT]  - Detected LoadById: Team by team_id"),
        ("info", "[BOOT]  - Validated 0 compute steps"),
        ("info", "[BOOT]  - Validated 0 rules"),
        ("info", "[BOOT]  - ExecutionPlan built (2 steps)"),
    ]
    assert all(line.fields["usecase"] == name for line in logger.lines)
    assert logger.lines[-1].fields["loads"] == 2


def test_compile_logs_exists_and_step_counts() -> None:
    logger = RecordingLogger()

    UseCaseCompiler(logger=logger).compile(RegisterWithContext)

    events = [line.event for line in logger.lines]
    assert "[BOOT]  - Detected Exists: User email <- command:email" in events
    assert "[BOOT]  - Validated 2 compute steps" in events
    assert "[BOOT]  - Validated 2 rules" in events
    assert events[-1] == "[BOOT]  - ExecutionPlan built (6 steps)"


# -- plan contents ---------------------------------------------------------------------


def test_plan_of_params_input_and_loads() -> None:
    plan = UseCaseCompiler().compile(AssignOwner)

    assert plan.use_case_type is AssignOwner
    assert plan.param_bindings == (ParamBinding("team_id", int),)
    assert plan.input_binding == InputBinding("cmd", AssignTeam)
    assert plan.load_steps == (
        LoadStep(
            "owner",
            User,
            source_kind=SourceKind.COMMAND,
            source_name="owner_email",
            lookup_kind=LookupKind.BY_FIELD,
            against="email",
            profile="summary",
            on_missing=OnMissing.RAISE,
        ),
        LoadStep(
            "team",
            Team,
            source_kind=SourceKind.PARAM,
            source_name="team_id",
            lookup_kind=LookupKind.BY_ID,
            against="id",
            profile="default",
            on_missing=OnMissing.RAISE,
        ),
    )
    assert plan.exists_steps == ()
    assert plan.compute_steps == ()
    assert plan.rule_steps == ()
    assert plan.read_only is False


def test_load_by_id_defaults_to_the_id_parameter() -> None:
    plan = UseCaseCompiler().compile(GetUserById)

    (step,) = plan.load_steps
    assert (step.source_kind, step.source_name, step.lookup_kind) == (
        SourceKind.PARAM,
        "id",
        LookupKind.BY_ID,
    )


def test_plan_of_exists_steps_keeps_them_apart_from_loads() -> None:
    plan = UseCaseCompiler().compile(CheckThenLoad)

    assert plan.param_bindings == (ParamBinding("user_id", int), ParamBinding("email", str))
    assert plan.exists_steps == (
        ExistsStep(
            "taken",
            User,
            source_kind=SourceKind.PARAM,
            source_name="email",
            against="email",
            on_missing=OnMissing.RETURN_FALSE,
        ),
    )
    assert [step.name for step in plan.load_steps] == ["user"]


def test_plan_keeps_computes_and_rules_in_order() -> None:
    plan = UseCaseCompiler().compile(Register)

    assert plan.compute_steps == (ComputeStep(strip_name), ComputeStep(lower_email))
    assert plan.rule_steps == (RuleStep(name_required), RuleStep(adult))


def test_compile_records_which_steps_take_a_context() -> None:
    plan = UseCaseCompiler().compile(RegisterWithContext)

    assert plan.compute_steps == (
        ComputeStep(strip_name, accepts_context=False),
        ComputeStep(note_context, accepts_context=True),
    )
    assert plan.rule_steps == (
        RuleStep(name_required, accepts_context=False),
        RuleStep(email_not_taken, accepts_context=True),
    )


def two_args(cmd: Any, fields_set: frozenset[str]) -> Any:
    return cmd


def three_args(cmd: Any, fields_set: frozenset[str], context: dict[str, Any]) -> Any:
    return cmd


def test_accepts_context_is_detected_from_the_signature() -> None:
    class Inline(UseCase[Any, Any]):
        computes = [two_args, three_args]
        rules = [three_args, two_args]

        async def execute(self, cmd: AssignTeam = Input()) -> Any:
            return cmd

    plan = UseCaseCompiler().compile(Inline)

    assert [step.accepts_context for step in plan.compute_steps] == [False, True]
    assert [step.accepts_context for step in plan.rule_steps] == [True, False]


def test_read_only_comes_from_the_class_attribute() -> None:
    compiler = UseCaseCompiler()

    assert compiler.compile(ReadOnlyActiveUow).read_only is True
    assert compiler.compile(ActiveUow).read_only is False


def test_plans_are_frozen() -> None:
    plan = UseCaseCompiler().compile(EchoParams)

    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.read_only = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.param_bindings[0].name = "other"  # type: ignore[misc]


def test_annotations_resolve_even_when_another_one_cannot() -> None:
    # ``execute``'s return annotation names a TYPE_CHECKING-only import; the
    # parameter's ``int`` must still resolve to the class, not stay a string.
    plan = UseCaseCompiler().compile(CountWithTypeCheckingResult)

    assert plan.param_bindings == (ParamBinding("count", int),)


def test_self_args_and_kwargs_are_skipped() -> None:
    class Variadic(UseCase[Any, Any]):
        async def execute(self, user_id: int, *args: Any, **kwargs: Any) -> Any:
            return user_id

    plan = UseCaseCompiler().compile(Variadic)

    assert plan.param_bindings == (ParamBinding("user_id", int),)
    assert plan.input_binding is None


def test_jobs_compile_like_use_cases() -> None:
    plan = UseCaseCompiler().compile(DoubleJob)

    assert plan.use_case_type is DoubleJob
    assert plan.param_bindings == (ParamBinding("n", int),)


def test_a_sync_job_without_parameters_compiles() -> None:
    class Tick(Job[None]):
        def execute(self) -> None:
            return None

    plan = UseCaseCompiler().compile(Tick)

    assert plan.param_bindings == ()
    assert plan.input_binding is None


def test_from_command_with_input_compiles() -> None:
    plan = UseCaseCompiler().compile(cases.LoadFromCommandWithInput)

    assert plan.load_steps[0].source_kind is SourceKind.COMMAND


# -- CompilationError --------------------------------------------------------------------


def _ids(classes: tuple[type[Any], ...]) -> list[str]:
    return [cls.__name__ for cls in classes]


def _assert_rejected(cls: type[Any]) -> CompilationError:
    metrics = RecordingMetrics()
    compiler = UseCaseCompiler(metrics=metrics)

    with pytest.raises(CompilationError) as caught:
        compiler.compile(cls)

    assert cls.__name__ in str(caught.value)
    assert compiler.get_plan(cls) is None
    assert EventKind.COMPILE_DONE not in metrics.kinds
    return caught.value


@pytest.mark.parametrize("cls", cases.ABSTRACT, ids=_ids(cases.ABSTRACT))
def test_abstract_execute_is_rejected(cls: type[Any]) -> None:
    _assert_rejected(cls)


def test_two_inputs_are_rejected() -> None:
    error = _assert_rejected(cases.TwoInputs)

    assert "only one Input() parameter is allowed ('first' is one, 'second'" in str(error)


@pytest.mark.parametrize(
    "cls", cases.INPUT_WITHOUT_FROM_PAYLOAD, ids=_ids(cases.INPUT_WITHOUT_FROM_PAYLOAD)
)
def test_an_input_type_without_from_payload_is_rejected(cls: type[Any]) -> None:
    error = _assert_rejected(cls)

    assert "Input() parameter 'cmd' type must implement from_payload(payload)" in str(error)


@pytest.mark.parametrize(
    "cls", cases.SOURCE_NAMES_NO_PLAIN_PARAM, ids=_ids(cases.SOURCE_NAMES_NO_PLAIN_PARAM)
)
def test_marker_source_must_name_a_plain_parameter(cls: type[Any]) -> None:
    _assert_rejected(cls)


@pytest.mark.parametrize(
    "cls", cases.FROM_COMMAND_WITHOUT_INPUT, ids=_ids(cases.FROM_COMMAND_WITHOUT_INPUT)
)
def test_from_command_needs_an_input(cls: type[Any]) -> None:
    _assert_rejected(cls)


def test_an_input_annotation_that_cannot_be_resolved_is_rejected() -> None:
    class LocalCmd(Command):  # local: the postponed annotation below cannot see it
        name: str = ""

    class UsesLocal(UseCase[Any, Any]):
        async def execute(self, cmd: LocalCmd = Input()) -> Any:
            return cmd

    error = _assert_rejected(UsesLocal)

    assert "Input() parameter 'cmd' type must implement from_payload(payload)" in str(error)
    assert "its annotation 'LocalCmd' could not be resolved" in str(error)


@pytest.mark.parametrize(
    ("cls", "phrase"),
    [
        (cases.NoExecuteOverride, "NoExecuteOverride must override execute() before it can be"),
        (cases.TwoInputs, "TwoInputs.execute: only one Input() parameter is allowed"),
        (
            cases.LoadByIdUnknownParam,
            "LoadByIdUnknownParam.execute: LoadById(User): parameter 'user_id' not found in"
            " execute signature (parameter 'user': by='user_id' must name a plain parameter",
        ),
        (
            cases.LoadByIdNamesInput,
            "LoadByIdNamesInput.execute: LoadById(User): parameter 'cmd' not found",
        ),
        (
            cases.ExistsFromUnknownParam,
            "Exists(User): parameter 'email' not found in execute signature (parameter"
            " 'taken': from_param='email'",
        ),
        (
            cases.LoadFromCommandWithoutInput,
            "LoadFromCommandWithoutInput.execute: Load(User): from_command requires Input()"
            " parameter (parameter 'owner' reads from_command='owner_email'",
        ),
        (
            cases.InputOfPlainDataclass,
            "InputOfPlainDataclass.execute: Input() parameter 'cmd' type must implement"
            " from_payload(payload) (PlainPayload does not",
        ),
    ],
    ids=["abstract", "two-inputs", "by", "by-names-input", "from-param", "from-command", "input"],
)
def test_messages_start_with_loom_kernels_wording(cls: type[Any], phrase: str) -> None:
    assert phrase in str(_assert_rejected(cls))


def test_a_failed_compile_is_not_cached() -> None:
    compiler = UseCaseCompiler()

    for _ in range(2):
        with pytest.raises(CompilationError):
            compiler.compile(cases.TwoInputs)


async def test_executing_an_invalid_use_case_raises_compilation_error(
    make_executor: MakeExecutor,
) -> None:
    executor = make_executor()

    with pytest.raises(CompilationError) as caught:
        await executor.execute(cases.LoadFromCommandWithoutInput(), params={"team_id": 1})

    assert caught.value.__context__ is None  # not "during handling of" a cache miss


def test_compilation_error_is_an_exception() -> None:
    assert issubclass(CompilationError, Exception)


# -- marker declaration ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"from_param": "email", "from_command": "email"}],
    ids=["neither", "both"],
)
def test_load_and_exists_take_exactly_one_source(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Load(User, against="email", **kwargs)
    with pytest.raises(ValueError):
        Exists(User, against="email", **kwargs)


def test_load_by_id_reads_its_id_from_by_or_from_command() -> None:
    by_param = LoadById(User, by="user_id")
    by_command = LoadById(User, from_command="owner_id", profile="full")
    assert (by_param.source_kind, by_param.source_name) == (SourceKind.PARAM, "user_id")
    assert (by_command.source_kind, by_command.source_name) == (SourceKind.COMMAND, "owner_id")
    assert (by_command.from_kind, by_command.from_name) == (SourceKind.COMMAND, "owner_id")
    assert by_command.lookup_kind is LookupKind.BY_ID and by_command.profile == "full"
    with pytest.raises(ValueError, match="both name the id; give one of them"):
        LoadById(User, by="user_id", from_command="owner_id")
    with pytest.raises(ValueError, match="from_command= must be a non-empty string"):
        LoadById(User, from_command="")
