"""Turn a use case class into an :class:`ExecutionPlan`, once.

The compiler reads the signature of ``execute`` and the ``computes``,
``rules`` and ``read_only`` class attributes, checks that they fit together
and caches the resulting plan. Every structural mistake is reported here, at
startup, as a :class:`CompilationError` that names the class and parameter.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from typing import Any

from loom.core.engine import messages
from loom.core.engine.contract import marker_label
from loom.core.engine.events import EventKind, RuntimeEvent
from loom.core.engine.metrics import MetricsAdapter
from loom.core.engine.plan import (
    ComputeStep,
    ExecutionPlan,
    ExistsStep,
    InputBinding,
    LoadStep,
    ParamBinding,
    RuleStep,
    step_label,
)
from loom.core.logger import LoggerPort, get_logger
from loom.core.use_case.markers import (
    ExistsMarker,
    InputMarker,
    LoadByIdMarker,
    LoadMarker,
    SourceKind,
)

_SKIPPED_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


class CompilationError(Exception):
    """A use case class is not structurally valid; raised at startup."""


class UseCaseCompiler:
    """Compile use case and job classes into cached, immutable plans."""

    def __init__(
        self,
        logger: LoggerPort | None = None,
        metrics: MetricsAdapter | None = None,
    ) -> None:
        self._cache: dict[type[Any], ExecutionPlan] = {}
        self._logger = logger if logger is not None else get_logger("loom.compiler")
        self._metrics = metrics

    def compile(self, use_case_type: type[Any]) -> ExecutionPlan:
        """Return the plan of ``use_case_type``, building it on first use.

        The plan is also stored on ``use_case_type.__execution_plan__``.
        Raises :class:`CompilationError` when the class is not valid.
        """
        cached = self._cache.get(use_case_type)
        if cached is not None:
            return cached
        if not isinstance(use_case_type, type):
            raise CompilationError(messages.not_a_class(repr(use_case_type)))
        plan = self._build_plan(use_case_type)
        use_case_type.__execution_plan__ = plan
        self._cache[use_case_type] = plan
        return plan

    def _build_plan(self, use_case_type: type[Any]) -> ExecutionPlan:
        """Build, log and report one plan (no caching).

        Logs loom-kernel's ``[BOOT]`` lines, each with the ``usecase`` field.
        """
        name = use_case_type.__qualname__
        logger = self._logger
        logger.info(f"[BOOT] Compiling UseCase: {name}", usecase=name)
        self._emit(EventKind.COMPILE_START, name)
        plan = build_plan(use_case_type, logger)
        _log_detected(logger, name, plan)
        logger.info(
            f"[BOOT]  - Validated {len(plan.compute_steps)} compute steps",
            usecase=name,
        )
        logger.info(f"[BOOT]  - Validated {len(plan.rule_steps)} rules", usecase=name)
        total = (
            len(plan.load_steps)
            + len(plan.exists_steps)
            + len(plan.compute_steps)
            + len(plan.rule_steps)
        )
        logger.info(
            f"[BOOT]  - ExecutionPlan built ({total} steps)",
            usecase=name,
            params=len(plan.param_bindings),
            loads=len(plan.load_steps),
            exists=len(plan.exists_steps),
            computes=len(plan.compute_steps),
            rules=len(plan.rule_steps),
        )
        self._emit(EventKind.COMPILE_DONE, name)
        return plan

    def get_plan(self, use_case_type: type[Any]) -> ExecutionPlan | None:
        """Return the cached plan of ``use_case_type``, or ``None``."""
        return self._cache.get(use_case_type)

    def _emit(self, kind: EventKind, name: str) -> None:
        if self._metrics is not None:
            self._metrics.on_event(RuntimeEvent(kind=kind, use_case_name=name))


def build_plan(use_case_type: type[Any], logger: LoggerPort | None = None) -> ExecutionPlan:
    """Inspect ``use_case_type`` and build its plan (no caching, no events)."""
    name = use_case_type.__qualname__
    execute = getattr(use_case_type, "execute", None)
    if execute is None or not callable(execute):
        raise CompilationError(messages.no_execute(name))
    if getattr(execute, "__isabstractmethod__", False):
        raise CompilationError(messages.abstract_execute(name))

    try:
        signature = inspect.signature(execute)
    except (TypeError, ValueError) as error:
        raise CompilationError(messages.unreadable_signature(name, str(error))) from None
    hints = _type_hints(execute, _defining_class(use_case_type))

    params: list[ParamBinding] = []
    input_binding: InputBinding | None = None
    loads: list[LoadStep] = []
    exists: list[ExistsStep] = []
    for index, (param_name, parameter) in enumerate(signature.parameters.items()):
        if parameter.kind in _SKIPPED_KINDS or (index == 0 and param_name == "self"):
            continue
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
            raise CompilationError(messages.positional_only(name, param_name))
        annotation = hints.get(param_name, parameter.annotation)
        if annotation is inspect.Parameter.empty:
            annotation = Any
        marker = parameter.default
        if isinstance(marker, InputMarker):
            if input_binding is not None:
                raise CompilationError(messages.second_input(name, param_name, input_binding.name))
            if isinstance(annotation, str):
                raise CompilationError(
                    messages.unresolved_input_annotation(name, param_name, annotation)
                )
            if not callable(getattr(annotation, "from_payload", None)):
                raise CompilationError(
                    messages.input_without_from_payload(
                        name, param_name, _annotation_name(annotation)
                    )
                )
            input_binding = InputBinding(param_name, annotation)
        elif isinstance(marker, (LoadByIdMarker, LoadMarker)):
            loads.append(
                LoadStep(
                    param_name,
                    marker.entity_type,
                    source_kind=marker.source_kind,
                    source_name=marker.source_name,
                    lookup_kind=marker.lookup_kind,
                    against=marker.against,
                    profile=marker.profile,
                    on_missing=marker.on_missing,
                )
            )
        elif isinstance(marker, ExistsMarker):
            exists.append(
                ExistsStep(
                    param_name,
                    marker.entity_type,
                    source_kind=marker.source_kind,
                    source_name=marker.source_name,
                    against=marker.against,
                    on_missing=marker.on_missing,
                )
            )
        else:
            has_default = marker is not inspect.Parameter.empty
            params.append(
                ParamBinding(param_name, annotation, has_default, marker if has_default else None)
            )

    plain = {binding.name for binding in params}
    steps: list[LoadStep | ExistsStep] = [*loads, *exists]
    for step in steps:
        _check_source(name, step, plain, input_binding)

    computes = _steps(name, "computes", getattr(use_case_type, "computes", ()), ComputeStep)
    rules = _steps(name, "rules", getattr(use_case_type, "rules", ()), RuleStep)
    _check_declarations(
        name,
        {"computes": computes, "rules": rules},
        frozenset(b.name for b in (*params, *loads, *exists, input_binding) if b is not None),
        input_binding.command_type if input_binding is not None else None,
    )
    if input_binding is None and (computes or rules) and logger is not None:
        logger.warning(messages.steps_without_input(name), usecase=name)

    return ExecutionPlan(
        use_case_type=use_case_type,
        param_bindings=tuple(params),
        input_binding=input_binding,
        load_steps=tuple(loads),
        exists_steps=tuple(exists),
        compute_steps=computes,
        rule_steps=rules,
        read_only=bool(getattr(use_case_type, "read_only", False)),
    )


def _log_detected(logger: LoggerPort, name: str, plan: ExecutionPlan) -> None:
    """loom-kernel's ``[BOOT]  - Detected ...`` line for each marker of ``plan``."""
    if plan.input_binding is not None:
        command = _annotation_name(plan.input_binding.command_type)
        logger.info(
            f"[BOOT]  - Detected Input: {command}",
            usecase=name,
            parameter=plan.input_binding.name,
        )
    steps: list[LoadStep | ExistsStep] = [*plan.load_steps, *plan.exists_steps]
    for step in steps:
        marker = _marker_name(step)
        entity = step.entity_type.__name__
        if marker == "LoadById":
            detail = f"{entity} by {step.source_name}"
        else:
            detail = f"{entity} {step.against} <- {step.source_kind.value}:{step.source_name}"
        logger.info(f"[BOOT]  - Detected {marker}: {detail}", usecase=name, parameter=step.name)


def _annotation_name(annotation: Any) -> str:
    name = getattr(annotation, "__qualname__", None)
    return name if isinstance(name, str) else repr(annotation)


def _defining_class(use_case_type: type[Any]) -> type[Any]:
    """The class in whose body ``execute`` was written."""
    for klass in use_case_type.__mro__:
        if "execute" in vars(klass):
            return klass
    return use_case_type


def _type_hints(fn: Callable[..., Any], owner: type[Any]) -> dict[str, Any]:
    """Resolved annotations of ``fn``, as written in the body of ``owner``.

    String annotations (``from __future__ import annotations``) are evaluated
    where Python would have evaluated them without it: in the class body
    (``cmd: Cmd`` where ``Cmd = SomeCommand`` is a class attribute), then in
    the module. ``Annotated[T, ...]`` is ``T``. ``typing.get_type_hints``
    gives up on all annotations when one fails (a ``TYPE_CHECKING``-only
    import, say), so each is then resolved on its own and an unresolvable one
    stays as written.
    """
    namespace = dict(vars(owner))
    try:
        return typing.get_type_hints(fn, localns=namespace)
    except Exception:
        pass
    globals_ = dict(getattr(fn, "__globals__", {}))
    hints: dict[str, Any] = {}
    for name, annotation in getattr(fn, "__annotations__", {}).items():
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, globals_, namespace)  # noqa: S307 - as typing does
            except Exception:
                pass
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        hints[name] = annotation
    return hints


def _check_source(
    name: str,
    step: LoadStep | ExistsStep,
    plain: set[str],
    input_binding: InputBinding | None,
) -> None:
    marker = _marker_name(step)
    if not isinstance(step.entity_type, type):
        raise CompilationError(
            messages.entity_not_a_class(name, step.name, marker, repr(step.entity_type))
        )
    entity = step.entity_type.__name__
    if step.source_kind is SourceKind.PARAM:
        if step.source_name not in plain:
            raise CompilationError(
                messages.unknown_source_param(
                    name, step.name, marker, step.source_name, plain, entity=entity
                )
            )
        return
    if input_binding is None:
        raise CompilationError(
            messages.command_source_without_input(
                name, step.name, marker, step.source_name, entity=entity
            )
        )
    fields = getattr(input_binding.command_type, "model_fields", None)
    if isinstance(fields, dict) and step.source_name not in fields:
        if not hasattr(input_binding.command_type, step.source_name):
            raise CompilationError(
                messages.unknown_command_field(
                    name,
                    step.name,
                    marker,
                    step.source_name,
                    _annotation_name(input_binding.command_type),
                    entity=entity,
                )
            )


def _marker_name(step: LoadStep | ExistsStep) -> str:
    return marker_label(None if isinstance(step, ExistsStep) else step.lookup_kind)


def _steps(
    name: str,
    attribute: str,
    functions: object,
    step_type: type[ComputeStep] | type[RuleStep],
) -> tuple[Any, ...]:
    if not isinstance(functions, Sequence) or isinstance(functions, str):
        raise CompilationError(messages.steps_not_a_sequence(name, attribute))
    steps = []
    for index, fn in enumerate(functions):
        if not callable(fn):
            raise CompilationError(
                messages.step_not_callable(f"{name}.{attribute}[{index}]", repr(fn))
            )
        steps.append(step_type(fn, accepts_context=_accepts_context(name, attribute, index, fn)))
    return tuple(steps)


def _check_declarations(
    name: str,
    steps: dict[str, tuple[Any, ...]],
    parameters: frozenset[str],
    command_type: Any,
) -> None:
    """Ask each compute and rule that can tell (DSL specs have ``__loom_check__``)
    whether it fits this use case: its ``from_params`` names, its field paths."""
    for attribute, attribute_steps in steps.items():
        for index, step in enumerate(attribute_steps):
            check = getattr(step.fn, "__loom_check__", None)
            problem = check(parameters, command_type) if callable(check) else None
            if problem:
                raise CompilationError(
                    messages.declaration_problem(
                        f"{name}.{attribute}[{index}]", step_label(step.fn), problem
                    )
                )


def _accepts_context(name: str, attribute: str, index: int, fn: Any) -> bool:
    """True when ``fn`` takes ``(command, fields_set, context)``.

    Functions taking exactly two positional arguments get no context; any
    signature that cannot take two is a compile error.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    try:
        signature.bind(None, None, None)
    except TypeError:
        pass
    else:
        try:
            signature.bind(None, None)
        except TypeError:
            return True
        positional = [
            p
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
        ]
        return len(positional) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in positional)
    try:
        signature.bind(None, None)
    except TypeError:
        raise CompilationError(
            messages.bad_step_signature(f"{name}.{attribute}[{index}]", step_label(fn))
        ) from None
    return False


__all__ = ["CompilationError", "UseCaseCompiler", "build_plan"]
