"""The reference semantics: run an :class:`ExecutionPlan` step by step.

This is the executor every generated one must match. It walks the plan's
steps in the fixed pipeline order and keeps everything it binds in one dict,
which finally becomes the keyword arguments of ``execute``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from loom.core.engine.plan import ExecutionPlan
from loom.core.engine.steps import (
    StepRuntime,
    build_command,
    convert_parameter,
    converts,
    find_repository,
    missing_parameter,
    on_missing_check,
    on_missing_entity,
)
from loom.core.errors import RuleViolation, RuleViolations
from loom.core.use_case.markers import LookupKind, SourceKind


class PlanInterpreter:
    """Runs one plan. Built once per use case class, called once per request.

    A call runs the pipeline and reports itself through ``runtime`` (see
    :class:`~loom.core.engine.executor.Prepared`), exactly as a generated
    executor does.
    """

    __slots__ = ("plan", "name", "_is_async", "_conversions", "_names", "_from_payload")

    def __init__(self, plan: ExecutionPlan) -> None:
        self.plan = plan
        self.name = plan.use_case_name
        self._is_async = inspect.iscoroutinefunction(plan.use_case_type.execute)
        self._conversions = tuple(
            (
                binding.name,
                binding.annotation if converts(binding.annotation) else None,
                binding.has_default,
                binding.default,
            )
            for binding in plan.param_bindings
        )
        self._names = tuple(binding.name for binding in plan.param_bindings)
        # The command class's from_payload, read once (as generated modules do
        # at import); None without one, and build_command says what is wrong.
        input_binding = plan.input_binding
        self._from_payload = (
            None
            if input_binding is None
            else getattr(input_binding.command_type, "from_payload", None)
        )

    async def __call__(
        self,
        use_case: Any,
        params: Mapping[str, Any],
        payload: Any,
        dependencies: Mapping[type[Any], Any] | None,
        load_overrides: Mapping[type[Any], Any] | None,
        runtime: StepRuntime,
    ) -> Any:
        # The call is reported around the pipeline, as generated executors do.
        start = runtime.clock()
        log = None if runtime.observed() is False else runtime.started()
        try:
            plan = self.plan
            name = self.name
            debug = runtime.debug
            bound: dict[str, Any] = {}

            # 1. Plain parameters.
            for param_name, target_type, has_default, default in self._conversions:
                try:
                    value = params[param_name]
                except KeyError:
                    if not has_default:
                        raise missing_parameter(name, param_name, params, self._names) from None
                    value = default
                else:
                    if target_type is not None and type(value) is not target_type:
                        value = convert_parameter(name, param_name, target_type, value)
                bound[param_name] = value
                if debug:
                    runtime.step(name, "Bind", param_name)

            # 2. The command.
            input_binding = plan.input_binding
            fields_set: frozenset[str] = frozenset()
            if input_binding is not None:
                from_payload = self._from_payload
                if type(payload) is dict and from_payload is not None:
                    command, fields_set = from_payload(payload)
                else:
                    command, fields_set = build_command(
                        name, input_binding.name, input_binding.command_type, payload
                    )
                bound[input_binding.name] = command
                if debug:
                    runtime.step(name, "Input", input_binding.name)

            # 3. Loads.
            for load in plan.load_steps:
                if load_overrides is not None and load.entity_type in load_overrides:
                    entity = load_overrides[load.entity_type]
                else:
                    repository = find_repository(name, load.entity_type, dependencies, runtime)
                    value = _lookup_value(bound, load.source_kind, load.source_name, input_binding)
                    if load.lookup_kind is LookupKind.BY_ID:
                        entity = await repository.get_by_id(value, profile=load.profile)
                    else:
                        entity = await repository.get_by(load.against, value, profile=load.profile)
                    if entity is None:
                        entity = on_missing_entity(load.entity_type, value, load.on_missing)
                bound[load.name] = entity
                if debug:
                    runtime.step(name, "Load", load.name)

            # 4. Exists checks.
            for check in plan.exists_steps:
                repository = find_repository(name, check.entity_type, dependencies, runtime)
                value = _lookup_value(bound, check.source_kind, check.source_name, input_binding)
                found: bool | None = bool(await repository.exists_by(check.against, value))
                if not found:
                    found = on_missing_check(check.entity_type, value, check.on_missing)
                bound[check.name] = found
                if debug:
                    runtime.step(name, "Exists", check.name)

            if input_binding is not None:
                # 5. Computes: each sees the command as left by the previous one.
                command = bound[input_binding.name]
                for compute in plan.compute_steps:
                    if compute.accepts_context:
                        command = compute.fn(command, fields_set, dict(bound))
                    else:
                        command = compute.fn(command, fields_set)
                    bound[input_binding.name] = command
                    if debug:
                        runtime.step(name, "Compute", compute.fn)

                # 6. Rules: all of them run; violations are reported together.
                violations: list[RuleViolation] = []
                for rule in plan.rule_steps:
                    try:
                        if rule.accepts_context:
                            rule.fn(command, fields_set, dict(bound))
                        else:
                            rule.fn(command, fields_set)
                    except RuleViolation as violation:
                        violations.append(violation)
                        runtime.rule_failed(name, rule.fn, violation)
                    if debug:
                        runtime.step(name, "Rule", rule.fn)
                if violations:
                    raise RuleViolations(violations)

            # 7. The use case itself.
            if debug:
                runtime.step(name, "Execute", "execute")
            if self._is_async:
                result = await use_case.execute(**bound)
            else:
                result = use_case.execute(**bound)
        except BaseException as error:
            runtime.failed(start, error, log)
            raise
        if log is not None:
            runtime.finished(start, log)
        return result


def _lookup_value(
    bound: dict[str, Any],
    source_kind: SourceKind,
    source_name: str,
    input_binding: Any,
) -> Any:
    if source_kind is SourceKind.PARAM:
        return bound[source_name]
    return getattr(bound[input_binding.name], source_name)
