"""Pipeline helpers shared by the interpreter and by generated executors.

The interpreter (:mod:`loom.core.engine.interpreter`) and the executors that
loomgen writes call these same functions for every piece of behaviour that is
not a straight assignment, so both paths raise identical errors and log
identical lines. Generated code only inlines the fast paths (dict lookups,
``isinstance`` checks, attribute reads) and calls in here for the rest.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from time import perf_counter
from uuid import UUID
from typing import Any, Literal, overload

from typing_extensions import is_protocol

from loom.core.engine.plan import step_label
from loom.core.errors import NotFound, RuleViolation
from loom.core.logger import LoggerPort, is_enabled
from loom.core.tracing import get_trace_id
from loom.core.use_case.markers import OnMissing

RepoResolver = Callable[[type[Any]], Any]


class ParameterBindingError(ValueError):
    """A plain parameter's value could not be converted to its declared type."""


class StepRuntime:
    """Per-executor settings the pipeline needs: built once per use case class,
    passed to every run.

    ``entities`` maps each load or exists parameter to its entity's name, so
    step lines can name the entity as loom-kernel's did.

    Every run reports its call through ``clock``, ``observed``,
    :meth:`started`, :meth:`failed` and :meth:`finished` (see
    :class:`~loom.core.engine.executor.CallRuntime`, which does). Here they
    report nothing: the runtime of a run that its executor reports itself,
    around the unit of work it owns.
    """

    __slots__ = ("logger", "repo_resolver", "debug", "entities", "clock", "observed")

    def __init__(
        self,
        logger: LoggerPort,
        repo_resolver: RepoResolver | None,
        debug: bool,
        entities: Mapping[str, str] | None = None,
    ) -> None:
        self.logger = logger
        self.repo_resolver = repo_resolver
        self.debug = debug
        self.entities: Mapping[str, str] = entities or {}
        self.clock: Callable[[], float] = perf_counter
        """The clock of the call's duration (read once, before the pipeline)."""
        self.observed: Callable[[], bool | None] = bool
        """``False`` when nothing observes a successful call at the moment, so a
        run skips :meth:`started` (and reports nothing unless it fails); any
        other answer means: ask :meth:`started`. A builtin call, as cheap as a
        call gets (here ``bool()``: always ``False``)."""

    def step(self, use_case_name: str, action: str, subject: Any) -> None:
        """Log one pipeline step (callers check ``debug`` first).

        ``action`` is ``Bind``, ``Input``, ``Load``, ``Exists``, ``Compute``,
        ``Rule`` or ``Execute``; ``subject`` is a parameter name, or the
        compute/rule function. The lines read as loom-kernel's (``[STEP] Bind
        Input``, ``[STEP] Load User``, ``[STEP] Execute core logic``...), with
        the parameter named after them.
        """
        label = subject if isinstance(subject, str) else step_label(subject)
        if action == "Input":
            text = f"[STEP] Bind Input {label}"
        elif action == "Load" or action == "Exists":
            entity = self.entities.get(label)
            text = f"[STEP] {action} {entity} ({label})" if entity else f"[STEP] {action} {label}"
        elif action == "Execute":
            text = "[STEP] Execute core logic"
        else:
            text = f"[STEP] {action} {label}"
        self.logger.info(text, usecase=use_case_name, step=action)

    def started(self) -> LoggerPort | None:
        """Report the start of a call; return its logger, or ``None`` when
        nothing observes it (nothing to report on success then)."""
        return None

    def failed(self, start: float, error: BaseException, log: LoggerPort | None) -> None:
        """Report a failed call (``start``: :meth:`clock` before the pipeline)."""

    def finished(self, start: float, log: LoggerPort) -> None:
        """Report a successful call that :meth:`started` returned a logger for."""

    def rule_failed(self, use_case_name: str, rule: Any, violation: RuleViolation) -> None:
        """Log one violated rule as a warning."""
        if is_enabled(self.logger, logging.WARNING):
            label = step_label(rule)
            self.logger.warning(
                f"[RULE] {label} failed: {violation.field}: {violation.message}",
                usecase=use_case_name,
                rule=label,
                field=violation.field,
                trace_id=get_trace_id(),
            )


def converts(annotation: Any) -> bool:
    """Whether values of a parameter annotated ``annotation`` are converted.

    Only concrete classes convert: ``int``, ``str``, ``UUID``, ``Decimal``,
    a model class... Not ``Any``, ``object``, ``None``, protocols, unions,
    generics or strings: values for those pass as given.
    """
    return (
        isinstance(annotation, type)
        and annotation is not Any
        and annotation is not object
        and annotation is not type(None)
        and not is_protocol(annotation)
    )


def missing_parameter(
    use_case_name: str,
    name: str,
    params: Mapping[str, Any] | None = None,
    known: Iterable[str] = (),
) -> ValueError:
    """The error for a required parameter absent from ``params``; it names the keys
    given that are no parameter (``known``: the plain parameters), often the
    misspelling of the one missing (``bookId`` for ``book_id``)."""
    message = f"{use_case_name}: missing required parameter '{name}'"
    if params:
        known = frozenset(known)
        unknown = [key for key in params if key not in known]
        if unknown:
            message += "; got unknown " + ", ".join(repr(key) for key in unknown)
    return ValueError(message)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})
_NOT_TEXT = (bytes, bytearray, memoryview, type(None), bool)


def _lossless(target: type[Any], value: Any) -> Any:
    """``value`` as a ``target``, only when nothing is lost or invented."""
    if isinstance(value, target) and not (isinstance(value, bool) and target in (int, float)):
        return value
    if target is int:
        if isinstance(value, str):
            return int(value)
        if isinstance(value, (float, Decimal)):
            integral = int(value)  # NaN and infinities raise here
            if integral == value:
                return integral
        raise ValueError("not an integral value")
    if target is float:
        if isinstance(value, (int, Decimal, str)) and not isinstance(value, bool):
            return float(value)
        raise ValueError("not a number")
    if target is str:
        if isinstance(value, (int, float, Decimal, UUID)) and not isinstance(value, _NOT_TEXT):
            return str(value)
        raise ValueError("not text")
    if target is bool:
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise ValueError("not a boolean")
    if value is None:
        raise ValueError("None")
    return target(value)


def convert_parameter(use_case_name: str, name: str, annotation: type[Any], value: Any) -> Any:
    """``value`` for a parameter annotated with the class ``annotation``.

    Called when ``type(value) is not annotation``. Conversion never loses or
    invents information: an instance of a subclass is kept (but a ``bool``
    is not an ``int``); ``int`` takes integral strings and integral floats,
    not ``1.9``; ``str`` takes numbers, not ``None`` or bytes; ``bool`` takes
    ``true``/``false``/``yes``/``no``/``on``/``off``/``1``/``0``; other classes
    are called with the value. Anything else is a :class:`ParameterBindingError`
    naming the parameter, the expected type and the value.
    """
    try:
        return _lossless(annotation, value)
    except Exception as error:
        raise ParameterBindingError(
            f"{use_case_name}: invalid value for parameter '{name}': expected"
            f" {annotation.__name__}, got {type(value).__name__} ({value!r})"
        ) from error


def parameter_defaults(use_case_type: type[Any]) -> dict[str, Any]:
    """The defaults of ``execute``'s parameters, by (mangled) name."""
    signature = inspect.signature(use_case_type.execute)
    return {
        name: parameter.default
        for name, parameter in signature.parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def check_params(use_case_name: str, params: object) -> Mapping[str, Any]:
    """``params`` must be a mapping of parameter names to values."""
    if not isinstance(params, Mapping):
        raise TypeError(
            f"{use_case_name}: params must be a dict of parameter values,"
            f" got {type(params).__name__}"
        )
    return params


def build_command(
    use_case_name: str, input_name: str, command_type: Any, payload: Any
) -> tuple[Any, frozenset[str]]:
    """Build the ``Input()`` command from ``payload``; returns it and its fields_set."""
    if type(payload) is not dict:
        if payload is None:
            raise ValueError(
                f"{use_case_name}: a payload is required to build '{input_name}' (Input())"
            )
        if not isinstance(payload, Mapping):
            raise ValueError(
                f"{use_case_name}: the payload for '{input_name}' must be a dict of fields,"
                f" got {type(payload).__name__}"
            )
    try:
        from_payload = command_type.from_payload
    except AttributeError:
        raise TypeError(
            f"{use_case_name}: the type of '{input_name}' ({_type_name(command_type)})"
            " has no from_payload(); derive it from loom.core.command.Command"
        ) from None
    built: tuple[Any, frozenset[str]] = from_payload(payload)
    return built


def find_repository(
    use_case_name: str,
    entity_type: type[Any],
    dependencies: Mapping[type[Any], Any] | None,
    runtime: StepRuntime,
) -> Any:
    """The repository of ``entity_type``: from ``dependencies``, else the resolver."""
    repository = None if dependencies is None else dependencies.get(entity_type)
    if repository is None and runtime.repo_resolver is not None:
        repository = runtime.repo_resolver(entity_type)
    if repository is None:
        entity = entity_type.__name__
        if dependencies is None and runtime.repo_resolver is None:
            # loom-kernel's wording first, for log searches and tests written against it.
            raise RuntimeError(
                f"No dependencies provided for {entity}: {use_case_name} needs its repository;"
                " pass it in dependencies= or configure the executor's repo_resolver"
            )
        raise RuntimeError(
            f"No repository registered for entity type '{entity}': {use_case_name} found"
            " none in dependencies= or from the executor's repo_resolver"
        )
    return repository


def not_found(entity_type: type[Any], value: Any) -> NotFound:
    """The error for a lookup of ``entity_type`` by ``value`` that found nothing."""
    return NotFound(entity_type.__name__, id=value)


def on_missing_entity(entity_type: type[Any], value: Any, policy: OnMissing) -> Any:
    """What a load yields when the repository returned ``None``."""
    if policy is OnMissing.RETURN_NONE:
        return None
    if policy is OnMissing.RETURN_FALSE:
        return False
    raise not_found(entity_type, value)


@overload
def on_missing_check(
    entity_type: type[Any], value: Any, policy: Literal[OnMissing.RETURN_NONE]
) -> None: ...


@overload
def on_missing_check(
    entity_type: type[Any], value: Any, policy: Literal[OnMissing.RAISE, OnMissing.RETURN_FALSE]
) -> bool: ...


@overload
def on_missing_check(entity_type: type[Any], value: Any, policy: OnMissing) -> bool | None: ...


def on_missing_check(entity_type: type[Any], value: Any, policy: OnMissing) -> bool | None:
    """What an exists check yields when nothing matched: ``False``, ``None``
    (``RETURN_NONE``), or ``NotFound`` (``RAISE``)."""
    if policy is OnMissing.RETURN_FALSE:
        return False
    if policy is OnMissing.RETURN_NONE:
        return None
    raise not_found(entity_type, value)


def sent(value: object) -> bool:
    """Always ``True``; generated code passes it a patch field it reads.

    A patch field is present when the payload carried it (it is in
    ``fields_set``) *and* the command has it: the spec reads the attribute,
    so a compute that handed on a dict or a model of another type makes the
    test raise ``AttributeError`` there. Generated code writes
    ``"name" in fields_set and sent(cmd.name)`` to read it the same way, in
    the same order, without asking ``bool()`` of the value.
    """
    return True


def _type_name(value: Any) -> str:
    name = getattr(value, "__qualname__", None)
    return name if isinstance(name, str) else repr(value)


__all__ = [
    "ParameterBindingError",
    "StepRuntime",
    "build_command",
    "check_params",
    "convert_parameter",
    "converts",
    "find_repository",
    "missing_parameter",
    "not_found",
    "on_missing_check",
    "on_missing_entity",
    "parameter_defaults",
    "sent",
]
