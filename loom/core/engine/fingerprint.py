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
from typing import Any

from loom.core.engine.plan import ExecutionPlan
from loom.core.engine.steps import converts

GENERATED_FORMAT = 3
"""Version of the contract between generated code and the runtime.

Bumped whenever generated executors would need to be rewritten; the runtime
refuses generated packages written for another format. Format 2: an executor
with nothing to await before ``execute`` is a plain function returning what
``execute`` returns (its coroutine, for an ``async def execute``).
"""

Shape = dict[str, Any]


def plan_shape(plan: ExecutionPlan) -> Shape:
    """The canonical shape of a live plan."""
    use_case = plan.use_case_type
    return {
        "format": GENERATED_FORMAT,
        "use_case": f"{use_case.__module__}:{use_case.__qualname__}",
        "is_async": inspect.iscoroutinefunction(use_case.execute),
        "read_only": plan.read_only,
        "params": [
            {"name": binding.name, "converts": converts(binding.annotation)}
            for binding in plan.param_bindings
        ],
        "input": None if plan.input_binding is None else {"name": plan.input_binding.name},
        "loads": [
            {
                "name": step.name,
                "source_kind": step.source_kind.value,
                "source_name": step.source_name,
                "lookup_kind": step.lookup_kind.value,
                "against": step.against,
                "profile": step.profile,
                "on_missing": step.on_missing.value,
            }
            for step in plan.load_steps
        ],
        "exists": [
            {
                "name": step.name,
                "source_kind": step.source_kind.value,
                "source_name": step.source_name,
                "against": step.against,
                "on_missing": step.on_missing.value,
            }
            for step in plan.exists_steps
        ],
        "computes": [{"context": step.accepts_context} for step in plan.compute_steps],
        "rules": [{"context": step.accepts_context} for step in plan.rule_steps],
    }


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
    """The objects a generated executor binds, in the order it lists them.

    Order: the use case class; the annotation of each converting parameter;
    the command type (with ``Input()``); the entity type of each load, then of
    each exists check; each compute function; each rule function.
    """
    objects: list[object] = [plan.use_case_type]
    objects.extend(b.annotation for b in plan.param_bindings if converts(b.annotation))
    if plan.input_binding is not None:
        objects.append(plan.input_binding.command_type)
    objects.extend(step.entity_type for step in plan.load_steps)
    objects.extend(step.entity_type for step in plan.exists_steps)
    objects.extend(step.fn for step in plan.compute_steps)
    objects.extend(step.fn for step in plan.rule_steps)
    return tuple(objects)
