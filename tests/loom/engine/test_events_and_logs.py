"""Metrics events and log lines around each execution, and what they cost."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from loom.core.engine import EventKind, RuntimeEvent, RuntimeExecutor
from loom.core.errors import NotFound, RuleViolations
from loom.core.logger import LoggerPort, StdlibLogger, get_logger
from loom.core.tracing import reset_trace_id, set_trace_id
from tests.support import InMemoryRepository, RecordingLogger, RecordingMetrics
from tests.usecases.computes_rules import Register, RegisterWithContext
from tests.usecases.domain import OBSERVED, User
from tests.usecases.loads import GetUser
from tests.usecases.params import EchoParams, Explode
from tests.usecases.uow import ActiveUow, RunNested

MakeExecutor = Callable[..., RuntimeExecutor]

VALID_SIGNUP = {"email": "a@x", "name": "Ann", "age": 30}
INVALID_SIGNUP = {"email": "a@x", "name": " ", "age": 12}


@pytest.fixture(autouse=True)
def _clear_observed() -> Iterator[None]:
    OBSERVED.clear()
    yield
    OBSERVED.clear()


# -- metrics events -----------------------------------------------------------------------


async def test_a_successful_call_emits_start_then_done(make_executor: MakeExecutor) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)

    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})

    assert metrics.kinds == [EventKind.EXEC_START, EventKind.EXEC_DONE]
    assert all(event.use_case_name == EchoParams.__qualname__ for event in metrics.events)
    done = metrics.events[1]
    assert done.status == "success"
    assert done.error is None
    assert isinstance(done.duration_ms, float)
    assert done.duration_ms >= 0.0


async def test_events_carry_the_current_trace_id(make_executor: MakeExecutor) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)

    token = set_trace_id("trace-42")
    try:
        await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
        with pytest.raises(LookupError):
            await executor.execute(Explode(), params={"message": "no"})
    finally:
        reset_trace_id(token)
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})

    assert [event.trace_id for event in metrics.events] == ["trace-42"] * 4 + [None, None]


async def test_a_rule_failure_emits_exec_error_with_rule_failure_status(
    make_executor: MakeExecutor,
) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)

    with pytest.raises(RuleViolations) as caught:
        await executor.execute(Register(), payload=INVALID_SIGNUP)

    assert metrics.kinds == [EventKind.EXEC_START, EventKind.EXEC_ERROR]
    error_event = metrics.events[1]
    assert error_event.use_case_name == Register.__qualname__
    assert error_event.status == "rule_failure"
    assert error_event.error is caught.value
    assert isinstance(error_event.duration_ms, float)


@pytest.mark.parametrize(
    ("use_case", "params", "error_type"),
    [
        (Explode, {"message": "boom"}, LookupError),
        (EchoParams, {"user_id": 1}, ValueError),
        (GetUser, {"user_id": 99}, NotFound),
    ],
    ids=["in-execute", "missing-param", "not-found"],
)
async def test_any_other_failure_emits_exec_error_with_failure_status(
    make_executor: MakeExecutor,
    use_case: type[Any],
    params: dict[str, Any],
    error_type: type[Exception],
) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)

    with pytest.raises(error_type) as caught:
        await executor.execute(use_case(), params=params, dependencies={User: InMemoryRepository()})

    assert metrics.kinds == [EventKind.EXEC_START, EventKind.EXEC_ERROR]
    error_event = metrics.events[1]
    assert error_event.use_case_name == use_case.__qualname__
    assert error_event.status == "failure"
    assert error_event.error is caught.value
    assert isinstance(error_event.duration_ms, float)


async def test_nested_executions_emit_their_own_events(make_executor: MakeExecutor) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)

    await executor.execute(RunNested(executor, ActiveUow()))

    assert [(event.kind, event.use_case_name) for event in metrics.events] == [
        (EventKind.EXEC_START, RunNested.__qualname__),
        (EventKind.EXEC_START, ActiveUow.__qualname__),
        (EventKind.EXEC_DONE, ActiveUow.__qualname__),
        (EventKind.EXEC_DONE, RunNested.__qualname__),
    ]


# -- log lines ----------------------------------------------------------------------------------


async def test_a_successful_call_logs_one_start_and_one_end_line(
    make_executor: MakeExecutor,
) -> None:
    logger = RecordingLogger()
    executor = make_executor(logger=logger)

    await executor.execute(Register(), payload=VALID_SIGNUP)

    assert len(logger.lines) == 2
    start, end = logger.lines
    assert start.level in {"debug", "info"}
    assert end.level in {"debug", "info"}
    assert start.fields["usecase"] == Register.__qualname__
    assert end.fields["usecase"] == Register.__qualname__
    assert end.fields["status"] == "success"
    assert isinstance(end.fields["duration_ms"], float)


async def test_a_rule_failure_logs_a_warning_per_rule_and_a_warning_summary(
    make_executor: MakeExecutor,
) -> None:
    logger = RecordingLogger()
    executor = make_executor(logger=logger)

    with pytest.raises(RuleViolations):
        await executor.execute(Register(), payload=INVALID_SIGNUP)

    assert len(logger.lines) == 4
    assert logger.lines[0].level in {"debug", "info"}
    assert logger.levels[1:] == ["warning", "warning", "warning"]
    first_rule, second_rule = logger.lines[1:3]
    assert first_rule.mentions("name_required")
    assert second_rule.mentions("adult")
    assert logger.lines[-1].fields["status"] == "rule_failure"


async def test_another_failure_logs_an_error_summary(make_executor: MakeExecutor) -> None:
    logger = RecordingLogger()
    executor = make_executor(logger=logger)

    with pytest.raises(LookupError):
        await executor.execute(Explode(), params={"message": "boom"})

    assert len(logger.lines) == 2
    assert logger.lines[0].level in {"debug", "info"}
    assert logger.lines[-1].level == "error"
    assert logger.lines[-1].fields["status"] == "failure"


async def test_step_lines_are_logged_only_with_debug_execution(
    make_executor: MakeExecutor,
) -> None:
    quiet, verbose = RecordingLogger(), RecordingLogger()
    run: dict[str, Any] = {
        "params": {"inviter_id": 1},
        "payload": {"email": "new@x", "name": " New "},
        "dependencies": {User: InMemoryRepository([User(1, "inviter@x")])},
    }

    await make_executor(logger=quiet).execute(RegisterWithContext(), **run)
    await make_executor(logger=verbose, debug_execution=True).execute(RegisterWithContext(), **run)

    assert len(quiet.lines) == 2
    steps = verbose.lines[1:-1]
    subjects = ["inviter_id", "cmd", "inviter", "taken", "strip_name", "note_context"]
    subjects += ["name_required", "email_not_taken"]
    assert len(steps) >= len(subjects)
    for subject in subjects:
        assert any(line.mentions(subject) for line in steps), subject


async def test_summary_lines_read_as_loom_kernels(make_executor: MakeExecutor) -> None:
    logger = RecordingLogger()
    executor = make_executor(logger=logger)

    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    with pytest.raises(RuleViolations):
        await executor.execute(Register(), payload=INVALID_SIGNUP)
    with pytest.raises(LookupError) as caught:
        await executor.execute(Explode(), params={"message": "boom"})

    name = EchoParams.__qualname__
    start, done = logger.lines[:2]
    assert (start.level, start.event, start.fields) == ("info", f"[EXEC] {name}", {"usecase": name})
    assert done.level == "info"
    assert re.fullmatch(r"\[DONE\] \d+\.\dms", done.event)
    assert done.event == f"[DONE] {done.fields['duration_ms']:.1f}ms"
    assert set(done.fields) == {"usecase", "status", "duration_ms"}
    rule_failure = logger.lines[-3]
    assert rule_failure.level == "warning"
    assert rule_failure.event.startswith(f"[FAIL] {Register.__qualname__}: ")
    assert rule_failure.fields["status"] == "rule_failure"
    failure = logger.lines[-1]
    assert failure.level == "error"
    assert failure.event.startswith(f"[FAIL] {Explode.__qualname__}: ")
    assert failure.fields["status"] == "failure"
    assert failure.fields["error"] == str(caught.value)


class BindCountingLogger(RecordingLogger):
    """Records each ``bind`` call's fields (bound loggers share the list)."""

    def __init__(self, binds: list[dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.binds: list[dict[str, Any]] = [] if binds is None else binds

    def bind(self, **fields: Any) -> RecordingLogger:
        self.binds.append(fields)
        bound = BindCountingLogger(self.binds, lines=self.lines, bound={**self.bound, **fields})
        return bound


@pytest.mark.parametrize("info", [True, False], ids=["info-on", "info-off"])
async def test_the_summary_logger_is_bound_with_the_trace_id_once_per_call_that_logs(
    make_executor: MakeExecutor, info: bool
) -> None:
    logger = BindCountingLogger()
    if not info:
        setattr(logger, "is_enabled_for", lambda level: level >= logging.WARNING)
    executor = make_executor(logger=logger)

    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    token = set_trace_id("trace-7")
    try:
        await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
        with pytest.raises(LookupError):
            await executor.execute(Explode(), params={"message": "boom"})
    finally:
        reset_trace_id(token)

    summaries = [(line.event.split()[0], line.fields.get("trace_id")) for line in logger.lines]
    if info:
        assert logger.binds == [{"trace_id": "trace-7"}] * 2
        assert summaries == [("[EXEC]", None), ("[DONE]", None)] + [
            ("[EXEC]", "trace-7"),
            ("[DONE]", "trace-7"),
            ("[EXEC]", "trace-7"),
            ("[FAIL]", "trace-7"),
        ]
    else:
        assert logger.binds == [{"trace_id": "trace-7"}]
        assert summaries == [("[FAIL]", "trace-7")]


async def test_step_lines_read_as_loom_kernels(make_executor: MakeExecutor) -> None:
    logger = RecordingLogger()
    executor = make_executor(logger=logger, debug_execution=True)

    await executor.execute(
        RegisterWithContext(),
        params={"inviter_id": 1},
        payload={"email": "new@x", "name": " New "},
        dependencies={User: InMemoryRepository([User(1, "inviter@x")])},
    )

    steps = [line.event for line in logger.lines if line.event.startswith("[STEP]")]
    assert steps == [
        "[STEP] Bind inviter_id",
        "[STEP] Bind Input cmd",
        "[STEP] Load User (inviter)",
        "[STEP] Exists User (taken)",
        "[STEP] Compute strip_name",
        "[STEP] Compute note_context",
        "[STEP] Rule name_required",
        "[STEP] Rule email_not_taken",
        "[STEP] Execute core logic",
    ]
    assert {line.fields["usecase"] for line in logger.lines} == {RegisterWithContext.__qualname__}


@pytest.mark.parametrize(
    ("use_case", "kwargs", "error_type", "level"),
    [
        (Explode, {"params": {"message": "boom"}}, LookupError, logging.ERROR),
        (Register, {"payload": INVALID_SIGNUP}, RuleViolations, logging.WARNING),
    ],
    ids=["failure", "rule-failure"],
)
async def test_failure_summaries_carry_the_duration_when_info_is_disabled(
    make_executor: MakeExecutor,
    use_case: type[Any],
    kwargs: dict[str, Any],
    error_type: type[Exception],
    level: int,
) -> None:
    captured: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    stdlib = logging.getLogger("tests.quiet_executor")
    handler = Capture()
    stdlib.addHandler(handler)
    stdlib.setLevel(logging.WARNING)
    try:
        executor = make_executor(logger=StdlibLogger(stdlib))
        with pytest.raises(error_type):
            await executor.execute(use_case(), **kwargs)
    finally:
        stdlib.removeHandler(handler)
        stdlib.setLevel(logging.NOTSET)

    summary = captured[-1]
    assert summary.levelno == level
    fields = getattr(summary, "fields")
    assert fields["usecase"] == use_case.__qualname__
    assert isinstance(fields["duration_ms"], float)


# -- what observability costs when it is off ---------------------------------------------------


@pytest.fixture
def default_logging() -> Iterator[None]:
    """Stdlib logging as an application leaves it: root at WARNING, loom loggers unset."""
    names = ["loom", "loom.executor", "loom.compiler"]
    root = logging.getLogger()
    saved = (root.level, [logging.getLogger(name).level for name in names])
    root.setLevel(logging.WARNING)
    for name in names:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    root.setLevel(saved[0])
    for name, level in zip(names, saved[1], strict=True):
        logging.getLogger(name).setLevel(level)


async def test_no_event_objects_are_built_without_a_metrics_adapter(
    make_executor: MakeExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = make_executor(logger=RecordingLogger())
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "warm-up"})
    built: list[RuntimeEvent] = []
    original_init = RuntimeEvent.__init__

    def counting_init(self: RuntimeEvent, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(RuntimeEvent, "__init__", counting_init)

    for user_id in range(5):
        await executor.execute(EchoParams(), params={"user_id": user_id, "name": "a"})
    with pytest.raises(RuleViolations):
        await executor.execute(Register(), payload=INVALID_SIGNUP)
    with pytest.raises(LookupError):
        await executor.execute(Explode(), params={"message": "boom"})

    assert built == []


async def test_no_log_record_is_made_for_a_success_at_the_default_level(
    make_executor: MakeExecutor, monkeypatch: pytest.MonkeyPatch, default_logging: None
) -> None:
    executor = make_executor()
    await executor.execute(Register(), payload=VALID_SIGNUP)
    records: list[str] = []
    original_make_record = logging.Logger.makeRecord

    def counting_make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        records.append(self.name)
        return original_make_record(self, *args, **kwargs)

    monkeypatch.setattr(logging.Logger, "makeRecord", counting_make_record)

    for _ in range(5):
        await executor.execute(Register(), payload=VALID_SIGNUP)
        await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})

    assert records == []


def test_stdlib_logger_formats_nothing_when_the_level_is_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[str] = []

    class Loud:
        def __str__(self) -> str:
            renders.append("str")
            return "loud"

        def __repr__(self) -> str:
            renders.append("repr")
            return "Loud()"

        def __format__(self, spec: str) -> str:
            renders.append("format")
            return "loud"

    records: list[str] = []
    original_make_record = logging.Logger.makeRecord

    def counting_make_record(self: logging.Logger, *args: Any, **kwargs: Any) -> logging.LogRecord:
        records.append(self.name)
        return original_make_record(self, *args, **kwargs)

    monkeypatch.setattr(logging.Logger, "makeRecord", counting_make_record)
    captured: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(self.format(record))

    stdlib = logging.getLogger("tests.lazy_logger")
    handler = Capture()
    stdlib.addHandler(handler)
    stdlib.setLevel(logging.WARNING)
    try:
        logger = get_logger("tests.lazy_logger")

        logger.debug("debug line", value=Loud())
        logger.info("info line", value=Loud())
        logger.bind(bound=Loud()).info("bound line", value=Loud())

        assert renders == []
        assert records == []
        assert captured == []

        logger.warning("warning line", value=Loud())
    finally:
        stdlib.removeHandler(handler)
        stdlib.setLevel(logging.NOTSET)
    assert renders
    assert "warning line" in captured[0]


def test_the_default_logger_is_a_logger_port() -> None:
    logger = get_logger("tests.port")

    assert isinstance(logger, StdlibLogger)
    assert isinstance(logger, LoggerPort)
    assert isinstance(logger.bind(a=1), LoggerPort)
    assert isinstance(RecordingLogger(), LoggerPort)


# -- the INFO check follows every way stdlib logging levels change ------------------------


def _infos(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]


async def test_info_lines_stop_and_resume_with_logging_disable(
    make_executor: MakeExecutor, caplog: pytest.LogCaptureFixture, default_logging: None
) -> None:
    logging.getLogger("loom").setLevel(logging.INFO)
    executor = make_executor()
    with caplog.at_level(logging.INFO, logger="loom"):
        await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
        assert _infos(caplog)
        caplog.clear()
        logging.disable(logging.INFO)
        try:
            await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
            assert _infos(caplog) == []
        finally:
            logging.disable(logging.NOTSET)
        await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
        assert _infos(caplog)


async def test_info_lines_follow_set_level_on_a_parent_logger(
    make_executor: MakeExecutor, caplog: pytest.LogCaptureFixture, default_logging: None
) -> None:
    executor = make_executor()
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert _infos(caplog) == []
    logging.getLogger("loom").setLevel(logging.INFO)
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert any("[EXEC]" in line for line in _infos(caplog))
    caplog.clear()
    logging.getLogger("loom").setLevel(logging.WARNING)
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert _infos(caplog) == []


async def test_info_lines_follow_dict_config(
    make_executor: MakeExecutor, caplog: pytest.LogCaptureFixture, default_logging: None
) -> None:
    import logging.config

    executor = make_executor()
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert _infos(caplog) == []
    logging.config.dictConfig(
        {
            "version": 1,
            "incremental": True,
            "loggers": {"loom": {"level": "INFO"}},
        }
    )
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert any("[EXEC]" in line for line in _infos(caplog))


async def test_info_lines_stop_when_dict_config_disables_the_executors_logger(
    make_executor: MakeExecutor, caplog: pytest.LogCaptureFixture, default_logging: None
) -> None:
    # dictConfig disables existing loggers without clearing logging's level cache:
    # the executor's cached "INFO is on" must not let a line through.
    import logging.config

    logging.getLogger("loom").setLevel(logging.INFO)
    executor = make_executor()
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert any("[EXEC]" in line for line in _infos(caplog))
    caplog.clear()
    stdlib = logging.getLogger("loom.executor")
    try:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": True})
        assert stdlib.disabled
        await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
        assert _infos(caplog) == []
    finally:
        stdlib.disabled = False
    # Still captured: the lines come back with the logger enabled again.
    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    assert any("[EXEC]" in line for line in _infos(caplog))


# -- bound calls and the coroutine execute returns -----------------------------------------


async def test_a_bound_call_emits_and_logs_what_execute_does(
    make_executor: MakeExecutor,
) -> None:
    seen = []
    for run in ("execute", "bound"):
        metrics, logger = RecordingMetrics(), RecordingLogger()
        executor = make_executor(metrics=metrics, logger=logger)
        call = executor.execute if run == "execute" else executor.bound(Register)
        assert (await call(Register(), payload=VALID_SIGNUP)).name == "Ann"
        with pytest.raises(RuleViolations):
            await call(Register(), payload=INVALID_SIGNUP)
        seen.append(
            (
                [(event.kind, event.use_case_name, event.status) for event in metrics.events],
                [(line.level, line.event.split(" ")[0]) for line in logger.lines],
            )
        )
    assert seen[0] == seen[1]
    events, lines = seen[1]
    assert [kind for kind, _, _ in events] == [
        EventKind.EXEC_START,
        EventKind.EXEC_DONE,
        EventKind.EXEC_START,
        EventKind.EXEC_ERROR,
    ]
    assert lines[-1] == ("warning", "[FAIL]")


async def test_a_bound_callable_runs_an_instance_of_another_class_through_execute(
    make_executor: MakeExecutor,
) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)
    echo = executor.bound(EchoParams)

    assert await echo(EchoParams(), params={"user_id": "3", "name": "a"}) == {
        "user_id": 3,
        "name": "a",
    }
    with pytest.raises(LookupError, match="boom"):
        await echo(Explode(), params={"message": "boom"})
    assert [(event.kind, event.use_case_name) for event in metrics.events][-1] == (
        EventKind.EXEC_ERROR,
        Explode.__qualname__,
    )


async def test_bound_prepares_its_class_at_once(make_executor: MakeExecutor) -> None:
    executor = make_executor()
    assert EchoParams not in executor.prepared_classes()

    executor.bound(EchoParams)

    assert EchoParams in executor.prepared_classes()


async def test_execute_raises_nothing_until_its_coroutine_is_awaited(
    make_executor: MakeExecutor,
) -> None:
    metrics = RecordingMetrics()
    executor = make_executor(metrics=metrics)
    for _ in range(2):  # before and after the class is prepared
        bad_params = executor.execute(EchoParams(), params=[("user_id", 1)])  # type: ignore[arg-type]
        failing = executor.execute(Explode(), params={"message": "boom"})
        missing = executor.execute(EchoParams(), params={})
        assert metrics.events == []
        with pytest.raises(TypeError, match="params must be a dict"):
            await bad_params
        assert metrics.events == []  # refused before the call started
        with pytest.raises(LookupError, match="boom"):
            await failing
        with pytest.raises(ValueError, match="missing required parameter 'user_id'"):
            await missing
        assert metrics.kinds == [EventKind.EXEC_START, EventKind.EXEC_ERROR] * 2
        metrics.events.clear()


# -- which events an adapter gets --------------------------------------------------------


class DoneOnly(RecordingMetrics):
    """An adapter that says it acts on the end of each call only."""

    event_kinds = frozenset({EventKind.EXEC_DONE, EventKind.EXEC_ERROR})


async def test_an_adapter_declaring_its_event_kinds_gets_no_exec_start(
    make_executor: MakeExecutor,
) -> None:
    metrics = DoneOnly()
    executor = make_executor(metrics=metrics, logger=RecordingLogger())

    await executor.execute(EchoParams(), params={"user_id": 1, "name": "a"})
    with pytest.raises(LookupError):
        await executor.execute(Explode(), params={"message": "boom"})

    assert metrics.kinds == [EventKind.EXEC_DONE, EventKind.EXEC_ERROR]


def test_the_prometheus_adapter_acts_on_no_exec_start() -> None:
    from prometheus_client import CollectorRegistry

    from loom.prometheus import PrometheusMetricsAdapter

    kinds = PrometheusMetricsAdapter(CollectorRegistry()).event_kinds
    assert EventKind.EXEC_START not in kinds
    assert {EventKind.EXEC_DONE, EventKind.EXEC_ERROR, EventKind.GENERATED_FALLBACK} <= kinds
