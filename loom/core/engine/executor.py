"""Run use cases: the pipeline wrapped in a unit of work, events and logs.

For each use case class the executor prepares, once, the function that runs
its pipeline: the generated executor when one fits the live plan, otherwise
the :class:`PlanInterpreter`. Everything around the pipeline (unit of work,
pending dispatches, metrics events, summary logs) lives here and is the same
for both, so the two paths can only differ inside the pipeline itself.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from functools import partial
from time import perf_counter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from loom.core.engine import observe
from loom.core.engine.compiler import UseCaseCompiler
from loom.core.engine.events import EventKind, RuntimeEvent
from loom.core.engine.generated import (
    ExecutionMode,
    GeneratedCodeError,
    GeneratedExecutors,
    GeneratedRun,
    Lookup,
    Status,
    resolve_mode,
    resolve_package,
)
from loom.core.engine.interpreter import PlanInterpreter
from loom.core.engine.metrics import MetricsAdapter
from loom.core.engine.plan import ExecutionPlan
from loom.core.engine.steps import ParameterBindingError, StepRuntime, check_params
from loom.core.errors import RuleViolations

# A unit of work owned by the executor opens a dispatch scope (a fresh queue)
# for its transaction and closes it afterwards, restoring the previous queue.
from loom.core.job import context as _dispatch_context
from loom.core.job.context import (
    add_pending_dispatch,
    clear_pending_dispatches,
    close_dispatch_scope,
    flush_pending_dispatches,
    open_dispatch_scope,
    run_dispatches,
)
from loom.core.logger import LoggerPort, StdlibLogger, get_logger, is_enabled, level_check
from loom.core.tracing import get_trace_id
from loom.core.uow.abc import Transaction, UnitOfWorkFactory
from loom.core.uow.context import active_uow

if TYPE_CHECKING:
    from loom.core.job.job import Job
    from loom.core.use_case.use_case import UseCase

ResultT = TypeVar("ResultT")

STATUS_SUCCESS = "success"
STATUS_FAILURE = "failure"
STATUS_RULE_FAILURE = "rule_failure"
STATUS_CANCELLED = "cancelled"

_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})
_INFO = logging.INFO


class Prepared:
    """A use case class made ready to run: its plan and the function to run it.

    ``run`` is a coroutine function called with ``(use_case, params,
    payload, dependencies, load_overrides, runtime)``: the interpreter, or
    the class's generated executor. It runs one whole call, reported
    (clock, summary lines, events) through ``runtime``: ``runtime`` for a
    call without a unit of work of its own, ``inner_runtime`` (which
    reports nothing) inside one the executor owns and reports itself.
    """

    __slots__ = (
        "plan",
        "name",
        "read_only",
        "run",
        "runtime",
        "inner_runtime",
        "generated",
        "reason",
    )

    def __init__(
        self,
        plan: ExecutionPlan,
        run: GeneratedRun,
        runtime: CallRuntime,
        generated: bool,
        reason: str | None = None,
    ) -> None:
        self.plan = plan
        self.name = plan.use_case_name
        self.read_only = plan.read_only
        self.run: Callable[..., Coroutine[Any, Any, Any]] = run
        self.runtime = runtime
        self.inner_runtime = runtime.inner()
        self.generated = generated
        self.reason = reason
        """Why the interpreter runs this class (``None`` when generated code does)."""


class CallRuntime(StepRuntime):
    """The :class:`StepRuntime` of a call that reports itself.

    A generated executor (and the interpreter) reads the clock, asks
    :meth:`started` before its pipeline and calls :meth:`failed` or
    :meth:`finished` after it; this class turns those into the executor's
    summary lines and metrics events for one use case class.
    """

    __slots__ = ("name", "_executor")

    def __init__(
        self,
        executor: RuntimeExecutor,
        name: str,
        logger: LoggerPort,
        repo_resolver: Callable[[type[Any]], Any] | None,
        debug: bool,
        entities: Mapping[str, str],
    ) -> None:
        super().__init__(logger, repo_resolver, debug, entities)
        self.name = name
        self._executor = executor
        self.observed = executor._observed

    def started(self) -> LoggerPort | None:
        return self._executor._started(self.name)

    def failed(self, start: float, error: BaseException, log: LoggerPort | None) -> None:
        if isinstance(error, StopIteration):
            # Reported as what the caller gets: the run is a coroutine, and
            # Python turns a StopIteration escaping it into this (PEP 479).
            error = RuntimeError("coroutine raised StopIteration")
        self._executor._failed(self.name, start, error, log)

    def finished(self, start: float, log: LoggerPort) -> None:
        self._executor._finished(self.name, start, STATUS_SUCCESS, None, log)

    def inner(self) -> StepRuntime:
        """The same settings, reporting nothing: for a run the executor reports itself."""
        return StepRuntime(self.logger, self.repo_resolver, self.debug, self.entities)


_UNKNOWN = "<not looked up yet>"
"""``RuntimeExecutor._elsewhere`` before the lookup (``None`` is its "nothing found")."""


def _refuse_path(package: str, source: str) -> None:
    """A generated package named by its folder path instead of its import name."""
    from loom.core.engine.elsewhere import path_like

    meant = path_like(package)
    advice = f": write {meant}" if meant else ""
    raise ValueError(
        f"{source}={package!r} is a folder path, but it takes the generated package's"
        f" import name (a nested [tool.loomgen] output = 'library/gen' is imported as"
        f" library.gen){advice}"
    )


class RuntimeExecutor:
    """Execute use cases and jobs from their compiled plans.

    ``uow_factory`` wraps every top-level, non-read-only call in a unit of
    work; calls made while one is active join it. The pending dispatches
    queued inside a unit of work run after its commit and are dropped on
    rollback; a call without a unit of work of its own leaves them queued
    (see :mod:`loom.core.job.context`). ``metrics`` receives
    ``EXEC_START`` then ``EXEC_DONE`` or ``EXEC_ERROR``. ``repo_resolver``
    finds repositories not passed in ``dependencies``. ``debug_execution``
    logs every pipeline step.

    ``execution_mode`` (default ``$LOOM_EXECUTION_MODE`` or ``auto``) and
    ``generated_package`` (default ``$LOOM_GENERATED`` or ``generated``)
    choose whether loomgen's executors are used; see
    :class:`~loom.core.engine.generated.ExecutionMode`.
    """

    def __init__(
        self,
        compiler: UseCaseCompiler,
        *,
        uow_factory: UnitOfWorkFactory | None = None,
        debug_execution: bool = False,
        logger: LoggerPort | None = None,
        metrics: MetricsAdapter | None = None,
        repo_resolver: Callable[[type[Any]], Any] | None = None,
        execution_mode: ExecutionMode | str | None = None,
        generated_package: str | None = None,
    ) -> None:
        self._compiler = compiler
        self._uow_factory = uow_factory
        self._logger = logger if logger is not None else get_logger("loom.executor")
        self._metrics = metrics
        self._repo_resolver = repo_resolver
        self._debug = debug_execution
        self.mode = resolve_mode(execution_mode)
        package, self._package_asked = resolve_package(generated_package)
        if "/" in package or "\\" in package:
            _refuse_path(package, "generated_package" if generated_package else "LOOM_GENERATED")
        self._generated = GeneratedExecutors(package)
        self._unavailable_reported = False
        self._elsewhere: str | None = _UNKNOWN
        self._prepared: dict[type[Any], Prepared] = {}
        # Classes prepare_all() left to be prepared before their first call.
        self._deferred: dict[type[Any], None] = {}
        self._info_check = level_check(self._logger)
        self._stdlib_info_check = (
            self._info_check if isinstance(self._logger, StdlibLogger) else None
        )
        # Whether metrics gets EXEC_START events (see MetricsAdapter.event_kinds).
        kinds = getattr(metrics, "event_kinds", None)
        self._start_events = metrics is not None and (
            kinds is None or EventKind.EXEC_START in kinds
        )
        # With the stdlib adapter and no metrics adapter, nothing observes a
        # successful call while the stdlib logger has INFO off: each call asks
        # the logger's public ``isEnabledFor`` (which honours ``setLevel`` on
        # any ancestor, ``logging.disable`` and ``dictConfig`` at any time)
        # before building anything to report. Otherwise ``_ask`` leaves the
        # answer to :meth:`CallRuntime.started`. See StepRuntime.observed.
        self._observed: Callable[[], bool | None] = _ask
        if metrics is None and isinstance(self._logger, StdlibLogger):
            self._observed = partial(self._logger.stdlib.isEnabledFor, _INFO)

    # -- preparation ---------------------------------------------------------

    def prepare(self, use_case_type: type[Any]) -> Prepared:
        """Compile ``use_case_type`` and choose how to run it (done once per class).

        A plan already stored on the class itself (``__execution_plan__``) is
        used as it is; otherwise the compiler builds one.

        Called by :meth:`execute` on first use; call it at startup to surface
        compile errors and stale generated code before the first request.
        """
        prepared = self._prepared.get(use_case_type)
        if prepared is not None:
            return prepared
        self._deferred.pop(use_case_type, None)
        plan = use_case_type.__dict__.get("__execution_plan__")
        if not isinstance(plan, ExecutionPlan) or plan.use_case_type is not use_case_type:
            plan = self._compiler.compile(use_case_type)
        entities = {step.name: step.entity_type.__name__ for step in plan.load_steps}
        entities.update((step.name, step.entity_type.__name__) for step in plan.exists_steps)
        runtime = CallRuntime(
            self, plan.use_case_name, self._logger, self._repo_resolver, self._debug, entities
        )
        if self.mode is ExecutionMode.INTERPRETED:
            prepared = Prepared(
                plan, PlanInterpreter(plan), runtime, False, reason=observe.INTERPRETED_MODE
            )
        elif self._debug:
            # Step-by-step logs come from the reference interpreter; generated
            # executors carry no logging of their own.
            prepared = Prepared(
                plan, PlanInterpreter(plan), runtime, False, reason="debug_execution"
            )
        else:
            found = self._generated.find(plan)
            if found.run is not None:
                prepared = Prepared(plan, found.run, runtime, generated=True)
            else:
                self._fall_back(plan, found)
                prepared = Prepared(
                    plan, PlanInterpreter(plan), runtime, False, reason=found.problem
                )
        self._prepared[use_case_type] = prepared
        if observe.recorder is not None:
            use_case = plan.use_case_type
            observe.recorder.record(
                f"{use_case.__module__}:{use_case.__qualname__}",
                prepared.generated,
                prepared.reason,
            )
        return prepared

    def prepare_all(self, use_case_types: Iterable[type[Any]]) -> None:
        """Make every class in ``use_case_types`` ready to run (call it at startup).

        A class is prepared (:meth:`prepare`) now, with its compile errors and whatever
        keeps its generated executor from running reported now, unless the
        generated package vouches for it: the registry lists it as compiled and
        every module the build read to compile it (among those imported) still
        reads as the build read it. Such a class is prepared, with the full check,
        just before its first call (or by :meth:`prepare`, :meth:`uses_generated`
        or :meth:`prepared_classes`): its plan is not compiled at startup, and
        generated code that no longer fits it never runs. In ``interpreted``
        mode, with ``debug_execution``, and while decisions are recorded
        (:func:`~loom.core.engine.observe.start_recording`, as loomgen's pytest
        plugin does), every class is prepared now.
        """
        generated = self._generated
        lazy = (
            self.mode is not ExecutionMode.INTERPRETED
            and not self._debug
            and observe.recorder is None
        )
        for use_case_type in use_case_types:
            if use_case_type in self._prepared or use_case_type in self._deferred:
                continue
            if lazy and generated.vouches_for(use_case_type):
                self._deferred[use_case_type] = None
            else:
                self.prepare(use_case_type)

    def prepared_classes(self) -> Mapping[type[Any], Prepared]:
        """Every class prepared so far, and how it runs (a read-only view).

        Classes :meth:`prepare_all` left for their first call are prepared first.
        """
        while self._deferred:
            self.prepare(next(iter(self._deferred)))
        return MappingProxyType(self._prepared)

    def uses_generated(self, use_case_type: type[Any]) -> bool:
        """Whether calls of ``use_case_type`` run generated code."""
        return self.prepare(use_case_type).generated

    def _fall_back(self, plan: ExecutionPlan, found: Lookup) -> None:
        """Say why the interpreter runs ``plan``, or refuse in ``generated`` mode.

        ``generated`` mode runs every use case the build compiled as generated
        code; one the build left to the interpreter, or that no build can see
        (defined in a function), runs interpreted and is reported; anything
        else (missing, stale, package unusable) is a :class:`GeneratedCodeError`.
        ``auto`` mode reports every class it interprets while a generated package
        is loaded (one event and one ``[GEN]`` line per class) and interprets.
        """
        problem = found.problem
        assert problem is not None
        name = plan.use_case_name
        strict = self.mode is ExecutionMode.GENERATED
        status = found.status
        if status is Status.INTERPRETED:
            self._report_fallback(name, status, problem, logging.INFO)
            return
        elsewhere = None
        if status is Status.UNAVAILABLE and not self._generated.present:
            # Not importable: maybe it exists under another import name (a nested
            # output). Looked up once per executor, as the package is imported once.
            if self._elsewhere is _UNKNOWN:
                from loom.core.engine.elsewhere import generated_elsewhere

                self._elsewhere = generated_elsewhere(self._generated.package)
            elsewhere = self._elsewhere
            if elsewhere is not None:
                problem = f"{problem}; {elsewhere}"
        if strict:
            advice = (
                ""
                if status is Status.MISSING or elsewhere or "`loomgen build`" in problem
                else " (run `loomgen build`)"
            )
            raise GeneratedCodeError(
                f"{problem}; LOOM_EXECUTION_MODE=generated requires a fresh generated executor"
                f"{advice}"
            )
        if status is Status.STALE:
            self._report_fallback(name, status, problem, logging.WARNING)
        elif status is Status.MISSING:
            # A generated package is loaded, but it has nothing to say about this
            # class: never silent, so the gap shows in logs and metrics.
            self._report_fallback(name, status, problem, logging.INFO)
        elif status is Status.UNAVAILABLE:
            if self._unavailable_reported:
                return
            self._unavailable_reported = True
            if self._package_asked or self._generated.present or elsewhere:
                self._report_fallback(name, status, problem, logging.WARNING)
            else:
                self._logger.debug(
                    f"[GEN] no generated executors: {problem}; every use case is interpreted",
                    usecase=name,
                )

    def _report_fallback(self, name: str, status: Status, reason: str, level: int) -> None:
        message = f"[GEN] {name}: interpreted: {reason}"
        if level >= logging.WARNING:
            self._logger.warning(message, usecase=name, reason=reason)
        else:
            self._logger.info(message, usecase=name, reason=reason)
        if self._metrics is not None:
            self._metrics.on_event(
                RuntimeEvent(
                    kind=EventKind.GENERATED_FALLBACK,
                    use_case_name=name,
                    status=status.value,
                    reason=reason,
                )
            )

    # -- execution -------------------------------------------------------------

    def execute(
        self,
        compilable: Any,
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | None = None,
        dependencies: Mapping[type[Any], Any] | None = None,
        load_overrides: Mapping[type[Any], Any] | None = None,
        read_only: bool = False,
    ) -> Coroutine[Any, Any, Any]:
        """Run ``compilable``'s pipeline and return what its ``execute`` returns.

        Returns a coroutine (``await executor.execute(...)``); nothing runs,
        and nothing is raised, until it is awaited. Raises ``ValueError``
        (missing parameter or payload), :class:`ParameterBindingError`,
        pydantic's ``ValidationError``, :class:`~loom.core.errors.NotFound`,
        :class:`~loom.core.errors.RuleViolations`, or whatever ``execute``
        raises. A failed call rolls its unit of work back.
        """
        try:
            prepared = self._prepared[type(compilable)]
        except KeyError:
            prepared = None
        if prepared is None or (params is not None and type(params) is not dict):
            # First call of this class, or params to check: on the way in.
            return self._first_call(
                compilable, params, payload, dependencies, load_overrides, read_only
            )
        # The same choice as _call's, written out: this is every call's path.
        factory = self._uow_factory
        if factory is None or read_only or prepared.read_only or active_uow.get() is not None:
            return prepared.run(
                compilable,
                _NO_PARAMS if params is None else params,
                payload,
                dependencies,
                load_overrides,
                prepared.runtime,
            )
        return self._run_in_unit_of_work(
            prepared,
            factory,
            compilable,
            _NO_PARAMS if params is None else params,
            payload,
            dependencies,
            load_overrides,
        )

    def bound(self, use_case_type: type[Any]) -> BoundCall:
        """A callable running instances of ``use_case_type``, for hot paths.

        ``executor.bound(PlaceOrder)(use_case, params=..., payload=...)`` is
        ``executor.execute(use_case, params=..., payload=...)`` with the class
        prepared now: compile errors and stale generated code surface here,
        not on the first call. What it returns is :meth:`execute` itself (its
        prepared lookup is one dict read), so calls behave exactly as its calls
        do: same unit of work, events and logs, and no wrapper frame.
        """
        self.prepare(use_case_type)
        return self.execute

    async def _first_call(
        self,
        compilable: Any,
        params: Mapping[str, Any] | None,
        payload: Mapping[str, Any] | None,
        dependencies: Mapping[type[Any], Any] | None,
        load_overrides: Mapping[type[Any], Any] | None,
        read_only: bool,
    ) -> Any:
        """A call that prepares its class or checks its params first.

        Both happen before the call is reported: a compile error or a bad
        ``params`` is raised as it is, with no summary line or event.
        """
        prepared = self._prepared.get(type(compilable))
        if prepared is None:
            prepared = self.prepare(type(compilable))
        params = _NO_PARAMS if params is None else check_params(prepared.name, params)
        factory = self._uow_factory
        if factory is None or read_only or prepared.read_only or active_uow.get() is not None:
            return await prepared.run(
                compilable, params, payload, dependencies, load_overrides, prepared.runtime
            )
        return await self._run_in_unit_of_work(
            prepared, factory, compilable, params, payload, dependencies, load_overrides
        )

    async def _run_in_unit_of_work(
        self,
        prepared: Prepared,
        factory: UnitOfWorkFactory,
        compilable: Any,
        params: Mapping[str, Any],
        payload: Mapping[str, Any] | None,
        dependencies: Mapping[type[Any], Any] | None,
        load_overrides: Mapping[type[Any], Any] | None,
    ) -> Any:
        """A call owning a unit of work: begin, run, commit, then run the
        dispatches queued meanwhile; all of it reported as one call.

        The summary lines and events wrap the unit of work, so a failing
        commit is reported as a failure; the pipeline runs with the class's
        ``inner_runtime``, which leaves the reporting to this method. The
        dispatches are flushed with, and dropped with, this module's
        ``flush_pending_dispatches`` and ``clear_pending_dispatches``, looked
        up when each unit of work ends, so patching those names here (as tests
        written for loom-kernel do) intercepts them.
        """
        runtime = prepared.runtime
        start = perf_counter()
        log = None if runtime.observed() is False else runtime.started()
        try:
            uow = factory.create()
            uow_token = active_uow.set(uow)
            dispatch_scope = open_dispatch_scope()
            try:
                try:
                    await uow.begin()
                    result = await prepared.run(
                        compilable,
                        params,
                        payload,
                        dependencies,
                        load_overrides,
                        prepared.inner_runtime,
                    )
                    await uow.commit()
                except BaseException as error:
                    clear_pending_dispatches()
                    await self._roll_back(prepared.name, uow, error)
                    raise
            finally:
                dispatches = close_dispatch_scope(dispatch_scope)
                active_uow.reset(uow_token)
            # Dispatches run once the transaction is over: a use case they execute
            # opens a unit of work of its own instead of joining the committed one.
            flush = flush_pending_dispatches
            if flush is _REAL_FLUSH:
                # What the real flush would do with this unit of work's queue,
                # without the coroutine call when there is nothing to run.
                if dispatches:
                    await run_dispatches(dispatches)
            else:
                await _flush_with(flush, dispatches)
        except BaseException as error:
            runtime.failed(start, error, log)
            raise
        if log is not None:
            runtime.finished(start, log)
        return result

    def _failed(
        self, name: str, start: float, error: BaseException, log: LoggerPort | None
    ) -> None:
        """Report a failed call with its status (always logged, at WARNING or ERROR)."""
        if isinstance(error, RuleViolations):
            status = STATUS_RULE_FAILURE
        elif isinstance(error, Exception):
            status = STATUS_FAILURE
        else:
            status = STATUS_CANCELLED
        if log is None:
            log = self._call_logger(get_trace_id())
        self._finished(name, start, status, error, log)

    async def _roll_back(self, name: str, uow: Transaction, cause: BaseException) -> None:
        """Roll back; a failing rollback is logged, never hides ``cause``."""
        try:
            await uow.rollback()
        except BaseException as error:
            self._logger.error(
                f"[UOW] {name}: rollback failed after {type(cause).__name__}:"
                f" {type(error).__name__}: {error}",
                usecase=name,
                error=repr(error),
            )

    def _call_logger(self, trace_id: str | None) -> LoggerPort:
        """The logger for one call's summary lines: bound with the trace id, if any."""
        return self._logger.bind(trace_id=trace_id) if trace_id else self._logger

    def _started(self, name: str) -> LoggerPort | None:
        """Log and report the start of a call.

        Returns the call's logger, or ``None`` when nothing observes the call
        (INFO disabled and no metrics adapter): then nothing was built.
        """
        info_check = self._info_check
        log_info = True if info_check is None else info_check(_INFO)
        metrics = self._metrics
        if not log_info and metrics is None:
            return None
        trace_id = get_trace_id()
        logger = self._call_logger(trace_id)
        if log_info:
            logger.info(f"[EXEC] {name}", usecase=name)
        if metrics is not None and self._start_events:
            metrics.on_event(RuntimeEvent(EventKind.EXEC_START, name, trace_id=trace_id))
        return logger

    def _finished(
        self,
        name: str,
        start: float,
        status: str,
        error: BaseException | None,
        logger: LoggerPort,
    ) -> None:
        """The summary line and event of one call, as loom-kernel emits them.

        ``[DONE] <ms>ms`` at INFO; ``[FAIL] <name>`` at WARNING for rule
        failures, else at ERROR with the ``error`` field; each with
        ``usecase``, ``status`` and ``duration_ms``. After the name, loom adds
        what failed.
        """
        duration_ms = (perf_counter() - start) * 1000.0
        if error is None:
            # The stdlib adapter's bound loggers log through the executor's own
            # stdlib logger: its level check answers for them, without a lookup.
            check = self._stdlib_info_check
            if check(_INFO) if check is not None else is_enabled(logger, logging.INFO):
                logger.info(
                    f"[DONE] {duration_ms:.1f}ms",
                    usecase=name,
                    status=status,
                    duration_ms=round(duration_ms, 3),
                )
        elif status == STATUS_RULE_FAILURE:
            logger.warning(
                f"[FAIL] {name}: {error}",
                usecase=name,
                status=status,
                duration_ms=round(duration_ms, 3),
            )
        else:
            logger.error(
                f"[FAIL] {name}: {type(error).__name__}: {error}",
                usecase=name,
                status=status,
                duration_ms=round(duration_ms, 3),
                error=str(error),
            )
        if self._metrics is not None:
            self._metrics.on_event(
                RuntimeEvent(
                    EventKind.EXEC_DONE if error is None else EventKind.EXEC_ERROR,
                    name,
                    None,
                    duration_ms,
                    status,
                    error,
                    get_trace_id(),
                )
            )


_REAL_FLUSH = _dispatch_context.flush_pending_dispatches

_ask = type(None)
"""``observed`` when only :meth:`CallRuntime.started` can tell: ``NoneType()``, a
builtin call answering ``None`` ("ask")."""


async def _flush_with(flush: Callable[[], Any], dispatches: list[Callable[[], Any]]) -> None:
    """Call a replaced ``flush_pending_dispatches`` on a unit of work's queue.

    The queue is installed as the current one for the call, as it was during
    the transaction; whatever the call queues without a unit of work (and
    leaves queued) goes on to the caller's queue, as with the real flush.
    """
    scope = open_dispatch_scope(dispatches)
    try:
        outcome = flush()
        if inspect.isawaitable(outcome):
            await outcome
    finally:
        left = close_dispatch_scope(scope)
    if left and left is not dispatches:
        for dispatch in left:
            add_pending_dispatch(dispatch)


BoundCall = Callable[..., Coroutine[Any, Any, Any]]
"""What :meth:`RuntimeExecutor.bound` returns: ``execute`` for one class."""

__all__ = ["BoundCall", "CallRuntime", "ParameterBindingError", "Prepared", "RuntimeExecutor"]
