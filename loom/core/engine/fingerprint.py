"""What a generated executor is specialized on, and how to tell it still fits.

loomgen writes one executor per use case from the *source* of the use case;
the runtime holds a plan compiled from the *live* class. They fit when:

1. the plan's **shape** (every name, marker argument, policy, flag and step
   count the generated code hard-codes) has the same fingerprint as the one
   recorded at build time, and
2. the **objects** the generated module imported (the use case class, types
   it converts to, the command type, entity types, compute and rule
   functions) are the very objects the live plan holds.

The shape is plain JSON-able data so loomgen can compute the same fingerprint
from its own intermediate representation without importing user code.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from loom.core.engine.plan import ExecutionPlan
from loom.core.engine.steps import converts

GENERATED_FORMAT = 7
"""Version of the contract between generated code and the runtime.

Bumped whenever generated executors would need to be rewritten; the runtime
refuses generated packages written for another format. Format 2: an executor
with nothing to await before ``execute`` is a plain function returning what
``execute`` returns (its coroutine, for an ``async def execute``). Format 4:
the registry lists the use cases left to the interpreter (``INTERPRETED``),
executors no longer step-log (``debug_execution`` runs the interpreter) and
``Exists(on_missing=RETURN_NONE)`` yields ``None``. Format 5: parameters
with a default are optional, and conversion is lossless (exact-type fast path).
Format 6: ``SPECIALIZED_ON`` also lists the DSL declarations compiled inline,
with the structure they were read as (checked against the live specs).
"""

Shape = dict[str, Any]


def source_digest(text: str) -> str:
    """The digest of a module's source text, line ends made ``\\n`` (what
    ``loomgen build`` read and what the runtime's loader returns compare equal)."""
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalized.encode("utf-8", "surrogatepass")).hexdigest()


LoadFacts = tuple[str, str, str, str, str, str, str]
"""``(name, source_kind, source_name, lookup_kind, against, profile, on_missing)``."""
ExistsFacts = tuple[str, str, str, str, str]
"""``(name, source_kind, source_name, against, on_missing)``."""
T = TypeVar("T")


def build_shape(
    *,
    use_case: str,
    is_async: bool,
    read_only: bool,
    params: Iterable[tuple[str, bool, bool]],
    input_name: str | None,
    loads: Iterable[LoadFacts],
    exists: Iterable[ExistsFacts],
    computes: Iterable[bool],
    rules: Iterable[bool],
) -> Shape:
    """The canonical shape, from plain facts.

    The one definition of a shape: the runtime builds it from a live plan
    (:func:`plan_shape`), loomgen from its IR, and their fingerprints must
    agree for a generated executor to run. ``params`` holds ``(name,
    converts, has_default)`` triples; ``computes`` and ``rules`` whether each takes the
    context argument.
    """
    load_keys = ("name", "source_kind", "source_name", "lookup_kind", "against", "profile")
    exists_keys = ("name", "source_kind", "source_name", "against", "on_missing")
    return {
        "format": GENERATED_FORMAT,
        "use_case": use_case,
        "is_async": is_async,
        "read_only": read_only,
        "params": [
            {"name": name, "converts": converts, "default": default}
            for name, converts, default in params
        ],
        "input": None if input_name is None else {"name": input_name},
        "loads": [dict(zip((*load_keys, "on_missing"), facts, strict=True)) for facts in loads],
        "exists": [dict(zip(exists_keys, facts, strict=True)) for facts in exists],
        "computes": [{"context": context} for context in computes],
        "rules": [{"context": context} for context in rules],
    }


def specialized(
    use_case: T,
    param_targets: Iterable[T],
    command: T | None,
    load_entities: Iterable[T],
    exists_entities: Iterable[T],
    computes: Iterable[T],
    rules: Iterable[T],
) -> tuple[T, ...]:
    """The objects a generated executor binds, in the order both sides list them:
    the use case class; the class of each converting parameter; the command type;
    each load's, then each exists check's entity; each compute; each rule."""
    ordered: list[T] = [use_case, *param_targets]
    if command is not None:
        ordered.append(command)
    ordered.extend(load_entities)
    ordered.extend(exists_entities)
    ordered.extend(computes)
    ordered.extend(rules)
    return tuple(ordered)


def plan_shape(plan: ExecutionPlan) -> Shape:
    """The canonical shape of a live plan."""
    use_case = plan.use_case_type
    return build_shape(
        use_case=f"{use_case.__module__}:{use_case.__qualname__}",
        is_async=inspect.iscoroutinefunction(use_case.execute),
        read_only=plan.read_only,
        params=[
            (binding.name, converts(binding.annotation), binding.has_default)
            for binding in plan.param_bindings
        ],
        input_name=None if plan.input_binding is None else plan.input_binding.name,
        loads=[
            (
                step.name,
                step.source_kind.value,
                step.source_name,
                step.lookup_kind.value,
                step.against,
                step.profile,
                step.on_missing.value,
            )
            for step in plan.load_steps
        ],
        exists=[
            (
                step.name,
                step.source_kind.value,
                step.source_name,
                step.against,
                step.on_missing.value,
            )
            for step in plan.exists_steps
        ],
        computes=[step.accepts_context for step in plan.compute_steps],
        rules=[step.accepts_context for step in plan.rule_steps],
    )


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)
"""``json.dumps(shape, sort_keys=True, separators=(",", ":"), ensure_ascii=True)``,
without building an encoder per call (a startup verifying 1,000 executors
computes 1,000 fingerprints)."""


def shape_fingerprint(shape: Shape) -> str:
    """A short, stable hash of a shape (same bytes on every run and machine)."""
    canonical = _CANONICAL.encode(shape)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:32]


def plan_fingerprint(plan: ExecutionPlan) -> str:
    """The fingerprint of a live plan."""
    return shape_fingerprint(plan_shape(plan))


def specialized_objects(plan: ExecutionPlan) -> tuple[object, ...]:
    """The objects a generated executor for ``plan`` must have bound (see :func:`specialized`)."""
    return specialized(
        plan.use_case_type,
        [b.annotation for b in plan.param_bindings if converts(b.annotation)],
        None if plan.input_binding is None else plan.input_binding.command_type,
        [step.entity_type for step in plan.load_steps],
        [step.entity_type for step in plan.exists_steps],
        [step.fn for step in plan.compute_steps],
        [step.fn for step in plan.rule_steps],
    )
